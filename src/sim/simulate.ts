/**
 * The simulation: start a network, store files, then break it step by step
 * (scenario), reading every file back after every step and checking each byte
 * and each outcome against what the placement says should happen.
 *
 * - kill:    m holders of one file stop at once (everything stays readable),
 *            then one more (exactly the files that lost more than m shards
 *            become unreadable, with FileUnavailableError). No repair.
 * - churn:   round after round a holder leaves and a new peer joins; the owner
 *            repairs every file each round. Goes well past m failures in total.
 * - corrupt: bytes are flipped in stored blocks (at most m per file); verify
 *            finds every one, get never returns them, repair replaces them.
 */

import { createHash } from 'node:crypto'
import { formatHandle, parseHandle } from '../format/handle.js'
import { decodeManifest } from '../format/manifest.js'
import { resolveRedundancy } from '../node/redundancy.js'
import { corruptMemoryShardForTesting } from '../store/memory-store.js'
import { SimNetwork } from './network.js'
import type { SimPeer } from './network.js'
import type { ScenarioName, SimEvent, SimReport, SimStep, SimulateOptions } from './types.js'
import type { Manifest } from '../format/manifest.js'

const CONVERGE_TIMEOUT_MS = 120_000
const FETCH_TIMEOUT_MS = 3_000

interface SimFile {
  index: number
  handle: string
  sha256: string
  /** Peers holding a good copy of each shard, as the simulation knows it. */
  holders: Array<Set<string>>
}

/** xorshift32: every choice of the run comes from here. */
function random (seed: number): { int: (n: number) => number, bytes: (n: number) => Uint8Array } {
  let state = (seed * 2654435761 >>> 0) || 1
  const next = (): number => {
    state ^= state << 13; state >>>= 0
    state ^= state >>> 17
    state ^= state << 5; state >>>= 0
    return state
  }
  return {
    int: (n) => next() % n,
    bytes: (n) => {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i += 4) {
        const v = next()
        out[i] = v; out[i + 1] = v >>> 8; out[i + 2] = v >>> 16; out[i + 3] = v >>> 24
      }
      return out
    }
  }
}

function emit (options: SimulateOptions, event: SimEvent): void {
  try { options.onProgress?.(event) } catch {}
}

export async function simulate (options: SimulateOptions = {}): Promise<SimReport> {
  const peers = options.peers ?? 12
  const fileCount = options.files ?? 4
  const fileBytes = options.fileBytes ?? 1024 * 1024
  const seed = options.seed ?? 1
  const scenario: ScenarioName = options.scenario ?? 'kill'
  const { dataShards: k, parityShards: m } = resolveRedundancy(options)
  const n = k + m
  if (!Number.isSafeInteger(peers) || peers < n + 1) throw new RangeError(`the ${scenario} scenario needs at least ${n + 1} peers for ${k}-of-${n}`)
  if (!Number.isSafeInteger(fileCount) || fileCount < 1) throw new RangeError('files must be a positive integer')
  if (!Number.isSafeInteger(fileBytes) || fileBytes < 0) throw new RangeError('fileBytes must be a non-negative integer')

  const rng = random(seed)
  const net = new SimNetwork(seed, options.capacityBytes ?? 256 * 1024 * 1024, peers)
  const report: SimReport = { scenario, seed, peers, files: fileCount, fileBytes, dataShards: k, parityShards: m, convergenceMs: 0, steps: [], ok: false, peakRssBytes: 0 }
  const rssTimer = setInterval(() => { report.peakRssBytes = Math.max(report.peakRssBytes, process.memoryUsage().rss) }, 100)
  emit(options, { type: 'sim:start', detail: { peers, files: fileCount, scenario, seed } })

  try {
    const started = Date.now()
    for (let i = 0; i < peers; i++) await net.add()
    const owner = net.peers[0] // puts, reads and repairs; never killed
    await net.converge(owner, CONVERGE_TIMEOUT_MS, options.signal)
    report.convergenceMs = Date.now() - started
    emit(options, { type: 'sim:converged', detail: { ms: report.convergenceMs } })

    const stored = Date.now()
    const files: SimFile[] = []
    for (let f = 0; f < fileCount; f++) {
      const data = rng.bytes(fileBytes)
      const put = await owner.node.put(data, { dataShards: k, parityShards: m, placementSeed: rng.bytes(16), signal: options.signal })
      files.push({ index: f, handle: put.handle, sha256: sha256(data), holders: put.holders.map(h => new Set([h])) })
    }
    emit(options, { type: 'sim:stored', detail: { files: fileCount, ms: Date.now() - stored } })

    const ctx: StepContext = { net, owner, files, k, m, rng, options, report }
    await step(ctx, 'all files stored', async () => ({}))
    if (scenario === 'kill') await killScenario(ctx)
    else if (scenario === 'churn') await churnScenario(ctx)
    else await corruptScenario(ctx)
    report.ok = report.steps.every(s => s.ok)
    return report
  } finally {
    clearInterval(rssTimer)
    report.peakRssBytes = Math.max(report.peakRssBytes, process.memoryUsage().rss)
    await net.stop()
  }
}

