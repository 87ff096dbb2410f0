/**
 * repair: find the shards of a file that no holder passes an audit for,
 * regenerate them from k healthy shards, and place them on other peers with
 * room, which announce them in the DHT. The manifest does not change (its CID
 * is the handle), so repair needs no key and no new handle: holders are found
 * through the DHT afterwards. Holders only ever see ciphertext.
 */

import { sha256Sync, digestMatches } from '../format/cid.js'
import { parseHandle } from '../format/handle.js'
import { encodeManifest, shardBytes, stripeCount } from '../format/manifest.js'
import { auditFile } from './audit.js'
import { DEFAULT_LEASE_MS, STORE_TIMEOUT_MS } from './constants.js'
import { NodeError, NotEnoughPeersError, UnrecoverableFileError } from './errors.js'
import { emit } from './events.js'
import { fetchStripeBlocks, ShardSources } from './get.js'
import { loadManifest } from './manifest-lookup.js'
import { rankCandidates } from './placement.js'
import type { AuditOptions, ShardAudit } from './audit.js'
import type { NodeContext } from './context.js'
import type { GetOptions } from './get.js'
import type { Manifest } from '../format/manifest.js'
import type { CID } from 'multiformats/cid'

export interface RepairOptions extends GetOptions {
  /** Repair when this many shards or fewer are healthy. Default: n - 1 (any loss). */
  threshold?: number
  /** Lease asked of the new holders (and renewed on the healthy ones). Default DEFAULT_LEASE_MS. */
  leaseMs?: number
  /** Blocks challenged per holder audit (see AuditOptions). Default 1. */
  challenges?: number | 'all'
  /** Health already measured (by the periodic check): not audited again. */
  health?: ShardHealth
  /** The file's manifest, when the caller has it already. */
  manifest?: Manifest
}

export interface RepairReport {
  manifest: string
  /** Healthy shards found before repair. */
  healthyBefore: number
  /** Healthy shards after repair. */
  healthyAfter: number
  /** Shards regenerated, with their new holder. */
  repaired: Array<{ index: number, holder: string }>
  /** Bytes fetched from healthy holders and stored on new ones. */
  bytesFetched: number
  bytesStored: number
}

export interface ShardHealth {
  /** For each shard: a holder that passed its audit, or null. */
  healthyHolder: Array<string | null>
  /** Every peer known to hold any shard of the file. */
  holders: Set<string>
  /** The audits behind it, shard by shard. */
  audits: ShardAudit[]
}

/** shardHealth with the options of a repair or a check: leases renewed on the holders that pass. */
export async function auditedHealth (ctx: NodeContext, manifestCid: CID, manifest: Manifest, options: { signal?: AbortSignal, leaseMs: number, challenges?: number | 'all' }): Promise<ShardHealth> {
  return await shardHealth(ctx, manifest, { signal: options.signal, leaseMs: options.leaseMs, challenges: options.challenges, manifestCid })
}

/** Who holds each shard now, by audit (manifest holders and DHT providers asked). */
export async function shardHealth (ctx: NodeContext, manifest: Manifest, options: AuditOptions = {}): Promise<ShardHealth> {
  const audits = await auditFile(ctx, manifest, options)
  const holders = new Set(audits.flatMap(a => a.candidates))
  return { healthyHolder: audits.map(a => a.holder), holders, audits }
}

export async function repairFile (ctx: NodeContext, handleText: string, options: RepairOptions = {}): Promise<RepairReport> {
  const handle = parseHandle(handleText)
  const manifest = options.manifest ?? await loadManifest(ctx, handle.manifest, options)
  const k = manifest.dataShards
  const n = k + manifest.parityShards
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS
  const { healthyHolder, holders } = options.health ?? await auditedHealth(ctx, handle.manifest, manifest, { ...options, leaseMs })
  const healthy = healthyHolder.filter(h => h !== null).length
  const report: RepairReport = { manifest: handle.manifest.toString(), healthyBefore: healthy, healthyAfter: healthy, repaired: [], bytesFetched: 0, bytesStored: 0 }
  const threshold = options.threshold ?? n - 1
  if (healthy === n || healthy > threshold) return report
  if (healthy < k) throw new UnrecoverableFileError(k, healthy)

  const missing = healthyHolder.flatMap((h, i) => h === null ? [i] : [])
  // New holders: peers with room that hold no shard of this file yet.
  const candidates = (await ctx.discover({ signal: options.signal, wanted: 3 * n })).filter(c => !holders.has(c.peerId))
  const ranked = rankCandidates(handle.manifest.bytes, candidates, shardBytes(manifest))
  if (ranked.length < missing.length) throw new NotEnoughPeersError(missing.length, ranked.length)
  const target = new Map(missing.map((index, i) => [index, ranked[i].peerId]))
  ctx.log('repair %s: shards %s to %s', handle.manifest, missing.join(','), [...target.values()].join(','))

  // Read only from the healthy holders found above.
  const sources = new ShardSources(ctx, { ...manifest, shards: manifest.shards.map((s, i) => ({ ...s, holders: healthyHolder[i] === null ? [] : [healthyHolder[i] as string] })) })
  const codec = ctx.codec(k, manifest.parityShards)
  for (let s = 0, stripes = stripeCount(manifest); s < stripes; s++) {
    const blocks = await fetchStripeBlocks(ctx, manifest, sources, s, options)
    for (const b of blocks) if (b !== null) report.bytesFetched += b.length
    codec.reconstruct(blocks)
    await Promise.all(missing.map(async (index) => {
      const block = blocks[index] as Uint8Array
      const cid = manifest.shards[index].blocks[s]
      if (!digestMatches(cid, sha256Sync(block))) {
        throw new NodeError(`rebuilt block ${s} of shard ${index} does not match its CID`)
      }
      await ctx.holder(target.get(index) as string).store(cid, block, { signal: options.signal, timeoutMs: STORE_TIMEOUT_MS, announce: s === 0 ? 'wait' : undefined, leaseMs })
      report.bytesStored += block.length
    }))
    emit(options, { type: 'node:repair:stripe', detail: { stripe: s, shards: missing } })
  }
  // The new holders keep the manifest too, so it stays findable.
  // (encodeManifest is stable: re-encoding gives the bytes of the manifest's CID)
  const manifestBytes = await ctx.store.get(handle.manifest).catch(() => encodeManifest(manifest))
  await Promise.allSettled([...target.values()].map(async peer => {
    await ctx.holder(peer).store(handle.manifest, manifestBytes, { signal: options.signal, timeoutMs: STORE_TIMEOUT_MS, announce: 'background', leaseMs })
  }))
  report.repaired = missing.map(index => ({ index, holder: target.get(index) as string }))
  report.healthyAfter = healthy + missing.length
  return report
}
