/**
 * The receiving half of stream-io: a bounded buffer over a libp2p v3 stream's
 * 'message' events that pushes back on the remote. See stream-io.ts for why it
 * is written against the stream events rather than on @libp2p/utils.
 *
 * Memory on the receiving side (this buffer + the stream's own read buffer)
 * is bounded by
 *   highWaterBytes (or the length of a pending readExactly, if larger)
 *   + the yamux receive window (YAMUX_MAX_STREAM_WINDOW_BYTES: what the sender
 *     may still send after the pause, held in the stream while paused and
 *     handed over in one 'message' on resume)
 *   + one message of overshoot.
 *
 * Back-pressure, as verified in @libp2p/yamux 8 (stream.js) and
 * @libp2p/utils 7 (abstract-message-stream.js):
 * - yamux grants window back to the sender as soon as a data frame has been
 *   dispatched as a 'message' event, whether the application has processed it
 *   or not; the only brake is `pause()`, which stops window updates until
 *   `resume()`.
 * - while paused, frames still arriving (up to one window) are kept in the
 *   stream's read buffer; more than `maxReadBufferLength` resets the stream.
 * - the end of the data is the 'end' event (or `readableEnded`), emitted once
 *   the stream's read buffer is empty after the remote closed its write side.
 *   'remoteCloseWrite' can come while paused bytes are still buffered (trap 4),
 *   and 'end' can come before bytes read ahead during protocol negotiation are
 *   pushed back with `unshift()`: so "no more data" is
 *   `readableEnded && readBufferLength === 0`, never remote close-write.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { READ_CHUNK_BYTES, READ_HIGH_WATER_BYTES, READ_LOW_WATER_BYTES, DEFAULT_STREAM_TIMEOUT_MS } from './constants.js'
import { InvalidArgumentError, NetError, StreamAbortedError, StreamResetError, TruncatedMessageError } from './errors.js'
import { operationSignal, throwIfAborted, abortError, type TimeoutOptions } from './op-signal.js'
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'

export interface StreamReaderInit {
  /** Pause the stream when more than this many bytes are buffered locally. Default READ_HIGH_WATER_BYTES (1 MiB). */
  highWaterBytes?: number
  /** Resume it when the buffer falls below this. Default READ_LOW_WATER_BYTES (256 KiB). */
  lowWaterBytes?: number
}

export interface ReadBodyOptions extends TimeoutOptions {
  /** Largest chunk yielded. Default READ_CHUNK_BYTES (64 KiB). `timeoutMs` applies to the wait for each chunk. */
  chunkBytes?: number
}

/** What the reader has seen; for tests and metrics. */
export interface StreamReaderStats {
  /** Bytes handed to the caller. */
  bytesRead: number
  /** Largest local buffer seen, in bytes. */
  maxBufferedBytes: number
  /** Largest read buffer seen inside the stream (bytes received while paused). */
  maxStreamBufferedBytes: number
  /** Largest sum of both, sampled together: the receiver's memory for this stream. */
  maxTotalBufferedBytes: number
  /** Times the reader paused the remote. */
  pauses: number
}

/** The typed error for a stream that closed with an error. */
export function streamCloseError (stream: Stream, error?: Error): NetError {
  if (stream.status === 'reset') {
    return new StreamResetError(undefined, { cause: error })
  }
  return new StreamAbortedError(error != null ? `the stream was aborted: ${error.message}` : undefined, { cause: error })
}

export class StreamReader {
  readonly stream: Stream
  readonly stats: StreamReaderStats = { bytesRead: 0, maxBufferedBytes: 0, maxStreamBufferedBytes: 0, maxTotalBufferedBytes: 0, pauses: 0 }
  readonly #buffer = new Uint8ArrayList()
  readonly #highWaterBytes: number
  readonly #lowWaterBytes: number
  #error?: NetError
  #pausedByUs = false
  #resuming = false
  #released = false
  /** Bytes a pending read needs: the reader does not pause before it has them. */
  #wantBytes = 0
  #wake?: () => void

