/**
 * The simulation: start a network, store files, then break it step by step
 * (scenario), reading every file back after every step and checking each byte
 * and each outcome against what the placement says should happen.
 *
 * - kill:      m holders of one file stop at once (everything stays readable),
 *              then one more (exactly the files that lost more than m shards
 *              become unreadable, with FileUnavailableError). No repair.
 * - churn:     round after round a holder leaves and a new peer joins; the
 *              owner's periodic check repairs. Goes well past m failures in total.
 * - corrupt:   bytes are flipped in stored blocks (at most m shards per file);
 *              get never returns them, the check's audits find every one and
 *              repair replaces them.
 * - liar:      a holder drops every block it holds but keeps saying it has
 *              them; audits catch it, its shards are rebuilt elsewhere, and it
 *              is not chosen for the next file.
 * - partition: the network is cut in two; the owner's side repairs what it can
 *              reach; after healing every file is readable and whole.
 *
 * The owner's periodic check (the node's own audit, lease renewal and repair,
 * `checkAll()`) runs after each step instead of on its timer, so that a run
 * with the same seed replays step for step.
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
import type { CheckReport } from '../node/check.js'

const CONVERGE_TIMEOUT_MS = 120_000
/**
 * Up to this many peers the owner waits to know every other peer (placement
 * then sees the whole network, and a seed replays exactly); above it, to know
 * 4n of them, with every routing table filled a little.
 */
const FULL_VIEW_PEERS = 32
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
  // Every block of every holder is challenged: the corrupt scenario must catch every flipped byte.
  const net = new SimNetwork(seed, options.capacityBytes ?? 256 * 1024 * 1024, peers, {
    checkIntervalMs: 0,
    gcIntervalMs: 0,
    auditChallenges: 'all',
    libp2p: options.transport === 'memory' ? { transport: 'memory' } : undefined
  })
  const report: SimReport = { scenario, seed, peers, files: fileCount, fileBytes, dataShards: k, parityShards: m, convergenceMs: 0, steps: [], ok: false, peakRssBytes: 0 }
  const rssTimer = setInterval(() => { report.peakRssBytes = Math.max(report.peakRssBytes, process.memoryUsage().rss) }, 100)
  emit(options, { type: 'sim:start', detail: { peers, files: fileCount, scenario, seed } })

  try {
    const started = Date.now()
    for (let i = 0; i < peers; i++) await net.add()
    const owner = net.peers[0] // puts, reads and repairs; never killed
    const minKnown = peers <= FULL_VIEW_PEERS ? undefined : 4 * n
    await net.converge(owner, CONVERGE_TIMEOUT_MS, options.signal, minKnown)
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

    const ctx: StepContext = { net, owner, files, k, m, rng, options, report, minKnown }
    await step(ctx, 'all files stored', async () => ({}))
    await SCENARIO_STEPS[scenario](ctx)
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
  /** Storage peers the owner must know to call the network converged (undefined: all). */
  minKnown: number | undefined
}

