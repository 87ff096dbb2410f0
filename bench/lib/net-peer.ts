/**
 * One peer of the network benchmark, in its own process, driven by
 * bench/network.ts over stdin/stdout (one JSON object per line each way):
 *
 *   node --import tsx bench/lib/net-peer.ts '<PeerConfig as JSON>'
 *
 * prints {type:'ready', peerId, addrs, pid}, then answers each Command line
 * with {type:'ok', cmd, result} or {type:'error', cmd, name, message}.
 * Storage peers keep a filesystem store and serve RAW_PROTOCOL; clients
 * (the putter and the getter) store nothing (capacity 0) and run the timed
 * operations, sampling their own RSS every 50 ms. The process exits on
 * `exit`, or when its stdin closes (the orchestrator died).
 */
import '../../src/polyfill.js'
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import { peerIdFromString } from '@libp2p/peer-id'
import { createNode } from '../../src/index.js'
import { createStreamReader, readFrame, writeAll, writeFrame } from '../../src/net/stream-io.js'
import { fileBytes, fileSha256, MiB, RAW_PROTOCOL } from './net-shared.js'
import type { Answer, Command, CpuSeconds, GetReport, OpReport, PeerConfig, PutReport, UsageReport } from './net-shared.js'
import type { NodeProgressEvent, ShoalNode } from '../../src/index.js'
import type { Connection, Stream } from '@libp2p/interface'

const config = JSON.parse(process.argv[2] ?? '{}') as PeerConfig
/** SHOAL_BENCH_TRACE=1: timing lines on stderr (see net-trace.ts; run the orchestrator with --verbose). */
const trace = process.env.SHOAL_BENCH_TRACE === '1' ? await import('./net-trace.js') : undefined
trace?.installTrace()
const encoder = new TextEncoder()
const decoder = new TextDecoder()

function send (answer: Answer): void {
  process.stdout.write(`${JSON.stringify(answer)}\n`)
}

/** The largest RSS seen since the last reset, sampled every 50 ms. */
class RssSampler {
  peak = 0
  private readonly timer: ReturnType<typeof setInterval> | undefined
  constructor (periodic: boolean) {
    this.reset()
    if (periodic) {
      this.timer = setInterval(() => { this.sample() }, 50)
      this.timer.unref()
    }
  }

  sample (): number {
    const rss = process.memoryUsage.rss()
    if (rss > this.peak) this.peak = rss
    return rss
  }

  reset (): number {
    this.peak = 0
    return this.sample()
  }

  stop (): void {
    clearInterval(this.timer)
  }
}

/** Only the putter and the getter sample their RSS; storage peers' RSS is not a target (and sampling costs CPU). */
const sampler = new RssSampler(config.role === 'client')

function cpuSince (start: NodeJS.CpuUsage): CpuSeconds {
  const d = process.cpuUsage(start)
  return { user: d.user / 1e6, system: d.system / 1e6 }
}

/** Runs `work` as one timed operation: wall time, CPU time, peak RSS. */
async function timed<T extends { bytes: number }> (work: (t0: number) => Promise<T>): Promise<T & OpReport> {
  const startRss = sampler.reset()
  const cpu0 = process.cpuUsage()
  const clock0 = process.hrtime.bigint()
  const t0 = performance.now()
  const result = await work(t0)
  const seconds = (performance.now() - t0) / 1000
  const clock1 = process.hrtime.bigint()
  const cpu = cpuSince(cpu0)
  sampler.sample()
  // the monotonic clock in µs, as in the timestamps of a --cpu-prof profile
  const clockUs: [number, number] = [Number(clock0 / 1000n), Number(clock1 / 1000n)]
  return { ...result, seconds, cpu, peakRss: sampler.peak, startRss, clockUs }
}

/** `bytes` bytes as views of one 1 MiB buffer (the raw stream measures the stream, not a generator). */
function * repeated (bytes: number): Generator<Uint8Array> {
  const [block] = fileBytes(Math.min(bytes, MiB), 0xbeef)
  for (let left = bytes; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left)
}

function describeError (err: unknown): string {
  const parts: string[] = []
  for (let e = err as Error | undefined; e != null && parts.length < 5; e = e.cause as Error | undefined) parts.push(`${e.name}: ${e.message}`)
  return parts.join(' <- ')
}

