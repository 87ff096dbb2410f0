/**
 * The simulation's steps (simulate.ts runs them, scenarios.ts strings them
 * together): the seeded random source, the files as the simulation knows them,
 * and a step, which applies an action and then reads every file back,
 * checking each byte and each outcome against what the placement says should
 * happen.
 */
import { createHash } from 'node:crypto'
import { parseHandle } from '../format/handle.js'
import { decodeManifest } from '../format/manifest.js'
import type { SimNetwork, SimPeer } from './network.js'
import type { SimEvent, SimReport, SimStep, SimulateOptions } from './types.js'
import type { Manifest } from '../format/manifest.js'
import type { CheckReport } from '../node/check.js'

export const CONVERGE_TIMEOUT_MS = 120_000
const FETCH_TIMEOUT_MS = 3_000

export interface SimFile {
  index: number
  handle: string
  sha256: string
  /** Peers holding a good copy of each shard, as the simulation knows it. */
  holders: Array<Set<string>>
}

/** xorshift32: every choice of the run comes from here. */
export function random (seed: number): { int: (n: number) => number, bytes: (n: number) => Uint8Array } {
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

export function emit (options: SimulateOptions, event: SimEvent): void {
  try { options.onProgress?.(event) } catch {}
}

export interface StepContext {
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

export interface StepEffects {
  shardsLost?: number
  shardsRepaired?: number
  repairBytes?: number
  corruptFound?: number
  auditFailures?: number
  /** false when the step itself found something wrong (e.g. missed corruption). */
  ok?: boolean
}

export function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Shards of `file` with at least one holder of a good copy that the owner can reach. */
export function goodShards (ctx: StepContext, file: SimFile): number {
  return file.holders.filter(set => [...set].some(id => {
    const peer = ctx.net.byId(id)
    return peer !== undefined && ctx.net.reachable(ctx.owner, peer)
  })).length
}

export async function step (ctx: StepContext, action: string, act: () => Promise<StepEffects>): Promise<void> {
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
export async function killPeers (ctx: StepContext, victims: SimPeer[]): Promise<number> {
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
export function liveHolders (ctx: StepContext, file: SimFile): SimPeer[] {
  const ids = [...new Set(file.holders.flatMap(set => [...set]))]
  const peers = ids.map(id => ctx.net.byId(id)).filter((p): p is SimPeer => p?.alive === true && p !== ctx.owner)
  for (let i = peers.length - 1; i > 0; i--) {
    const j = ctx.rng.int(i + 1)
    ;[peers[i], peers[j]] = [peers[j], peers[i]]
  }
  return peers
}

export interface CheckEffects extends StepEffects {
  reports: CheckReport[]
}

/**
 * The owner's periodic check of every file it put: audits (every block of
 * every holder), lease renewal, repair of lost shards onto other peers.
 */
export async function periodicCheck (ctx: StepContext): Promise<CheckEffects> {
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

export async function loadManifest (ctx: StepContext, file: SimFile): Promise<Manifest> {
  return decodeManifest(await ctx.owner.store.get(parseHandle(file.handle).manifest))
}