interface StepEffects {
  shardsLost?: number
  shardsRepaired?: number
  repairBytes?: number
  corruptFound?: number
  auditFailures?: number
  /** false when the step itself found something wrong (e.g. missed corruption). */
  ok?: boolean
}

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Shards of `file` with at least one holder of a good copy that the owner can reach. */
function goodShards (ctx: StepContext, file: SimFile): number {
  return file.holders.filter(set => [...set].some(id => {
    const peer = ctx.net.byId(id)
    return peer !== undefined && ctx.net.reachable(ctx.owner, peer)
  })).length
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
    auditFailures: effects.auditFailures ?? 0,
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

interface CheckEffects extends StepEffects {
  reports: CheckReport[]
}

/**
 * The owner's periodic check of every file it put: audits (every block of
 * every holder), lease renewal, repair of lost shards onto other peers.
 */
async function periodicCheck (ctx: StepContext): Promise<CheckEffects> {
  const effects = { shardsRepaired: 0, repairBytes: 0, auditFailures: 0, reports: [] as CheckReport[] }
  for (const outcome of await ctx.owner.node.checkAll({ signal: ctx.options.signal })) {
    if (!('audits' in outcome)) throw new Error(`check of ${outcome.manifest} failed: ${outcome.error}`)
    effects.reports.push(outcome)
    effects.auditFailures += outcome.audits.filter(a => a.outcome === 'failed').length
    const file = ctx.files.find(f => parseHandle(f.handle).manifest.toString() === outcome.manifest)
    if (file === undefined || outcome.repair === null) continue
    for (const { index, holder } of outcome.repair.repaired) file.holders[index].add(holder)
    effects.shardsRepaired += outcome.repair.repaired.length
    effects.repairBytes += outcome.repair.bytesFetched + outcome.repair.bytesStored
  }
  return effects
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
    await step(ctx, `churn ${round}/${rounds}: a holder leaves, a new peer joins, the periodic check repairs`, async () => {
      const candidates = ctx.files.flatMap(f => liveHolders(ctx, f))
      const victim = candidates[ctx.rng.int(candidates.length)]
      const lost = await killPeers(ctx, [victim])
      await ctx.net.add()
      await ctx.net.converge(ctx.owner, CONVERGE_TIMEOUT_MS, ctx.options.signal, ctx.minKnown)
      const { reports: _, ...effects } = await periodicCheck(ctx)
      return { shardsLost: lost, ...effects }
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
  await step(ctx, 'the periodic check audits every block: finds every damaged shard and rebuilds it elsewhere', async () => {
    // A damaged block is either answered CORRUPT to its challenge or already
    // quarantined by its holder (the reads of the last step re-hashed it):
    // either way its shard has no healthy holder. Nothing undamaged may be flagged.
    const { reports, ...effects } = await periodicCheck(ctx)
    let found = 0
    let falseAlarms = 0
    for (const report of reports) {
      const file = ctx.files.find(f => parseHandle(f.handle).manifest.toString() === report.manifest) as SimFile
      for (const index of report.lost) {
        if (damaged.some(d => d.file === file && d.shard === index)) found++
        else falseAlarms++
      }
    }
    return { ...effects, corruptFound: found, ok: found === damaged.length && falseAlarms === 0 && effects.shardsRepaired === damaged.length }
  })
}

async function liarScenario (ctx: StepContext): Promise<void> {
  const liar = liveHolders(ctx, ctx.files[0])[0]
  await step(ctx, `peer ${liar.index}, a holder of file 0, drops every block it holds and keeps saying it has them`, async () => {
    await liar.liar.startLying()
    let lost = 0
    for (const file of ctx.files) {
      for (const set of file.holders) if (set.delete(liar.peerId)) lost++
    }
    return { shardsLost: lost }
  })
  await step(ctx, 'the periodic check: the liar fails its audits, its shards are rebuilt on other peers', async () => {
    const lostBefore = ctx.files.reduce((sum, f) => sum + f.holders.filter(set => set.size === 0).length, 0)
    const { reports, ...effects } = await periodicCheck(ctx)
    const caught = reports.some(r => r.audits.some(a => a.peerId === liar.peerId && a.outcome === 'failed'))
    return { ...effects, ok: caught && effects.shardsRepaired === lostBefore }
  })
  await step(ctx, 'a new file is stored: the liar is not chosen as a holder', async () => {
    const data = ctx.rng.bytes(Math.max(1, ctx.report.fileBytes))
    const put = await ctx.owner.node.put(data, { dataShards: ctx.k, parityShards: ctx.m, placementSeed: ctx.rng.bytes(16), signal: ctx.options.signal })
    ctx.files.push({ index: ctx.files.length, handle: put.handle, sha256: sha256(data), holders: put.holders.map(h => new Set([h])) })
    ctx.report.files = ctx.files.length
    return { ok: !put.holders.includes(liar.peerId) }
  })
}

async function partitionScenario (ctx: StepContext): Promise<void> {
  const others = ctx.net.alive().filter(p => p !== ctx.owner)
  for (let i = others.length - 1; i > 0; i--) {
    const j = ctx.rng.int(i + 1)
    ;[others[i], others[j]] = [others[j], others[i]]
  }
  const side = [ctx.owner, ...others.slice(0, Math.ceil(others.length / 2))]
  await step(ctx, `the network is cut in two: the owner and ${side.length - 1} peers | ${others.length - side.length + 1} peers`, async () => {
    const before = ctx.files.map(f => goodShards(ctx, f))
    await ctx.net.partition(side)
    return { shardsLost: ctx.files.reduce((sum, f, i) => sum + before[i] - goodShards(ctx, f), 0) }
  })
  await step(ctx, 'the periodic check on the owner\'s side rebuilds there what it can reach', async () => {
    const { reports: _, ...effects } = await periodicCheck(ctx)
    return effects
  })
  await step(ctx, 'the partition heals', async () => {
    await ctx.net.heal(ctx.owner)
    await ctx.net.converge(ctx.owner, CONVERGE_TIMEOUT_MS, ctx.options.signal, ctx.minKnown)
    return {}
  })
  await step(ctx, 'the periodic check after healing: every shard healthy, nothing to repair', async () => {
    const { reports, ...effects } = await periodicCheck(ctx)
    return { ...effects, ok: effects.shardsRepaired === 0 && reports.every(r => r.lost.length === 0) }
  })
}

const SCENARIO_STEPS: Record<ScenarioName, (ctx: StepContext) => Promise<void>> = {
  kill: killScenario,
  churn: churnScenario,
  corrupt: corruptScenario,
  liar: liarScenario,
  partition: partitionScenario
}

async function loadManifest (ctx: StepContext, file: SimFile): Promise<Manifest> {
  return decodeManifest(await ctx.owner.store.get(parseHandle(file.handle).manifest))
}
