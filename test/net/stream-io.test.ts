/**
 * stream-io over real libp2p streams (TCP on 127.0.0.1, noise, yamux): two
 * nodes in one process and a test protocol whose server can be told to
 * misbehave. Every error must arrive as a typed error (asserted on `name`)
 * and the server must still answer a good request afterwards.
 */
import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  MAX_MESSAGE_BYTES, READ_HIGH_WATER_BYTES, WRITE_CHUNK_BYTES, YAMUX_MAX_STREAM_WINDOW_BYTES
} from '../../src/net/constants.js'
import {
  createStreamReader, encodeFrameLength, readFrame, readFrameOrEnd, readFrames, writeAll, writeFrame, writeFrameAndBody, type StreamReader
} from '../../src/net/stream-io.js'
import { Harness, prng, randomBytes, sleep, waitFor } from './helpers.js'
import type { ShoalLibp2p } from '../../src/net/libp2p.js'
import type { Stream } from '@libp2p/interface'

const PROTOCOL = '/shoal/test-io/1.0.0'
const SEED = 0x51a7e
const MiB = 1024 * 1024

const enc = new TextEncoder()
const dec = new TextDecoder()
const json = (value: unknown): Uint8Array => enc.encode(JSON.stringify(value))
const parse = (bytes: Uint8Array): any => JSON.parse(dec.decode(bytes))

interface SinkReport {
  sha256: string
  bytes: number
  maxBufferedBytes: number
  maxStreamBufferedBytes: number
  maxTotalBufferedBytes: number
  pauses: number
}

/** What the server saw, for assertions. */
interface ServerLog {
  errors: string[]
  sinks: SinkReport[]
  /** Streams the server holds open on purpose ('silent', 'stall'); released in afterEach by stopping the nodes. */
  held: Stream[]
}

async function waitClosed (stream: Stream): Promise<void> {
  if (stream.status !== 'open') return
  await new Promise<void>(resolve => { stream.addEventListener('close', () => { resolve() }, { once: true }) })
}

/** The test protocol. The first frame is a JSON request `{ op, ... }`. */
function serve (serverLog: ServerLog) {
  return async (stream: Stream): Promise<void> => {
    const reader = createStreamReader(stream)
    try {
      const req = parse(await readFrame(reader, { timeoutMs: 10_000 }))
      switch (req.op) {
        case 'echo': // echo every frame until the client closes, then close
          for await (const frame of readFrames(reader, { timeoutMs: 10_000 })) {
            await writeFrame(stream, frame, { timeoutMs: 10_000 })
          }
          await stream.close()
          return
        case 'sink': { // read `length` raw bytes slowly, answer with their hash
          const rand = prng(req.seed)
          const hash = createHash('sha256')
          let bytes = 0
          for await (const chunk of reader.readBody(req.length, { timeoutMs: 10_000 })) {
            hash.update(chunk)
            bytes += chunk.byteLength
            await sleep(1 + Math.floor(rand() * 5)) // a slow consumer: 1-5 ms per chunk
          }
          const report: SinkReport = { sha256: hash.digest('hex'), bytes, ...reader.stats }
          serverLog.sinks.push(report)
          await writeFrame(stream, json(report))
          await stream.close()
          return
        }
        case 'oversized': // a prefix announcing MAX + 1, then some body
          await writeAll(stream, [encodeFrameLength(MAX_MESSAGE_BYTES + 1), new Uint8Array(1000)])
          serverLog.held.push(stream)
          await waitClosed(stream)
          return
        case 'truncated-body':
          await writeAll(stream, [encodeFrameLength(1000), new Uint8Array(10)], { close: true })
          return
        case 'truncated-prefix':
          await writeAll(stream, [Uint8Array.of(0x80)], { close: true })
          return
        case 'garbage':
          await writeAll(stream, [new Uint8Array(10).fill(0xff)], { close: true })
          return
        case 'reset': // half a frame, then reset
          await writeAll(stream, [encodeFrameLength(100_000), new Uint8Array(50_000)])
          await sleep(50)
          stream.abort(new Error('test reset'))
          return
        case 'silent': // never answer
          serverLog.held.push(stream)
          await waitClosed(stream)
          return
        case 'stall': // stop reading after the request
          serverLog.held.push(stream)
          await waitClosed(stream)
          return
        default:
          throw new Error(`unknown op ${String(req.op)}`)
      }
    } catch (err: any) {
      serverLog.errors.push(err.name)
      // a failure travels back as a status frame, then the stream closes
      try {
        await writeFrame(stream, json({ error: err.name }), { timeoutMs: 2_000 })
        await stream.close({ signal: AbortSignal.timeout(2_000) })
      } catch {
        stream.abort(err)
      }
    }
  }
}

