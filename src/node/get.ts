/**
 * get: find the manifest, fetch k good blocks of every stripe from the fastest
 * holders, rebuild what is missing, decrypt, authenticate and stream out.
 *
 * Holders are ranked once by how fast they answer a probe (data shards win
 * ties: they need no decoding). Each stripe is fetched from the k best shards;
 * a holder that fails, stalls past the fetch timeout or returns bytes whose
 * hash is wrong is replaced for that stripe by the next shard (parity
 * included), and sinks in the ranking. A holder that fails at the network level
 * is not asked again. Memory: GET_WINDOW_STRIPES stripes.
 */

import { RemoteError } from '../net/errors.js'
import { digestMatches, sha256Sync } from '../format/cid.js'
import { parseHandle } from '../format/handle.js'
import { blockBytes, stripeCount, stripeDataBytes } from '../format/manifest.js'
import { FETCH_TIMEOUT_MS, GET_WINDOW_STRIPES } from './constants.js'
import { decryptStream } from './crypto.js'
import { FileUnavailableError, MissingKeyError, NodeError } from './errors.js'
import { emit } from './events.js'
import { shardProviders } from './locate.js'
import { loadManifest } from './manifest-lookup.js'
import type { NodeContext } from './context.js'
import type { ProgressOptions } from './events.js'
import type { Manifest } from '../format/manifest.js'

export interface GetOptions extends ProgressOptions {
  /** One block fetch slower than this moves to another holder. Default 10 s. */
  fetchTimeoutMs?: number
}

const PROBE_TIMEOUT_MS = 5000

/** Which holder of each shard to use, and which shards to prefer. */
export class ShardSources {
  /** Shard indices, best first. */
  order: number[]
  /** Known holders of each shard: the manifest's, then any found in the DHT. */
  private readonly holders: string[][]
  /** Position in each shard's holder list. */
  private readonly current: number[]
  private refreshed: Promise<void> | null = null

  constructor (private readonly ctx: NodeContext, private readonly manifest: Manifest) {
    this.order = manifest.shards.map(s => s.index)
    this.holders = manifest.shards.map(s => [...s.holders])
    this.current = manifest.shards.map(() => 0)
  }

  holder (shard: number): string | undefined {
    return this.holders[shard][this.current[shard]]
  }

  /**
   * Once per get: asks the DHT who else holds each shard whose known holders
   * all failed (shards repaired onto new peers are found this way).
   */
  async refresh (signal?: AbortSignal): Promise<boolean> {
    if (this.refreshed !== null) { await this.refreshed; return true }
    this.refreshed = (async () => {
      await Promise.all(this.manifest.shards.map(async (s) => {
        if (this.alive(s.index)) return
        for (const peer of await shardProviders(this.ctx, this.manifest, s.index, { signal })) {
          if (!this.holders[s.index].includes(peer)) this.holders[s.index].push(peer)
        }
      }))
    })()
    await this.refreshed
    return true
  }

  /** The current holder of `shard` failed at the network level: try its next one. */
  drop (shard: number): void {
    this.current[shard]++
  }

  alive (shard: number): boolean {
    return this.holder(shard) !== undefined
  }

  /** Moves shards that just failed behind the others. */
  demote (failed: Set<number>): void {
    if (failed.size === 0) return
    this.order = [...this.order.filter(j => !failed.has(j)), ...this.order.filter(j => failed.has(j))]
  }
}

/** Ranks shards by how fast their holder answers a `has` for the first block. */
export async function probe (ctx: NodeContext, manifest: Manifest, sources: ShardSources, signal?: AbortSignal): Promise<void> {
  const k = manifest.dataShards
  const latency = new Map<number, number>()
  await new Promise<void>((resolve) => {
    let settled = 0
    let positive = 0
    const n = manifest.shards.length
    const timer = setTimeout(resolve, PROBE_TIMEOUT_MS)
    const done = (): void => {
      settled++
      if (positive >= k || settled === n) { clearTimeout(timer); resolve() }
    }
    for (const shard of manifest.shards) {
      const peer = sources.holder(shard.index)
      if (peer === undefined) { done(); continue }
      const started = performance.now()
      ctx.holder(peer).has([shard.blocks[0]], { signal, timeoutMs: PROBE_TIMEOUT_MS })
        .then(([present]) => {
          if (present) {
            latency.set(shard.index, (performance.now() - started) * (shard.index < k ? 1 : 1.5))
            positive++
          }
        }, () => { sources.drop(shard.index) })
        .finally(done)
    }
  })
  sources.order.sort((a, b) => (latency.get(a) ?? Infinity) - (latency.get(b) ?? Infinity) || a - b)
}

