/**
 * What one block costs a storage peer, in CPU, with nothing else running:
 * one client process and one storage peer process (a child of this one), on
 * 127.0.0.1. Each round times, per block of `--block-bytes`:
 *
 *   raw    the client streams the blocks' bytes to the peer over one libp2p
 *          stream (the peer only counts them): the transport alone
 *   store  the client stores the blocks through one shard session, `--in-flight`
 *          at a time, as put does
 *   fetch  the client fetches them back the same way, as get does
 *
 * and prints wall time, the client's CPU, the peer's CPU (and the system part
 * of it) and the peer's minor page faults per block, the median over `--rounds` (the first round is a warm-up and not counted).
 * With `--store drop` the peer's store keeps nothing (the shard protocol
 * alone; no fetch); `memory` and `fs` are shoal's stores.
 *
 *   node --import tsx bench/block-costs.ts [--store fs|memory|drop] [--blocks N]
 *     [--rounds R] [--block-bytes B] [--in-flight W]
 *
 * Seven processes share two cores in bench/network.ts, so a profile there
 * mixes every process's waiting into every other's; here only two run, and
 * their CPU per block can be compared with each other directly.
 *
 * Diagnostics: BLOCK_COSTS_PEER_ARGS adds node options to the storage peer
 * only (e.g. '--cpu-prof --cpu-prof-dir=/tmp/p' or '--trace-gc');
 * BLOCK_COSTS_CLOCK=1 prints on stderr where each phase starts, on this
 * process's monotonic clock (µs, as in a --cpu-prof profile) and on the
 * peer's performance.now() (ms, as in --trace-gc lines).
 */
import '../src/polyfill.js'
import { fork } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { shardCidFromDigest } from '../src/format/cid.js'
import { createNode } from '../src/index.js'
import { openShardSession } from '../src/net/shard-client.js'
import { readFrame, writeAll, writeFrame } from '../src/net/stream-io.js'
import { createStreamReader } from '../src/net/stream-reader.js'
import { createMemoryShardStore } from '../src/store/index.js'
import { fileBytes } from './lib/net-shared.js'
import type { ShardStore } from '../src/store/index.js'
import type { CID } from 'multiformats/cid'

const RAW_PROTOCOL = '/shoal-bench/block-costs/raw/1.0.0'
const CAPACITY = 16 * 1024 ** 3
const TIMEOUT_MS = 60_000

type StoreKind = 'fs' | 'memory' | 'drop'
type FromPeer = { ready: string } | { cpu: number, system: number, faults: number, now: number } | { stopped: true }

const USAGE = 'usage: node --import tsx bench/block-costs.ts [--store fs|memory|drop] [--blocks N] [--rounds R] [--block-bytes B] [--in-flight W]'

function cpuSeconds (): number {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1e6
}

/** The storage peer: a node with the chosen store and a raw sink, driven over IPC. */
async function servePeer (kind: StoreKind): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-block-costs-'))
  let store: ShardStore | undefined
  if (kind !== 'fs') {
    store = createMemoryShardStore({ capacityBytes: CAPACITY })
    if (kind === 'drop') store.put = async () => {}
  }
  const node = createNode({ dir: kind === 'fs' ? dir : undefined, store, capacityBytes: CAPACITY, listen: ['/ip4/127.0.0.1/tcp/0'], checkIntervalMs: 0, gcIntervalMs: 0 })
  await node.start()
  await node.libp2p.handle(RAW_PROTOCOL, async (stream) => {
    const reader = createStreamReader(stream)
    try {
      // the reader is attached: the client may start (a burst sent before it
      // could overrun the stream's read buffer, and libp2p would abort it)
      await writeFrame(stream, new TextEncoder().encode('ready'), { timeoutMs: TIMEOUT_MS })
      let bytes = 0
      for await (const chunk of reader.readToEnd({ timeoutMs: TIMEOUT_MS })) bytes += chunk.length
      // the client's timing ends once this has arrived: every byte was received
      await writeFrame(stream, new TextEncoder().encode(String(bytes)), { timeoutMs: TIMEOUT_MS })
      await stream.close()
    } catch (err) {
      stream.abort(err as Error)
    } finally {
      reader.release()
    }
  })
  const send = (m: FromPeer): void => { process.send?.(m) }
  process.on('message', (m: string) => {
    if (m === 'cpu') send({ cpu: cpuSeconds(), system: process.cpuUsage().system / 1e6, faults: process.resourceUsage().minorPageFault, now: performance.now() })
    if (m === 'stop') {
      void node.stop().finally(() => {
        rmSync(dir, { recursive: true, force: true })
        send({ stopped: true })
        process.disconnect()
      })
    }
  })
  process.on('disconnect', () => { process.exit(0) })
  send({ ready: node.multiaddrs[0] })
}

