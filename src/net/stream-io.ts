/**
 * THE send/receive helper of shoal: every protocol moves bytes through this
 * module (writeAll / StreamReader, and the length-prefixed frames on top).
 *
 * Why not @libp2p/utils' byteStream / lpStream (7.4.1, read in
 * node_modules/@libp2p/utils/dist/src/stream-utils.js):
 * - its reader never calls `pause()`: it appends every 'message' to its buffer
 *   and, past `maxBufferSize` (4 MiB), aborts the stream. Yamux keeps granting
 *   window as frames are dispatched, so a slow consumer gets a reset instead of
 *   back-pressure.
 * - its writer does `if (!send()) await pEvent(stream, 'drain')`. Yamux emits
 *   'drain' on every window update while bytes are queued (yamux stream.js,
 *   handleWindowUpdate), not when the queue is empty (trap 2); and
 *   `stream.onDrain()` keeps returning its first, already-resolved promise
 *   (abstract-message-stream.js never clears `onDrainPromise`: trap 1).
 * - lpStream checks the varint's byte count only after a successful decode, so
 *   a prefix of endless continuation bytes is read until the buffer overflows.
 * So this module is written directly against the v3 stream events.
 *
 * Sending (writeAll): large chunks are cut into WRITE_CHUNK_BYTES pieces; a
 * piece is handed to `send()` only when `writableNeedsDrain` is false AND the
 * stream's write queue (`writeBufferLength`, bytes the muxer window has not
 * taken yet) is at most `maxQueuedBytes` (default WRITE_MAX_QUEUED_BYTES). Checked in
 * abstract-message-stream.js: `send()` always appends to the queue (it never
 * refuses), `processSendQueue` sets `writableNeedsDrain` when the yamux window
 * or the connection is full, a window update or the connection's drain emits
 * 'drain' (whose built-in listener clears the flag and re-runs the queue in a
 * microtask), and 'idle' fires when the queue empties. So the wait is a loop
 * over 'drain' | 'idle' | 'close' that re-checks both numbers. Bytes queued
 * locally stay below maxQueuedBytes + one piece; bytes in flight are bounded
 * by the receiver's yamux window (YAMUX_MAX_STREAM_WINDOW_BYTES).
 *
 * Receiving: see stream-reader.ts (pause above a high-water mark, resume
 * below a low-water mark, finish on 'end' and never on remote close-write).
 *
 * Frames: unsigned varint length + body. The prefix is capped at
 * MAX_VARINT_BYTES and must be minimal (else MalformedMessageError); the
 * announced length is checked against `maxBytes` before any body byte is
 * buffered (else MessageTooLargeError); a stream ending inside a frame is a
 * TruncatedMessageError; a clean end where a frame was required is a
 * StreamEndedError. A large body (a shard) travels as raw bytes after a small
 * header frame that announces its length: writeAll on one side,
 * `reader.readBody(length)` on the other.
 *
 * Errors and ownership: the helpers throw typed errors (errors.ts) and never
 * abort the stream themselves; the protocol code that owns the stream answers
 * with a status frame or calls `stream.abort(err)`. Timeouts: every call takes
 * `{ signal, timeoutMs }` (op-signal.ts).
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { DEFAULT_STREAM_TIMEOUT_MS, MAX_MESSAGE_BYTES, MAX_VARINT_BYTES, WRITE_CHUNK_BYTES, WRITE_MAX_QUEUED_BYTES } from './constants.js'
import { InvalidArgumentError, MalformedMessageError, MessageTooLargeError, StreamClosedError, StreamEndedError, TruncatedMessageError, type NetError } from './errors.js'
import { abortError, operationSignal, throwIfAborted, waitForEvent, type TimeoutOptions } from './op-signal.js'
import { streamCloseError, type StreamReader } from './stream-reader.js'
import type { Stream } from '@libp2p/interface'

export { StreamReader, createStreamReader, type StreamReaderInit, type StreamReaderStats, type ReadBodyOptions } from './stream-reader.js'
export type { TimeoutOptions } from './op-signal.js'

export interface WriteAllOptions extends TimeoutOptions {
  /** Close the writable end (after every byte went to the muxer) when done. Default false. */
  close?: boolean
  /** Largest piece handed to `send()`. Default WRITE_CHUNK_BYTES (65,507 bytes: one noise message per yamux frame). */
  chunkBytes?: number
  /** Send the next piece only when at most this many bytes wait in the stream's queue. Default WRITE_MAX_QUEUED_BYTES. */
  maxQueuedBytes?: number
  /**
   * Resolve only once the stream's queue is empty (every byte handed to the
   * muxer). Needed before `abort()`, which drops whatever is still queued.
   */
  flush?: boolean
}