interface StepContext {
  net: SimNetwork
  owner: SimPeer
  files: SimFile[]
  k: number
  m: number
  rng: ReturnType<typeof random>
  options: SimulateOptions
  report: SimReport
}

interface StepEffects {
  shardsLost?: number
  shardsRepaired?: number
  repairBytes?: number
  corruptFound?: number
  /** false when the step itself found something wrong (e.g. missed corruption). */
  ok?: boolean
}

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Shards of `file` with at least one live holder of a good copy. */
function goodShards (ctx: StepContext, file: SimFile): number {
  return file.holders.filter(set => [...set].some(id => ctx.net.byId(id)?.alive === true)).length
}

async function step (ctx: StepContext, action: string, act: () => Promise<StepEffects>): Promise<void> {
  const started = Date.now()
  const effects = await act()
  const unreadable: SimStep['unreadable'] = []
  let readable = 0
  let wrongBytes = false
  for (const file of ctx.files) {
    try {
      const hash = createHash('sha256')
      for await (const chunk of ctx.owner.node.get(file.handle, { fetchTimeoutMs: FETCH_TIMEOUT_MS, signal: ctx.options.signal })) hash.update(chunk)
      if (hash.digest('hex') === file.sha256) readable++
      else { wrongBytes = true; unreadable.push({ file: file.index, error: 'WrongBytes' }) }
    } catch (err) {
      ctx.options.signal?.throwIfAborted()
      unreadable.push({ file: file.index, error: (err as Error).name })
    }
  }
  const expectedReadable = ctx.files.filter(f => goodShards(ctx, f) >= ctx.k).length
  const result: SimStep = {
    step: ctx.report.steps.length,
    action,
    peersAlive: ctx.net.alive().length,
    filesReadable: readable,
    filesTotal: ctx.files.length,
    shardsLost: effects.shardsLost ?? 0,
    shardsRepaired: effects.shardsRepaired ?? 0,
    repairBytes: effects.repairBytes ?? 0,
    corruptFound: effects.corruptFound ?? 0,
    ms: Date.now() - started,
    unreadable,
    expectedReadable,
    ok: !wrongBytes && readable === expectedReadable && effects.ok !== false &&
      unreadable.every(u => u.error === 'FileUnavailableError' || u.error === 'UnrecoverableFileError')
  }
  ctx.report.steps.push(result)
  emit(ctx.options, { type: 'sim:step', detail: result })
}

/** Stops `victims`, drops them from every file's holder sets; returns the shards lost. */
async function killPeers (ctx: StepContext, victims: SimPeer[]): Promise<number> {
  let lost = 0
  for (const v of victims) {
    for (const file of ctx.files) {
      for (const set of file.holders) {
        if (set.has(v.peerId) && [...set].filter(id => ctx.net.byId(id)?.alive === true).length === 1) lost++
      }
    }
    await ctx.net.kill(v)
  }
  return lost
}

/** Live holders of a file (not the owner), in a seeded order. */
function liveHolders (ctx: StepContext, file: SimFile): SimPeer[] {
  const ids = [...new Set(file.holders.flatMap(set => [...set]))]
  const peers = ids.map(id => ctx.net.byId(id)).filter((p): p is SimPeer => p?.alive === true && p !== ctx.owner)
  for (let i = peers.length - 1; i > 0; i--) {
    const j = ctx.rng.int(i + 1)
    ;[peers[i], peers[j]] = [peers[j], peers[i]]
  }
  return peers
}