/** The child's next message. */
async function next (child: ReturnType<typeof fork>): Promise<FromPeer> {
  return await new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => { reject(new Error(`storage peer exited (${String(code)})`)) }
    child.once('exit', onExit)
    child.once('message', (m: FromPeer) => {
      child.off('exit', onExit)
      resolve(m)
    })
  })
}

interface Phase { wallMs: number, clientMs: number, peerMs: number, peerSystemMs: number, peerFaults: number }

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}

async function main (): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      serve: { type: 'string' },
      store: { type: 'string', default: 'fs' },
      blocks: { type: 'string', default: '300' },
      rounds: { type: 'string', default: '4' },
      'block-bytes': { type: 'string', default: '349525' },
      'in-flight': { type: 'string', default: '4' },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.serve !== undefined) {
    await servePeer(values.serve as StoreKind)
    return -1 // keeps running until told to stop
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const kind = values.store as StoreKind
  const [blocks, rounds, blockBytes, inFlight] = [values.blocks, values.rounds, values['block-bytes'], values['in-flight']].map(Number)
  if (!['fs', 'memory', 'drop'].includes(kind) || ![blocks, rounds, blockBytes, inFlight].every(n => Number.isSafeInteger(n) && n >= 1) || rounds < 2) {
    process.stderr.write(`${USAGE}\n(--rounds at least 2: the first is a warm-up)\n`)
    return 2
  }

  // BLOCK_COSTS_PEER_ARGS: extra node options for the storage peer only, e.g. '--cpu-prof --cpu-prof-dir=/tmp/p'
  const peerArgs = (process.env.BLOCK_COSTS_PEER_ARGS ?? '').split(' ').filter(a => a !== '')
  const child = fork(fileURLToPath(import.meta.url), ['--serve', kind], { execArgv: [...process.execArgv, ...peerArgs] })
  const node = createNode({ capacityBytes: 0, listen: ['/ip4/127.0.0.1/tcp/0'], checkIntervalMs: 0, gcIntervalMs: 0 })
  try {
    const ready = await next(child)
    if (!('ready' in ready)) throw new Error('storage peer did not start')
    await node.start()
    const peer = peerIdFromString(ready.ready.split('/p2p/')[1])
    await node.libp2p.dial(multiaddr(ready.ready), { signal: AbortSignal.timeout(TIMEOUT_MS) })
    const peerUsage = async (): Promise<{ cpu: number, system: number, faults: number, now: number }> => {
      child.send('cpu')
      const m = await next(child)
      if (!('cpu' in m)) throw new Error('unexpected answer from the storage peer')
      return m
    }
    const timed = async (work: () => Promise<void>): Promise<Phase> => {
      const p0 = await peerUsage()
      const c0 = cpuSeconds()
      const t0 = performance.now()
      await work()
      const wallMs = performance.now() - t0
      const clientMs = (cpuSeconds() - c0) * 1000
      const p1 = await peerUsage()
      if (process.env.BLOCK_COSTS_CLOCK !== undefined) process.stderr.write(`phase from ${p0.now.toFixed(0)} to ${p1.now.toFixed(0)} ms of the peer's clock\n`)
      return { wallMs: wallMs / blocks, clientMs: clientMs / blocks, peerMs: (p1.cpu - p0.cpu) * 1000 / blocks, peerSystemMs: (p1.system - p0.system) * 1000 / blocks, peerFaults: (p1.faults - p0.faults) / blocks }
    }
    // distinct seeded blocks per round, so that every store is a new shard
    const blocksOf = (round: number): Array<{ cid: CID, bytes: Uint8Array }> =>
      [...fileBytes(blocks * blockBytes, 0xB10C + round, blockBytes)].map(bytes => ({ cid: shardCidFromDigest(createHash('sha256').update(bytes).digest()), bytes }))
    const windowed = async (items: Array<{ cid: CID, bytes: Uint8Array }>, one: (item: { cid: CID, bytes: Uint8Array }) => Promise<unknown>): Promise<void> => {
      const running: Array<Promise<unknown>> = []
      for (const item of items) {
        running.push(one(item))
        if (running.length >= inFlight) await running.shift()
      }
      await Promise.all(running)
    }
    const results: Record<string, Phase[]> = { raw: [], store: [], fetch: [] }
    for (let round = 0; round < rounds; round++) {
      const items = blocksOf(round)
      const phases: Record<string, Phase> = {}
      const stream = await node.libp2p.dialProtocol(peer, RAW_PROTOCOL, { signal: AbortSignal.timeout(TIMEOUT_MS) })
      const reader = createStreamReader(stream)
      try {
        await readFrame(reader, { timeoutMs: TIMEOUT_MS })
        if (process.env.BLOCK_COSTS_CLOCK !== undefined) process.stderr.write(`raw starts at clock µs ${String(process.hrtime.bigint() / 1000n)}\n`)
        phases.raw = await timed(async () => {
          await writeAll(stream, items.map(i => i.bytes), { close: true, timeoutMs: TIMEOUT_MS })
          const received = Number(new TextDecoder().decode(await readFrame(reader, { timeoutMs: TIMEOUT_MS })))
          if (received !== blocks * blockBytes) throw new Error(`raw: the peer received ${received} bytes of ${blocks * blockBytes}`)
        })
      } finally {
        reader.release()
      }
      const session = await openShardSession(node.libp2p, peer)
      phases.store = await timed(async () => { await windowed(items, async i => { await session.store(i.cid, i.bytes, { timeoutMs: TIMEOUT_MS }) }) })
      if (kind !== 'drop') {
        phases.fetch = await timed(async () => {
          await windowed(items, async i => {
            const got = await session.fetch(i.cid, { timeoutMs: TIMEOUT_MS })
            if (got.length !== i.bytes.length || Buffer.compare(got, i.bytes) !== 0) throw new Error(`fetch of ${i.cid.toString()} returned other bytes`)
          })
        })
      }
      await session.close()
      if (round > 0) for (const [name, p] of Object.entries(phases)) results[name].push(p)
      process.stderr.write(`round ${round}${round === 0 ? ' (warm-up)' : ''}: ${Object.entries(phases).map(([name, p]) => `${name} ${p.peerMs.toFixed(2)}`).join(', ')} ms of the peer's CPU per block\n`)
    }
    process.stdout.write(`store ${kind}, ${blocks} blocks of ${blockBytes} bytes, ${inFlight} in flight, median of ${rounds - 1} rounds (ms per block)\n`)
    process.stdout.write('phase | wall | client CPU | peer CPU | of which system | peer minor page faults\n------|------|------------|----------|-----------------|-----------------------\n')
    for (const [name, list] of Object.entries(results)) {
      if (list.length === 0) continue
      const m = (f: (p: Phase) => number, digits = 2): string => median(list.map(f)).toFixed(digits)
      process.stdout.write(`${name.padEnd(5)} | ${m(p => p.wallMs)} | ${m(p => p.clientMs)} | ${m(p => p.peerMs)} | ${m(p => p.peerSystemMs)} | ${m(p => p.peerFaults, 0)}\n`)
    }
    return 0
  } finally {
    await node.stop().catch(() => {})
    if (child.connected) {
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.send('stop')
      await next(child).catch(() => {})
      // it exits on its own once disconnected (writing a --cpu-prof profile, if asked); killed if not within 10 s
      const timer = setTimeout(() => { child.kill() }, 10_000)
      await exited
      clearTimeout(timer)
    } else {
      child.kill()
    }
  }
}

main().then(code => { if (code >= 0) process.exitCode = code }, (err: Error) => {
  process.stderr.write(`block-costs failed: ${err.message}\n`)
  process.exitCode = 1
})