export interface FrameOptions extends TimeoutOptions {
  /** Largest body accepted or sent. Default MAX_MESSAGE_BYTES (1 MiB). */
  maxBytes?: number
  /** writeFrame: resolve only once the frame has left the stream's queue (see WriteAllOptions.flush). */
  flush?: boolean
}

export type Bytes = Uint8Array | Uint8ArrayList

/** The typed error for a stream we can no longer write to. */
function writeStateError (stream: Stream, cause?: unknown): NetError {
  if (stream.status === 'reset' || stream.status === 'aborted') {
    return streamCloseError(stream, cause instanceof Error ? cause : undefined)
  }
  return new StreamClosedError(`the writable end of the stream is ${stream.writeStatus}`, { cause })
}

/** Wait until the stream accepts another piece without queueing more than `maxQueuedBytes`. */
async function waitWritable (stream: Stream, maxQueuedBytes: number, signal?: AbortSignal): Promise<void> {
  while (true) {
    throwIfAborted(signal)
    if (stream.writeStatus !== 'writable') throw writeStateError(stream)
    const needsDrain = stream.writableNeedsDrain
    if (!needsDrain && stream.writeBufferLength <= maxQueuedBytes) return
    // `needsDrain` false with bytes still queued is the moment between a
    // 'drain' and the microtask that re-runs the queue: give it a tick rather
    // than wait for an event that may already have passed.
    await waitForEvent(stream, ['drain', 'idle', 'close'], signal, needsDrain ? undefined : 1)
  }
}

/**
 * Send every chunk with back-pressure, then close the writable end if
 * `options.close`. Resolves with the number of bytes sent.
 */
export async function writeAll (stream: Stream, chunks: AsyncIterable<Bytes> | Iterable<Bytes>, options: WriteAllOptions = {}): Promise<number> {
  const chunkBytes = options.chunkBytes ?? WRITE_CHUNK_BYTES
  const maxQueuedBytes = options.maxQueuedBytes ?? WRITE_MAX_QUEUED_BYTES
  if (!(chunkBytes > 0)) throw new InvalidArgumentError(`chunkBytes must be positive, got ${chunkBytes}`)
  const op = operationSignal(options, DEFAULT_STREAM_TIMEOUT_MS)
  let sent = 0
  try {
    for await (const chunk of chunks) {
      for (let offset = 0; offset < chunk.byteLength; offset += chunkBytes) {
        const end = Math.min(offset + chunkBytes, chunk.byteLength)
        const piece = chunk instanceof Uint8Array ? chunk.subarray(offset, end) : chunk.sublist(offset, end)
        await waitWritable(stream, maxQueuedBytes, op.signal)
        try {
          stream.send(piece)
        } catch (err) {
          throw writeStateError(stream, err)
        }
        sent += piece.byteLength
      }
    }
    if (options.flush === true) await waitWritable(stream, 0, op.signal)
    if (options.close === true) {
      throwIfAborted(op.signal)
      if (stream.writeStatus !== 'writable') throw writeStateError(stream)
      try {
        await stream.close({ signal: op.signal })
      } catch (err) {
        if (op.signal?.aborted === true) throw abortError(op.signal)
        throw writeStateError(stream, err)
      }
    }
    return sent
  } finally {
    op.done()
  }
}

/** Bytes of the unsigned varint for `n`. */
export function encodeFrameLength (n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`invalid frame length ${n}`)
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return Uint8Array.from(out)
}