  constructor (stream: Stream, init: StreamReaderInit = {}) {
    this.stream = stream
    this.#highWaterBytes = init.highWaterBytes ?? READ_HIGH_WATER_BYTES
    this.#lowWaterBytes = init.lowWaterBytes ?? Math.min(READ_LOW_WATER_BYTES, this.#highWaterBytes)
    if (!(this.#lowWaterBytes >= 0 && this.#highWaterBytes >= this.#lowWaterBytes)) {
      throw new InvalidArgumentError(`need 0 <= lowWaterBytes (${this.#lowWaterBytes}) <= highWaterBytes (${this.#highWaterBytes})`)
    }
    if (stream.status === 'reset' || stream.status === 'aborted') {
      this.#error = streamCloseError(stream)
    }
    stream.addEventListener('message', this.#onMessage)
    stream.addEventListener('end', this.#onEnd)
    stream.addEventListener('close', this.#onClose)
  }

  /** Bytes buffered locally and not yet read. */
  get bufferedBytes (): number {
    return this.#buffer.byteLength
  }

  readonly #onMessage = (evt: StreamMessageEvent): void => {
    this.#buffer.append(evt.data)
    this.#sample()
    if (!this.#resuming) this.#maybePause()
    this.#notify()
  }

  #sample (): void {
    const stats = this.stats
    const buffered = this.#buffer.byteLength
    const inStream = this.stream.readBufferLength
    if (buffered > stats.maxBufferedBytes) stats.maxBufferedBytes = buffered
    if (inStream > stats.maxStreamBufferedBytes) stats.maxStreamBufferedBytes = inStream
    if (buffered + inStream > stats.maxTotalBufferedBytes) stats.maxTotalBufferedBytes = buffered + inStream
  }

  #maybePause (): void {
    if (this.#buffer.byteLength > Math.max(this.#highWaterBytes, this.#wantBytes) && this.stream.readStatus === 'readable') {
      this.stream.pause()
      this.#pausedByUs = true
      this.stats.pauses++
    }
  }

  readonly #onEnd = (): void => {
    this.#notify()
  }

  readonly #onClose = (evt: StreamCloseEvent): void => {
    if (evt.error != null && this.#error == null) {
      this.#error = streamCloseError(this.stream, evt.error)
    }
    this.#notify()
  }