describe('stream-io over libp2p', () => {
  const harness = new Harness()
  let client: ShoalLibp2p
  let server: ShoalLibp2p
  let serverLog: ServerLog

  beforeEach(async () => {
    serverLog = { errors: [], sinks: [], held: [] }
    server = await harness.node()
    client = await harness.node()
    await server.handle(PROTOCOL, serve(serverLog))
  })

  afterEach(async () => {
    await harness.cleanup()
  })

  async function open (request: unknown): Promise<{ stream: Stream, reader: StreamReader }> {
    const stream = await client.dialProtocol(server.getMultiaddrs(), PROTOCOL, { signal: AbortSignal.timeout(5_000) })
    const reader = createStreamReader(stream)
    await writeFrame(stream, json(request))
    return { stream, reader }
  }

  /** The server still answers a good request. */
  async function expectHealthy (): Promise<void> {
    const { stream, reader } = await open({ op: 'echo' })
    const payload = randomBytes(prng(SEED + 1), 3000)
    await writeFrame(stream, payload)
    await stream.close()
    expect(await readFrame(reader, { timeoutMs: 5_000 })).toEqual(payload)
    expect(await readFrameOrEnd(reader, { timeoutMs: 5_000 })).toBeUndefined()
  }

  it(`64 MiB to a slow consumer: every byte arrives, both sides stay bounded (seed ${SEED})`, async () => {
    const total = 64 * MiB
    const chunkBytes = WRITE_CHUNK_BYTES
    const stream = await client.dialProtocol(server.getMultiaddrs(), PROTOCOL)
    const reader = createStreamReader(stream)
    await writeFrame(stream, json({ op: 'sink', length: total, seed: SEED }))

    const hash = createHash('sha256')
    let maxQueued = 0
    const sample = (): void => { maxQueued = Math.max(maxQueued, stream.writeBufferLength) }
    const sampler = setInterval(sample, 1)
    const rand = prng(SEED)
    // the generator is pulled right after the previous chunk went to send(): the queue's peak
    async function * source (): AsyncGenerator<Uint8Array> {
      for (let sent = 0; sent < total; sent += chunkBytes) {
        sample()
        const chunk = randomBytes(rand, Math.min(chunkBytes, total - sent))
        hash.update(chunk)
        yield chunk
      }
      sample()
    }
    try {
      const start = Date.now()
      expect(await writeAll(stream, source(), { close: true, timeoutMs: 60_000 })).toBe(total)
      const report: SinkReport = parse(await readFrame(reader, { timeoutMs: 30_000 }))
      const ms = Date.now() - start

      expect(report.bytes).toBe(total)
      expect(report.sha256).toBe(hash.digest('hex'))
      // sender: never more than one piece queued beyond the muxer window
      expect(maxQueued).toBeGreaterThan(0)
      expect(maxQueued).toBeLessThanOrEqual(chunkBytes)
      // receiver: the reader paused the sender, and its memory stayed bounded
      expect(report.pauses).toBeGreaterThan(0)
      expect(report.maxStreamBufferedBytes).toBeLessThanOrEqual(YAMUX_MAX_STREAM_WINDOW_BYTES + chunkBytes)
      expect(report.maxBufferedBytes).toBeLessThanOrEqual(READ_HIGH_WATER_BYTES + YAMUX_MAX_STREAM_WINDOW_BYTES + chunkBytes)
      expect(report.maxTotalBufferedBytes).toBeLessThanOrEqual(READ_HIGH_WATER_BYTES + YAMUX_MAX_STREAM_WINDOW_BYTES + chunkBytes)
      console.log(`64 MiB slow-consumer transfer: ${ms} ms, sender queue max ${maxQueued} B, receiver max ${report.maxTotalBufferedBytes} B (reader ${report.maxBufferedBytes} B, stream ${report.maxStreamBufferedBytes} B), ${report.pauses} pauses`)
    } finally {
      clearInterval(sampler)
    }
    await expectHealthy()
  }, 60_000)

  it(`frames round trip at many sizes, 0 and MAX included (seed ${SEED})`, async () => {
    const rand = prng(SEED)
    const sizes = [0, 1, 127, 128, 255, 256, 16_383, 16_384, 65_535, 65_536, 65_537, 262_144, MAX_MESSAGE_BYTES - 1, MAX_MESSAGE_BYTES, 0]
    for (let i = 0; i < 30; i++) sizes.push(Math.floor(rand() * 300_000))
    const frames = sizes.map(size => randomBytes(rand, size))

    const { stream, reader } = await open({ op: 'echo' })
    const received: Uint8Array[] = []
    await Promise.all([
      (async () => {
        for (const frame of frames) await writeFrame(stream, frame, { timeoutMs: 10_000 })
        await stream.close()
      })(),
      (async () => {
        for await (const frame of readFrames(reader, { timeoutMs: 10_000 })) received.push(frame)
      })()
    ])
    expect(received.length).toBe(frames.length)
    for (let i = 0; i < frames.length; i++) {
      expect(received[i].byteLength).toBe(frames[i].byteLength)
      expect(Buffer.from(received[i]).equals(Buffer.from(frames[i]))).toBe(true)
    }
  }, 30_000)

  it(`writeFrameAndBody: frame then body arrive intact at many body sizes, and the frame shares the body's first message (seed ${SEED})`, async () => {
    const rand = prng(SEED + 7)
    const sizes = [0, 1, 1000, WRITE_CHUNK_BYTES - 10, WRITE_CHUNK_BYTES, WRITE_CHUNK_BYTES + 1, 349_525, 1_000_000]
    const cases = sizes.map(size => ({ header: randomBytes(rand, 40), body: randomBytes(rand, size) }))
    const received: Uint8Array[] = []
    const other = new Promise<void>((resolve, reject) => {
      void server.handle(`${PROTOCOL}-body`, async (inbound: Stream) => {
        try {
          const reader = createStreamReader(inbound)
          for (const c of cases) {
            received.push(await readFrame(reader, { timeoutMs: 5_000 }))
            received.push(await reader.readExactly(c.body.byteLength, { timeoutMs: 5_000 }))
          }
          await inbound.close()
          resolve()
        } catch (err) { reject(err) }
      })
    })
    const body = await client.dialProtocol(server.getMultiaddrs(), `${PROTOCOL}-body`, { signal: AbortSignal.timeout(5_000) })
    const pieces: number[] = []
    const bodySend = body.send.bind(body)
    body.send = (data) => { pieces.push(data.byteLength); return bodySend(data) }
    for (const c of cases) await writeFrameAndBody(body, c.header, c.body, { timeoutMs: 10_000 })
    await body.close()
    await other
    for (const [i, c] of cases.entries()) {
      expect(Buffer.from(received[2 * i]).equals(Buffer.from(c.header))).toBe(true)
      expect(Buffer.from(received[2 * i + 1]).equals(Buffer.from(c.body))).toBe(true)
    }
    // 1 + 40 header bytes ride with the body: pieces never exceed WRITE_CHUNK_BYTES, and a
    // small body leaves as one piece with its header
    expect(Math.max(...pieces)).toBeLessThanOrEqual(WRITE_CHUNK_BYTES)
    expect(pieces.slice(0, 3)).toEqual([41, 41 + 1, 41 + 1000])
    expect(pieces.length).toBe(cases.reduce((n, c) => n + Math.max(1, Math.ceil((41 + c.body.byteLength) / WRITE_CHUNK_BYTES)), 0))
  })

  it('writeFrame refuses a payload over the limit without sending anything', async () => {
    const { stream } = await open({ op: 'echo' })
    await expect(writeFrame(stream, new Uint8Array(MAX_MESSAGE_BYTES + 1))).rejects.toMatchObject({
      name: 'MessageTooLargeError', size: MAX_MESSAGE_BYTES + 1, limit: MAX_MESSAGE_BYTES
    })
    await expect(writeFrame(stream, new Uint8Array(11), { maxBytes: 10 })).rejects.toMatchObject({ name: 'MessageTooLargeError' })
    stream.abort(new Error('done'))
    await expectHealthy()
  })

  it('an oversized prefix is a MessageTooLargeError before the body is buffered', async () => {
    const { stream, reader } = await open({ op: 'oversized' })
    const err = await readFrame(reader, { timeoutMs: 5_000 }).catch(e => e)
    expect(err).toMatchObject({ name: 'MessageTooLargeError', size: MAX_MESSAGE_BYTES + 1, limit: MAX_MESSAGE_BYTES })
    expect(reader.stats.bytesRead).toBe(encodeFrameLength(MAX_MESSAGE_BYTES + 1).byteLength)
    expect(reader.bufferedBytes).toBeLessThanOrEqual(1000)
    stream.abort(err)
    await expectHealthy()
  })

  it('a body cut short is a TruncatedMessageError', async () => {
    const { stream, reader } = await open({ op: 'truncated-body' })
    await expect(readFrame(reader, { timeoutMs: 5_000 })).rejects.toMatchObject({ name: 'TruncatedMessageError', expected: 1000, received: 10 })
    stream.abort(new Error('done'))
    await expectHealthy()
  })

  it('a prefix cut short is a TruncatedMessageError', async () => {
    const { stream, reader } = await open({ op: 'truncated-prefix' })
    await expect(readFrame(reader, { timeoutMs: 5_000 })).rejects.toMatchObject({ name: 'TruncatedMessageError', expected: -1, received: 1 })
    stream.abort(new Error('done'))
    await expectHealthy()
  })

  it('a clean end where a frame was required is a StreamEndedError; readFrameOrEnd gives undefined', async () => {
    const { stream, reader } = await open({ op: 'echo' })
    await stream.close()
    expect(await readFrameOrEnd(reader, { timeoutMs: 5_000 })).toBeUndefined()
    await expect(readFrame(reader, { timeoutMs: 5_000 })).rejects.toMatchObject({ name: 'StreamEndedError' })
    await expectHealthy()
  })

  it('a garbage varint prefix is a MalformedMessageError', async () => {
    const { stream, reader } = await open({ op: 'garbage' })
    await expect(readFrame(reader, { timeoutMs: 5_000 })).rejects.toMatchObject({ name: 'MalformedMessageError' })
    stream.abort(new Error('done'))
    await expectHealthy()
  })

  it('the server side turns bad requests into typed errors and answers with a status', async () => {
    // garbage prefix
    let stream = await client.dialProtocol(server.getMultiaddrs(), PROTOCOL)
    let reader = createStreamReader(stream)
    await writeAll(stream, [new Uint8Array(12).fill(0xff)])
    expect(parse(await readFrame(reader, { timeoutMs: 5_000 }))).toEqual({ error: 'MalformedMessageError' })
    // oversized request: refused on the prefix alone
    stream = await client.dialProtocol(server.getMultiaddrs(), PROTOCOL)
    reader = createStreamReader(stream)
    await writeAll(stream, [encodeFrameLength(64 * MiB)])
    expect(parse(await readFrame(reader, { timeoutMs: 5_000 }))).toEqual({ error: 'MessageTooLargeError' })
    // request cut short
    stream = await client.dialProtocol(server.getMultiaddrs(), PROTOCOL)
    reader = createStreamReader(stream)
    await writeAll(stream, [encodeFrameLength(100), new Uint8Array(5)], { close: true })
    expect(parse(await readFrame(reader, { timeoutMs: 5_000 }))).toEqual({ error: 'TruncatedMessageError' })
    expect(serverLog.errors).toEqual(['MalformedMessageError', 'MessageTooLargeError', 'TruncatedMessageError'])
    await expectHealthy()
  })

  it('a stream reset mid-frame is a StreamResetError', async () => {
    const { reader } = await open({ op: 'reset' })
    await expect(readFrame(reader, { timeoutMs: 5_000 })).rejects.toMatchObject({ name: 'StreamResetError' })
    // and the next read says the same, it does not hang
    await expect(readFrame(reader, { timeoutMs: 5_000 })).rejects.toMatchObject({ name: 'StreamResetError' })
    await expectHealthy()
  })

  it('a peer that never answers is a StreamTimeoutError; a caller abort is an AbortError', async () => {
    const { stream, reader } = await open({ op: 'silent' })
    const start = Date.now()
    await expect(readFrame(reader, { timeoutMs: 300 })).rejects.toMatchObject({ name: 'StreamTimeoutError', timeoutMs: 300 })
    expect(Date.now() - start).toBeGreaterThanOrEqual(250)
    expect(Date.now() - start).toBeLessThan(3_000)
    // a caller's AbortSignal.timeout is a timeout too
    await expect(readFrame(reader, { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'StreamTimeoutError' })
    // any other abort is an AbortError carrying the reason
    const controller = new AbortController()
    setTimeout(() => { controller.abort(new Error('user gave up')) }, 50)
    await expect(readFrame(reader, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError', cause: { message: 'user gave up' } })
    stream.abort(new Error('done'))
    await expectHealthy()
  })

  it('writing to a peer that stopped reading stalls at its window and times out', async () => {
    const { stream } = await open({ op: 'stall' })
    let offered = 0
    function * forever (): Generator<Uint8Array> {
      const chunk = new Uint8Array(WRITE_CHUNK_BYTES)
      while (true) {
        offered += chunk.byteLength
        yield chunk
      }
    }
    await expect(writeAll(stream, forever(), { timeoutMs: 1_000 })).rejects.toMatchObject({ name: 'StreamTimeoutError' })
    // the server's reader buffers up to its high-water mark, the stream up to a window: then the sender waits
    expect(offered).toBeLessThanOrEqual(READ_HIGH_WATER_BYTES + 2 * YAMUX_MAX_STREAM_WINDOW_BYTES + 2 * WRITE_CHUNK_BYTES)
    expect(stream.writeBufferLength).toBeLessThanOrEqual(WRITE_CHUNK_BYTES)
    stream.abort(new Error('done'))
    // writing to an aborted stream is a typed error too
    await expect(writeAll(stream, [new Uint8Array(1)])).rejects.toMatchObject({ name: 'StreamAbortedError' })
    await expectHealthy()
  })

  it('release() hands unread bytes back to the open stream, or returns them once it has ended', async () => {
    const { stream, reader } = await open({ op: 'echo' })
    await writeFrame(stream, enc.encode('first'))
    await writeFrame(stream, enc.encode('second'))
    expect(dec.decode(await readFrame(reader, { timeoutMs: 5_000 }))).toBe('first')
    // wait until the echoed second frame sits in the reader's buffer, then hand it back
    await waitFor(() => reader.bufferedBytes === 7, 5_000, 'the second frame')
    expect(reader.release().byteLength).toBe(0)
    const next = createStreamReader(stream)
    expect(dec.decode(await readFrame(next, { timeoutMs: 5_000 }))).toBe('second')
    // once the stream has ended, unread bytes come back from release()
    await writeFrame(stream, enc.encode('third'))
    await stream.close()
    await waitFor(() => next.bufferedBytes === 6 && stream.readableEnded, 5_000, 'the end of the stream')
    const unread = next.release()
    expect(dec.decode(unread.subarray())).toBe('\x05third')
    await expect(readFrame(next)).rejects.toMatchObject({ name: 'InvalidArgumentError' })
  })
})
