/**
 * Typed errors of the network layer. Each has a stable `name` to test and
 * branch on, accepts `{ cause }`, and carries its context as fields.
 *
 * Rule of the house for streams: the helpers in stream-io.ts throw these; the
 * protocol code that owns a stream decides whether to answer with a status
 * frame or to `stream.abort(err)`.
 */

export interface NetErrorOptions {
  cause?: unknown
}

/** Base class: every network error is an instance of it. */
export class NetError extends Error {
  static readonly code: string = 'ERR_NET'
  readonly code: string = 'ERR_NET'
  constructor (message: string, options: NetErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'NetError'
  }
}

/** A length prefix announced (or a caller tried to send) more bytes than allowed. Raised before any of the body is buffered. */
export class MessageTooLargeError extends NetError {
  static override readonly code = 'ERR_MESSAGE_TOO_LARGE'
  override readonly code = 'ERR_MESSAGE_TOO_LARGE'
  /** Bytes announced by the prefix (or offered by the caller). */
  readonly size: number
  /** The maximum that was in force. */
  readonly limit: number
  constructor (size: number, limit: number, options: NetErrorOptions = {}) {
    super(`message of ${size} bytes exceeds the limit of ${limit} bytes`, options)
    this.name = 'MessageTooLargeError'
    this.size = size
    this.limit = limit
  }
}

/** The bytes on the wire are not a valid message: a varint prefix longer than allowed or not minimally encoded, an undecodable body. */
export class MalformedMessageError extends NetError {
  static override readonly code = 'ERR_MALFORMED_MESSAGE'
  override readonly code = 'ERR_MALFORMED_MESSAGE'
  constructor (message: string, options: NetErrorOptions = {}) {
    super(message, options)
    this.name = 'MalformedMessageError'
  }
}

/** The stream ended cleanly in the middle of a message (prefix or body). */
export class TruncatedMessageError extends NetError {
  static override readonly code = 'ERR_TRUNCATED_MESSAGE'
  override readonly code = 'ERR_TRUNCATED_MESSAGE'
  /** Bytes the message should have had (for a cut prefix: -1, unknown). */
  readonly expected: number
  /** Bytes that arrived before the end. */
  readonly received: number
  constructor (expected: number, received: number, options: NetErrorOptions = {}) {
    super(expected < 0
      ? `stream ended inside a length prefix after ${received} bytes`
      : `stream ended after ${received} of ${expected} bytes`, options)
    this.name = 'TruncatedMessageError'
    this.expected = expected
    this.received = received
  }
}

/** A message was required but the remote closed its side cleanly before sending one. */
export class StreamEndedError extends NetError {
  static override readonly code = 'ERR_STREAM_ENDED'
  override readonly code = 'ERR_STREAM_ENDED'
  constructor (message = 'the stream ended before a message arrived', options: NetErrorOptions = {}) {
    super(message, options)
    this.name = 'StreamEndedError'
  }
}

/** An operation on a stream did not finish in time. */
export class StreamTimeoutError extends NetError {
  static override readonly code = 'ERR_STREAM_TIMEOUT'
  override readonly code = 'ERR_STREAM_TIMEOUT'
  /** The limit that expired, when known (-1 if it came from a caller's signal). */
  readonly timeoutMs: number
  constructor (timeoutMs: number, options: NetErrorOptions = {}) {
    super(timeoutMs >= 0 ? `stream operation timed out after ${timeoutMs} ms` : 'stream operation timed out', options)
    this.name = 'StreamTimeoutError'
    this.timeoutMs = timeoutMs
  }
}

/** The caller's AbortSignal fired (for a reason other than a timeout). The reason is the `cause`. */
export class AbortError extends NetError {
  static override readonly code = 'ABORT_ERR'
  override readonly code = 'ABORT_ERR'
  constructor (message = 'the operation was aborted', options: NetErrorOptions = {}) {
    super(message, options)
    this.name = 'AbortError'
  }
}

/** The remote peer reset the stream. */
export class StreamResetError extends NetError {
  static override readonly code = 'ERR_STREAM_RESET'
  override readonly code = 'ERR_STREAM_RESET'
  constructor (message = 'the stream was reset by the remote peer', options: NetErrorOptions = {}) {
    super(message, options)
    this.name = 'StreamResetError'
  }
}

/** The stream was aborted locally (by our code, by libp2p on a buffer overflow, or because the connection died). The reason is the `cause`. */
export class StreamAbortedError extends NetError {
  static override readonly code = 'ERR_STREAM_ABORTED'
  override readonly code = 'ERR_STREAM_ABORTED'
  constructor (message = 'the stream was aborted', options: NetErrorOptions = {}) {
    super(message, options)
    this.name = 'StreamAbortedError'
  }
}

/** Writing was attempted on a stream whose writable end is closed. */
export class StreamClosedError extends NetError {
  static override readonly code = 'ERR_STREAM_CLOSED'
  override readonly code = 'ERR_STREAM_CLOSED'
  constructor (message = 'the writable end of the stream is closed', options: NetErrorOptions = {}) {
    super(message, options)
    this.name = 'StreamClosedError'
  }
}

/** A peer answered with a failure status. Remote failures travel as status codes and become this on arrival. */
export class RemoteError extends NetError {
  static override readonly code = 'ERR_REMOTE'
  override readonly code = 'ERR_REMOTE'
  /** The protocol's status code. */
  readonly status: number
  /** The peer's explanation, as sent (untrusted text: log it, do not interpret it). */
  readonly remoteMessage: string
  /** The peer that answered, when known (string form of its PeerId). */
  readonly peerId?: string
  constructor (status: number, remoteMessage: string, peerId?: string, options: NetErrorOptions = {}) {
    super(`peer ${peerId ?? '(unknown)'} answered status ${status}: ${remoteMessage}`, options)
    this.name = 'RemoteError'
    this.status = status
    this.remoteMessage = remoteMessage
    this.peerId = peerId
  }
}

/** An argument is invalid (a negative length, a body that does not match its announced length, a bad multiaddr). */
export class InvalidArgumentError extends NetError {
  static override readonly code = 'ERR_INVALID_ARGUMENT'
  override readonly code = 'ERR_INVALID_ARGUMENT'
  constructor (message: string, options: NetErrorOptions = {}) {
    super(message, options)
    this.name = 'InvalidArgumentError'
  }
}

/** The identity key file exists but cannot be used. It is never silently replaced. */
export class InvalidIdentityError extends NetError {
  static override readonly code = 'ERR_INVALID_IDENTITY'
  override readonly code = 'ERR_INVALID_IDENTITY'
  readonly path: string
  constructor (message: string, path: string, options: NetErrorOptions = {}) {
    super(message, options)
    this.name = 'InvalidIdentityError'
    this.path = path
  }
}

/** A swarm key (private network pre-shared key) is not in the `/key/swarm/psk/1.0.0/` base16 format. */
export class InvalidSwarmKeyError extends NetError {
  static override readonly code = 'ERR_INVALID_SWARM_KEY'
  override readonly code = 'ERR_INVALID_SWARM_KEY'
  readonly path?: string
  constructor (message: string, path?: string, options: NetErrorOptions = {}) {
    super(message, options)
    this.name = 'InvalidSwarmKeyError'
    this.path = path
  }
}