async function repairAll (ctx: StepContext): Promise<StepEffects> {
  let repaired = 0
  let bytes = 0
  for (const file of ctx.files) {
    try {
      const r = await ctx.owner.node.repair(repairHandle(file.handle), { fetchTimeoutMs: FETCH_TIMEOUT_MS, signal: ctx.options.signal })
      for (const { index, holder } of r.repaired) file.holders[index] = new Set([holder])
      repaired += r.repaired.length
      bytes += r.bytesFetched + r.bytesStored
    } catch (err) {
      ctx.options.signal?.throwIfAborted()
      if ((err as Error).name !== 'UnrecoverableFileError') throw err
    }
  }
  return { shardsRepaired: repaired, repairBytes: bytes }
}

/** Repair needs no key: the handle without its fragment. */
function repairHandle (handle: string): string {
  return formatHandle({ manifest: parseHandle(handle).manifest })
}

async function killScenario (ctx: StepContext): Promise<void> {
  const target = ctx.files[0]
  const victims = liveHolders(ctx, target)
  await step(ctx, `${ctx.m} holders of file 0 stop at once (m = ${ctx.m})`, async () => ({ shardsLost: await killPeers(ctx, victims.slice(0, ctx.m)) }))
  await step(ctx, `one more holder of file 0 stops (m + 1 = ${ctx.m + 1}): past the limit, no repair`, async () => ({ shardsLost: await killPeers(ctx, victims.slice(ctx.m, ctx.m + 1)) }))
}

async function churnScenario (ctx: StepContext): Promise<void> {
  const rounds = ctx.m + 3
  for (let round = 1; round <= rounds; round++) {
    await step(ctx, `churn ${round}/${rounds}: a holder leaves, a new peer joins, the owner repairs`, async () => {
      const candidates = ctx.files.flatMap(f => liveHolders(ctx, f))
      const victim = candidates[ctx.rng.int(candidates.length)]
      const lost = await killPeers(ctx, [victim])
      await ctx.net.add()
      await ctx.net.converge(ctx.owner, CONVERGE_TIMEOUT_MS, ctx.options.signal)
      return { shardsLost: lost, ...await repairAll(ctx) }
    })
  }
}

async function corruptScenario (ctx: StepContext): Promise<void> {
  const damaged: Array<{ file: SimFile, shard: number }> = []
  await step(ctx, `bytes flipped in stored blocks (up to m = ${ctx.m} shards per file)`, async () => {
    for (const file of ctx.files) {
      const manifest = await loadManifest(ctx, file)
      const shards = Array.from({ length: file.holders.length }, (_, i) => i)
      const count = 1 + ctx.rng.int(ctx.m)
      for (let c = 0; c < count && manifest.shards[0].blocks.length > 0; c++) {
        const shard = shards.splice(ctx.rng.int(shards.length), 1)[0]
        const holder = ctx.net.byId([...file.holders[shard]][0]) as SimPeer
        const block = manifest.shards[shard].blocks[ctx.rng.int(manifest.shards[shard].blocks.length)]
        corruptMemoryShardForTesting(holder.store, block, bytes => { bytes[ctx.rng.int(bytes.length)] ^= 0x5a; return bytes })
        file.holders[shard] = new Set() // no good copy any more
        damaged.push({ file, shard })
      }
    }
    return { shardsLost: damaged.length }
  })
  await step(ctx, 'verify reads all n shards of every file and finds the damage', async () => {
    // A damaged block is either returned and caught by its hash, or already
    // quarantined by its holder (the reads of the last step re-hashed it): both
    // leave the shard not good. Nothing undamaged may be flagged.
    let found = 0
    let falseAlarms = 0
    for (const file of ctx.files) {
      const report = await ctx.owner.node.verify(file.handle, { fetchTimeoutMs: FETCH_TIMEOUT_MS, signal: ctx.options.signal })
      for (const shard of report.shards) {
        const flagged = shard.blocksGood < report.stripes
        const hit = damaged.some(d => d.file === file && d.shard === shard.index)
        if (flagged && hit) found++
        if (flagged && !hit) falseAlarms++
      }
    }
    return { corruptFound: found, ok: found === damaged.length && falseAlarms === 0 }
  })
  await step(ctx, 'the owner repairs: damaged shards are rebuilt on other peers', async () => await repairAll(ctx))
}

async function loadManifest (ctx: StepContext, file: SimFile): Promise<Manifest> {
  return decodeManifest(await ctx.owner.store.get(parseHandle(file.handle).manifest))
}
