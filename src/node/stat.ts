/**
 * stat: ask every holder of every shard whether it still has all the shard's
 * blocks, and say how many more peer failures the file survives.
 */

import { MAX_HAS_CIDS } from '../net/shard-messages.js'
import { parseHandle } from '../format/handle.js'
import { stripeCount } from '../format/manifest.js'
import { shardHolders } from './locate.js'
import { loadManifest } from './manifest-lookup.js'
import type { NodeContext } from './context.js'
import type { ProgressOptions } from './events.js'
import type { CID } from 'multiformats/cid'

export interface HolderStat {
  peerId: string
  /** The holder answered. */
  reachable: boolean
  /** Blocks of the shard it reports having. */
  blocksPresent: number
  error?: string
}

export interface ShardStat {
  index: number
  holders: HolderStat[]
  /** Some reachable holder has every block of the shard. */
  healthy: boolean
}

export interface FileStat {
  manifest: string
  size: number
  encrypted: boolean
  dataShards: number
  parityShards: number
  stripes: number
  shards: ShardStat[]
  healthyShards: number
  /** The file can be read now (at least k healthy shards). */
  readable: boolean
  /** More shard holders that may fail with the file still readable (negative: that many short). */
  survivableFailures: number
  /** (healthy − k) / (n − k), 1 when m = 0 and all shards are healthy. */
  health: number
}

/** How many of `blocks` a peer reports having; unreachable peers count none. */
export async function countPresent (ctx: NodeContext, peerId: string, blocks: CID[], options: ProgressOptions): Promise<HolderStat> {
  try {
    let present = 0
    for (let i = 0; i < blocks.length; i += MAX_HAS_CIDS) {
      const flags = await ctx.holder(peerId).has(blocks.slice(i, i + MAX_HAS_CIDS), { signal: options.signal, timeoutMs: 10_000 })
      present += flags.filter(Boolean).length
    }
    return { peerId, reachable: true, blocksPresent: present }
  } catch (err) {
    options.signal?.throwIfAborted()
    return { peerId, reachable: false, blocksPresent: 0, error: (err as Error).message }
  }
}

export async function statFile (ctx: NodeContext, handleText: string, options: ProgressOptions = {}): Promise<FileStat> {
  const handle = parseHandle(handleText)
  const manifest = await loadManifest(ctx, handle.manifest, options)
  const stripes = stripeCount(manifest)
  const shards = await Promise.all(manifest.shards.map(async (shard): Promise<ShardStat> => {
    const peers = await shardHolders(ctx, manifest, shard.index, options)
    const holders = await Promise.all(peers.map(async peer => await countPresent(ctx, peer, shard.blocks, options)))
    return { index: shard.index, holders, healthy: holders.some(h => h.reachable && h.blocksPresent === stripes) }
  }))
  const k = manifest.dataShards
  const n = k + manifest.parityShards
  const healthyShards = shards.filter(s => s.healthy).length
  return {
    manifest: handle.manifest.toString(),
    size: manifest.size,
    encrypted: manifest.encryption !== null,
    dataShards: k,
    parityShards: manifest.parityShards,
    stripes,
    shards,
    healthyShards,
    readable: healthyShards >= k,
    survivableFailures: healthyShards - k,
    health: n === k ? (healthyShards === n ? 1 : 0) : (healthyShards - k) / (n - k)
  }
}