  #notify (): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  /** True when the remote will send nothing more and the stream holds nothing unread. */
  #noMoreData (): boolean {
    return this.stream.readableEnded && this.stream.readBufferLength === 0
  }

  /**
   * `stream.resume()` first dispatches the bytes held while paused (to
   * #onMessage, synchronously) and only then tells yamux to resume, which
   * sends a window update. A `pause()` made inside that dispatch would leave
   * readStatus 'paused' while yamux keeps granting window: the stream's read
   * buffer then grows until libp2p resets the stream. So pausing waits until
   * `resume()` has returned.
   */
  #resume (): void {
    this.#pausedByUs = false
    if (this.stream.readStatus === 'paused') {
      this.#sample()
      this.#resuming = true
      try {
        this.stream.resume()
      } catch (err) {
        // the connection is closing under us (the window update cannot be sent)
        this.#error ??= streamCloseError(this.stream, err as Error)
      } finally {
        this.#resuming = false
      }
      this.#maybePause()
    }
  }

  async #waitWake (signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal)
    if (this.#wake != null) throw new InvalidArgumentError('one read at a time: a StreamReader does not support concurrent reads')
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#wake = undefined
        reject(abortError(signal as AbortSignal))
      }
      this.#wake = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * Wait until `bytes` are buffered or no more will come. Bytes that arrived
   * before a reset or abort are still handed out (a peer's last answer often
   * comes just before its reset); the error is raised once they do not suffice.
   */
  async #fill (bytes: number, options: TimeoutOptions): Promise<void> {
    if (this.#released) throw new InvalidArgumentError('the reader was released')
    if (this.#buffer.byteLength >= bytes) return
    this.#throwError()
    throwIfAborted(options.signal)
    if (this.#noMoreData()) return
    const op = operationSignal(options, DEFAULT_STREAM_TIMEOUT_MS)
    this.#wantBytes = bytes
    try {
      while (true) {
        if (this.#released) throw new InvalidArgumentError('the reader was released')
        if (this.#buffer.byteLength >= bytes) return
        this.#throwError()
        if (this.#noMoreData()) return
        if (this.#pausedByUs) {
          this.#resume()
          continue
        }
        await this.#waitWake(op.signal)
      }
    } finally {
      this.#wantBytes = 0
      op.done()
    }
  }

  /** Raises the stored stream error; what is left in the buffer is dropped, so later reads fail alike. */
  #throwError (): void {
    if (this.#error == null) return
    this.#buffer.consume(this.#buffer.byteLength)
    throw this.#error
  }

  /** Remove `n` buffered bytes, as one Uint8Array (no copy when they lie in one received chunk), and resume the remote below the low-water mark. */
  #take (n: number): Uint8Array {
    const view = this.#buffer.subarray(0, n)
    this.#buffer.consume(n)
    // a plain Uint8Array view (no copy): the transport hands out Node Buffers
    const out = new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
    this.stats.bytesRead += n
    if (this.#pausedByUs && this.#buffer.byteLength < this.#lowWaterBytes) {
      this.#resume()
    }
    return out
  }

  /** The next byte, or undefined at a clean end of stream. */
  async readByte (options: TimeoutOptions = {}): Promise<number | undefined> {
    await this.#fill(1, options)
    if (this.#buffer.byteLength === 0) return undefined
    return this.#take(1)[0]
  }

  /** Up to `maxBytes` (at least one) bytes as soon as any are available, or undefined at a clean end of stream. */
  async readSome (maxBytes: number = READ_CHUNK_BYTES, options: TimeoutOptions = {}): Promise<Uint8Array | undefined> {
    await this.#fill(1, options)
    const n = Math.min(maxBytes, this.#buffer.byteLength)
    if (n === 0) return undefined
    return this.#take(n)
  }

  /** Exactly `length` bytes; TruncatedMessageError if the stream ends first. Buffers all of them: use readBody for large bodies. */
  async readExactly (length: number, options: TimeoutOptions = {}): Promise<Uint8Array> {
    checkLength(length)
    if (length === 0) return new Uint8Array(0)
    await this.#fill(length, options)
    if (this.#buffer.byteLength < length) {
      throw new TruncatedMessageError(length, this.#buffer.byteLength)
    }
    return this.#take(length)
  }

  /**
   * Exactly `length` bytes as chunks of at most `chunkBytes`, never holding
   * more than the high-water mark: for shard bodies after a header frame.
   * TruncatedMessageError if the stream ends first.
   */
  async * readBody (length: number, options: ReadBodyOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    checkLength(length)
    const chunkBytes = options.chunkBytes ?? READ_CHUNK_BYTES
    let remaining = length
    while (remaining > 0) {
      await this.#fill(1, options)
      if (this.#buffer.byteLength === 0) {
        throw new TruncatedMessageError(length, length - remaining)
      }
      const n = Math.min(remaining, chunkBytes, this.#buffer.byteLength)
      remaining -= n
      yield this.#take(n)
    }
  }

  /** Every remaining byte as chunks, until the clean end of the stream. */
  async * readToEnd (options: ReadBodyOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    while (true) {
      const chunk = await this.readSome(options.chunkBytes ?? READ_CHUNK_BYTES, options)
      if (chunk === undefined) return
      yield chunk
    }
  }

  /**
   * Stop reading and detach from the stream, resuming it if the reader had
   * paused it. Unread bytes go back to the stream (`unshift`) while its
   * readable end is open, for the next consumer; once it is closed they
   * cannot, and are returned instead. Resolves to the bytes not handed back
   * (empty in the first case).
   */
  release (): Uint8ArrayList {
    const unread = new Uint8ArrayList()
    if (this.#released) return unread
    this.#released = true
    this.stream.removeEventListener('message', this.#onMessage)
    this.stream.removeEventListener('end', this.#onEnd)
    this.stream.removeEventListener('close', this.#onClose)
    unread.append(this.#buffer.sublist())
    this.#buffer.consume(this.#buffer.byteLength)
    const open = this.stream.readStatus === 'readable' || this.stream.readStatus === 'paused'
    if (open && unread.byteLength > 0) {
      this.stream.unshift(unread.sublist())
      unread.consume(unread.byteLength)
    }
    if (open && this.#pausedByUs) {
      this.#pausedByUs = false
      try {
        // resume() sends a window update at once, and throws if the connection
        // under the stream is already closing: nothing left to resume then.
        this.stream.resume()
      } catch {}
    }
    this.#notify()
    return unread
  }
}

function checkLength (length: number): void {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new InvalidArgumentError(`invalid length ${length}`)
  }
}

/** Attach a bounded, back-pressured reader to a stream. Attach it as soon as the stream exists: unread streams are reset once libp2p's read buffer limit is passed (trap 5). */
export function createStreamReader (stream: Stream, init: StreamReaderInit = {}): StreamReader {
  return new StreamReader(stream, init)
}