/** Send one length-prefixed frame. MessageTooLargeError (nothing sent) if the payload exceeds `maxBytes`. */
export async function writeFrame (stream: Stream, payload: Bytes, options: FrameOptions = {}): Promise<void> {
  const maxBytes = options.maxBytes ?? MAX_MESSAGE_BYTES
  if (payload.byteLength > maxBytes) throw new MessageTooLargeError(payload.byteLength, maxBytes)
  // one list, so that a small frame leaves as one muxer frame
  await writeAll(stream, [new Uint8ArrayList(encodeFrameLength(payload.byteLength), payload)], { signal: options.signal, timeoutMs: options.timeoutMs, flush: options.flush })
}

/**
 * Send one length-prefixed frame followed by `body` as raw bytes (a header and
 * the block it announces), the frame travelling in the same muxer message as
 * the body's first bytes: one message, one encryption and one window update
 * fewer per block than writeFrame + writeAll. `maxBytes` applies to the frame.
 */
export async function writeFrameAndBody (stream: Stream, payload: Bytes, body: Uint8Array, options: FrameOptions = {}): Promise<void> {
  const maxBytes = options.maxBytes ?? MAX_MESSAGE_BYTES
  if (payload.byteLength > maxBytes) throw new MessageTooLargeError(payload.byteLength, maxBytes)
  const head = new Uint8ArrayList(encodeFrameLength(payload.byteLength), payload)
  const first = Math.min(body.byteLength, Math.max(0, WRITE_CHUNK_BYTES - head.byteLength))
  head.append(body.subarray(0, first))
  await writeAll(stream, [head, body.subarray(first)], { signal: options.signal, timeoutMs: options.timeoutMs, flush: options.flush })
}

/**
 * Read a frame's length prefix. Undefined at a clean end of stream before its
 * first byte; MalformedMessageError for a prefix longer than MAX_VARINT_BYTES
 * or not minimally encoded; MessageTooLargeError above `maxBytes`;
 * TruncatedMessageError if the stream ends inside it.
 */
export async function readFrameLength (reader: StreamReader, options: FrameOptions = {}): Promise<number | undefined> {
  const maxBytes = options.maxBytes ?? MAX_MESSAGE_BYTES
  const op = operationSignal(options, DEFAULT_STREAM_TIMEOUT_MS)
  try {
    let value = 0
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = await reader.readByte({ signal: op.signal, timeoutMs: Infinity })
      if (byte === undefined) {
        if (i === 0) return undefined
        throw new TruncatedMessageError(-1, i)
      }
      value += (byte & 0x7f) * 2 ** (7 * i)
      if ((byte & 0x80) === 0) {
        if (i > 0 && byte === 0) throw new MalformedMessageError('length prefix is not minimally encoded')
        if (value > Number.MAX_SAFE_INTEGER) throw new MalformedMessageError('length prefix exceeds 2^53 - 1')
        if (value > maxBytes) throw new MessageTooLargeError(value, maxBytes)
        return value
      }
    }
    throw new MalformedMessageError(`length prefix longer than ${MAX_VARINT_BYTES} bytes`)
  } finally {
    op.done()
  }
}

/** Read one whole frame (at most `maxBytes`). StreamEndedError if the stream ended cleanly before it. */
export async function readFrame (reader: StreamReader, options: FrameOptions = {}): Promise<Uint8Array> {
  const frame = await readFrameOrEnd(reader, options)
  if (frame === undefined) throw new StreamEndedError()
  return frame
}

/** Read one whole frame, or undefined at a clean end of stream before it (for request loops). */
export async function readFrameOrEnd (reader: StreamReader, options: FrameOptions = {}): Promise<Uint8Array | undefined> {
  const op = operationSignal(options, DEFAULT_STREAM_TIMEOUT_MS)
  try {
    const inner = { signal: op.signal, timeoutMs: Infinity, maxBytes: options.maxBytes }
    const length = await readFrameLength(reader, inner)
    if (length === undefined) return undefined
    return await reader.readExactly(length, inner)
  } finally {
    op.done()
  }
}

/** Every frame until the clean end of the stream; `timeoutMs` applies to each frame. */
export async function * readFrames (reader: StreamReader, options: FrameOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  while (true) {
    const frame = await readFrameOrEnd(reader, options)
    if (frame === undefined) return
    yield frame
  }
}