/** Storage side of RAW_PROTOCOL. */
async function serveRaw (stream: Stream, connection: Connection): Promise<void> {
  const reader = createStreamReader(stream)
  try {
    const request = JSON.parse(decoder.decode(await readFrame(reader, { timeoutMs: 30_000 }))) as { op: string, bytes: number, timeoutMs: number }
    const timeoutMs = request.timeoutMs
    if (request.op === 'pull') {
      await writeAll(stream, repeated(request.bytes), { close: true, timeoutMs })
    } else if (request.op === 'push') {
      // Our reader is attached now: let the client start. Without this, a
      // client that streams right after opening can overrun the stream's read
      // buffer while this handler has not run yet, and libp2p aborts it.
      await writeFrame(stream, encoder.encode(JSON.stringify({ ready: true })), { timeoutMs: 30_000 })
      let received = 0
      for await (const chunk of reader.readToEnd({ timeoutMs: 30_000 })) received += chunk.length
      await writeFrame(stream, encoder.encode(JSON.stringify({ bytes: received })), { timeoutMs: 30_000 })
      await stream.close()
    } else {
      throw new Error(`unknown raw op ${String(request.op)}`)
    }
  } catch (err) {
    process.stderr.write(`${config.name}: raw stream failed: ${describeError(err)} (stream ${stream.status}, connection ${connection.status} ${connection.direction})\n`)
    stream.abort(err as Error)
  } finally {
    reader.release()
  }
}

/**
 * Client side of RAW_PROTOCOL: one stream to each peer, all at once, `bytes`
 * split evenly among them. A failure is retried once on fresh streams (as
 * shoal's RemoteHolder does for a broken shard session); it is reported on
 * stderr and counted in `retries`.
 */
async function raw (node: ShoalNode, op: 'pull' | 'push', peers: string[], bytes: number, timeoutMs: number): Promise<OpReport & { retries: number }> {
  try {
    return { ...await rawOnce(node, op, peers, bytes, timeoutMs), retries: 0 }
  } catch (err) {
    const connections = peers.flatMap(p => node.libp2p.getConnections(peerIdFromString(p))).map(c => `${c.direction} ${c.status}`).join(', ')
    process.stderr.write(`${config.name}: raw ${op} failed, trying once more on new streams: ${describeError(err)} (connections to the peers now: ${connections === '' ? 'none' : connections})\n`)
    return { ...await rawOnce(node, op, peers, bytes, timeoutMs), retries: 1 }
  }
}

/**
 * pull: timed from the requests to the last byte of the last stream.
 * push: every peer says when its reader is attached, then timed from the
 * first byte sent to the last peer's receipt of its last byte.
 */
async function rawOnce (node: ShoalNode, op: 'pull' | 'push', peers: string[], bytes: number, timeoutMs: number): Promise<OpReport> {
  if (peers.length === 0) throw new Error(`raw ${op}: no peers`)
  const shares = peers.map((_, i) => Math.floor(bytes / peers.length) + (i < bytes % peers.length ? 1 : 0))
  const streams: Stream[] = []
  const readers: Array<ReturnType<typeof createStreamReader>> = []
  try {
    for (const peer of peers) {
      const stream = await node.libp2p.dialProtocol(peerIdFromString(peer), RAW_PROTOCOL, { signal: AbortSignal.timeout(30_000) })
      streams.push(stream)
      readers.push(createStreamReader(stream))
    }
    const request = (i: number): Uint8Array => encoder.encode(JSON.stringify({ op, bytes: shares[i], timeoutMs }))
    if (op === 'push') {
      await Promise.all(streams.map(async (stream, i) => {
        await writeFrame(stream, request(i))
        await readFrame(readers[i], { timeoutMs: 30_000 })
      }))
    }
    const received = await timed(async () => {
      const counts = await Promise.all(streams.map(async (stream, i) => {
        let count = 0
        if (op === 'pull') {
          await writeFrame(stream, request(i))
          for await (const chunk of readers[i].readToEnd({ timeoutMs: 30_000 })) count += chunk.length
          await stream.close()
        } else {
          await writeAll(stream, repeated(shares[i]), { close: true, timeoutMs })
          count = (JSON.parse(decoder.decode(await readFrame(readers[i], { timeoutMs: 30_000 }))) as { bytes: number }).bytes
        }
        if (count !== shares[i]) throw new Error(`raw ${op}: ${count} bytes arrived of ${shares[i]} (stream ${i + 1} of ${peers.length})`)
        return count
      }))
      return { bytes: counts.reduce((a, b) => a + b, 0) }
    })
    return received
  } catch (err) {
    for (const stream of streams) stream.abort(err as Error)
    throw err
  } finally {
    for (const reader of readers) reader.release()
  }
}