/** k good blocks of stripe `s` (the other entries null), from the best sources. */
export async function fetchStripeBlocks (ctx: NodeContext, manifest: Manifest, sources: ShardSources, s: number, options: GetOptions): Promise<Array<Uint8Array | null>> {
  const k = manifest.dataShards
  const size = blockBytes(manifest, s)
  const blocks: Array<Uint8Array | null> = manifest.shards.map(() => null)
  const failed = new Set<number>()
  /** The holder each shard was last tried on, for this stripe. */
  const tried = new Map<number, string>()
  const timeoutMs = options.fetchTimeoutMs ?? FETCH_TIMEOUT_MS

  const attempt = async (j: number): Promise<boolean> => {
    const peer = sources.holder(j)
    if (peer === undefined) return false
    tried.set(j, peer)
    const cid = manifest.shards[j].blocks[s]
    emit(options, { type: 'node:get:fetch-shard', detail: { stripe: s, shard: j, peer } })
    let reason: string
    try {
      const bytes = await ctx.holder(peer).fetch(cid, { signal: options.signal, timeoutMs, length: size })
      if (bytes.length === size && digestMatches(cid, sha256Sync(bytes))) {
        blocks[j] = bytes
        return true
      }
      reason = 'block does not match its hash'
    } catch (err) {
      options.signal?.throwIfAborted()
      reason = (err as Error).message
      if (!(err instanceof RemoteError)) sources.drop(j)
    }
    failed.add(j)
    ctx.log('stripe %d shard %d from %s failed: %s', s, j, peer, reason)
    emit(options, { type: 'node:get:shard-failed', detail: { stripe: s, shard: j, peer, reason } })
    return false
  }

  /** Fetches from `candidates` until k good blocks; resolves with how many are good. */
  const fetchFrom = async (candidates: number[], good: number): Promise<number> => await new Promise<number>((resolve, reject) => {
    let running = 0
    let next = 0
    const launch = (): void => {
      while (good + running < k && next < candidates.length) {
        running++
        attempt(candidates[next++]).then(ok => {
          running--
          if (ok) good++
          if (good >= k) resolve(good)
          else launch()
        }, reject)
      }
      if (good + running < k && running === 0) resolve(good)
    }
    launch()
  })

  let good = await fetchFrom(sources.order.filter(j => sources.alive(j)), 0)
  if (good < k && await sources.refresh(options.signal)) {
    // Shards whose holder changed since they were tried: new holders from the DHT.
    good = await fetchFrom(sources.order.filter(j => sources.alive(j) && blocks[j] === null && tried.get(j) !== sources.holder(j)), good)
  }
  if (good < k) throw new FileUnavailableError(s, k, good)
  sources.demote(failed)
  return blocks
}

async function fetchStripe (ctx: NodeContext, manifest: Manifest, sources: ShardSources, s: number, options: GetOptions): Promise<Uint8Array[]> {
  const k = manifest.dataShards
  const size = blockBytes(manifest, s)
  const blocks = await fetchStripeBlocks(ctx, manifest, sources, s, options)
  const codec = ctx.codec(k, manifest.parityShards)
  if (blocks.slice(0, k).some(b => b === null)) codec.reconstructData(blocks)
  const dataBytes = stripeDataBytes(manifest, s)
  const out: Uint8Array[] = []
  for (let i = 0, off = 0; off < dataBytes; i++, off += size) {
    out.push((blocks[i] as Uint8Array).subarray(0, Math.min(size, dataBytes - off)))
  }
  return out
}

async function * fetchStripes (ctx: NodeContext, manifest: Manifest, options: GetOptions): AsyncGenerator<Uint8Array> {
  const stripes = stripeCount(manifest)
  if (stripes === 0) return
  const sources = new ShardSources(ctx, manifest)
  await probe(ctx, manifest, sources, options.signal)
  const window: Array<Promise<Uint8Array[]>> = []
  let next = 0
  while (next < stripes || window.length > 0) {
    while (window.length < GET_WINDOW_STRIPES && next < stripes) {
      const p = fetchStripe(ctx, manifest, sources, next++, options)
      p.catch(() => {}) // handled when awaited in order
      window.push(p)
    }
    const pieces = await (window.shift() as Promise<Uint8Array[]>)
    const stripe = next - window.length - 1
    emit(options, { type: 'node:get:stripe', detail: { stripe, bytes: pieces.reduce((a, p) => a + p.length, 0) } })
    yield * pieces
  }
}

export async function * getFile (ctx: NodeContext, handleText: string, options: GetOptions = {}): AsyncGenerator<Uint8Array> {
  const handle = parseHandle(handleText)
  const manifest = await loadManifest(ctx, handle.manifest, options)
  emit(options, { type: 'node:get:manifest', detail: { manifest: handle.manifest.toString(), size: manifest.size } })
  if (manifest.encryption !== null && handle.key === undefined) throw new MissingKeyError()
  const encoded = fetchStripes(ctx, manifest, options)
  const plain = manifest.encryption === null || handle.key === undefined
    ? encoded
    : decryptStream(encoded, handle.key, { segmentBytes: manifest.encryption.segmentBytes, signal: options.signal })
  let total = 0
  for await (const chunk of plain) {
    total += chunk.length
    yield chunk
  }
  if (total !== manifest.size) {
    throw new NodeError(`file ended after ${total} bytes, its manifest says ${manifest.size}`)
  }
}