async function waitPeers (node: ShoalNode, count: number, timeoutMs: number): Promise<{ peers: number }> {
  const deadline = Date.now() + timeoutMs
  let found = 0
  while (true) {
    found = (await node.peers()).filter(p => p.freeBytes > 0).length
    if (found >= count) return { peers: found }
    if (Date.now() > deadline) throw new Error(`only ${found} of ${count} storage peers found after ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

async function put (node: ShoalNode, c: Extract<Command, { cmd: 'put' }>): Promise<PutReport> {
  const marks: Record<string, number> = {}
  return await timed(async (t0) => {
    const onProgress = (e: NodeProgressEvent): void => {
      trace?.traceEvent(t0, e.type, e.detail)
      if (e.type === 'node:put:placement' || e.type === 'node:put:manifest') marks[e.type] ??= (performance.now() - t0) / 1000
    }
    const result = await node.put(fileBytes(c.size, c.seed), {
      dataShards: c.dataShards,
      parityShards: c.parityShards,
      size: c.size,
      encrypt: c.encrypt,
      ...(c.stripeBytes !== undefined ? { stripeBytes: c.stripeBytes } : {}),
      signal: AbortSignal.timeout(c.timeoutMs),
      onProgress
    })
    if (result.size !== c.size) throw new Error(`put stored ${result.size} bytes of ${c.size}`)
    return { bytes: result.size, handle: result.handle, holders: result.holders, placementSeconds: marks['node:put:placement'], shardsSeconds: marks['node:put:manifest'] }
  })
}

async function get (node: ShoalNode, c: Extract<Command, { cmd: 'get' }>): Promise<GetReport> {
  return await timed(async (t0) => {
    let size = 0
    const hash = createHash('sha256')
    let hashMs = 0
    let manifestSeconds: number | undefined
    let firstByteSeconds: number | undefined
    const onProgress = (e: NodeProgressEvent): void => {
      trace?.traceEvent(t0, e.type, e.detail)
      if (e.type === 'node:get:manifest') manifestSeconds ??= (performance.now() - t0) / 1000
    }
    for await (const chunk of node.get(c.handle, { signal: AbortSignal.timeout(c.timeoutMs), onProgress })) {
      const h0 = performance.now()
      firstByteSeconds ??= (h0 - t0) / 1000
      hash.update(chunk)
      hashMs += performance.now() - h0
      size += chunk.length
    }
    return { bytes: size, sha256: hash.digest('hex'), hashSeconds: hashMs / 1000, manifestSeconds, firstByteSeconds }
  })
}

function usage (): UsageReport {
  trace?.traceCounts()
  const cpu = process.cpuUsage()
  return { maxRss: process.resourceUsage().maxRSS * 1024, rss: sampler.sample(), cpu: { user: cpu.user / 1e6, system: cpu.system / 1e6 } }
}

async function run (node: ShoalNode, c: Command): Promise<unknown> {
  switch (c.cmd) {
    case 'wait-peers': return await waitPeers(node, c.count, c.timeoutMs)
    case 'raw-pull': return await raw(node, 'pull', c.peers, c.bytes, c.timeoutMs)
    case 'raw-push': return await raw(node, 'push', c.peers, c.bytes, c.timeoutMs)
    case 'put': return await put(node, c)
    case 'get': return await get(node, c)
    case 'hash': return { sha256: fileSha256(c.size, c.seed) }
    case 'usage': return usage()
    case 'exit': return null
  }
}

async function main (): Promise<void> {
  const node = createNode({
    dir: config.dir,
    capacityBytes: config.capacityBytes,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: config.bootstrap
    // querySelfIntervalMs: the default (5 minutes). Tests use 1 s; here that
    // would keep 7 processes busy with DHT self-queries during the figures.
  })
  await node.start()
  if (config.role === 'storage') {
    await node.libp2p.handle(RAW_PROTOCOL, (stream, connection) => { void serveRaw(stream, connection) }, { maxInboundStreams: 8, maxOutboundStreams: 8 })
  }
  send({ type: 'ready', name: config.name, peerId: node.peerId, addrs: node.multiaddrs, pid: process.pid })

  let stopping = false
  const stop = async (): Promise<never> => {
    if (!stopping) {
      stopping = true
      sampler.stop()
      const timer = setTimeout(() => process.exit(0), 5000)
      timer.unref()
      await node.stop().catch(() => {})
    }
    process.exit(0)
  }
  process.on('SIGTERM', () => { void stop() })
  process.on('SIGINT', () => { /* the orchestrator handles Ctrl-C and tells us to exit */ })

  // One command at a time, in order.
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') continue
    let c: Command
    try {
      c = JSON.parse(line) as Command
    } catch {
      send({ type: 'error', cmd: '?', name: 'SyntaxError', message: `not a command: ${line.slice(0, 80)}` })
      continue
    }
    if (c.cmd === 'exit') break
    try {
      send({ type: 'ok', cmd: c.cmd, result: await run(node, c) })
    } catch (err) {
      const e = err as Error
      send({ type: 'error', cmd: c.cmd, name: e.name, message: describeError(e) })
    }
  }
  await stop()
}

main().catch((err: unknown) => {
  process.stderr.write(`${config.name}: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
