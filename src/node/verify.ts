/**
 * verify: fetch every block of every shard from a holder and check it against
 * its CID. Unlike get, which reads k shards, this reads all n, so it finds
 * damage on shards a get would not touch. Memory: one block per shard.
 */

import { RemoteError } from '../net/errors.js'
import { Status } from '../net/shard-messages.js'
import { digestMatches, sha256Sync } from '../format/cid.js'
import { parseHandle } from '../format/handle.js'
import { blockBytes, stripeCount } from '../format/manifest.js'
import { FETCH_TIMEOUT_MS } from './constants.js'
import { shardHolders } from './locate.js'
import { loadManifest } from './manifest-lookup.js'
import type { NodeContext } from './context.js'
import type { GetOptions } from './get.js'

export interface ShardVerification {
  index: number
  /** The holder whose blocks were checked, or null when none answered. */
  holder: string | null
  blocksGood: number
  /** Blocks that came back with the wrong bytes, or that the holder reports corrupt. */
  blocksBad: number
  /** Blocks the holder does not have or could not send. */
  blocksMissing: number
}

export interface VerifyReport {
  manifest: string
  stripes: number
  shards: ShardVerification[]
  /** Shards whose every block is good. */
  goodShards: number
  /** Every block of every shard is good. */
  ok: boolean
  /** Blocks found damaged (bad bytes or reported corrupt). */
  badBlocks: number
}

export async function verifyFile (ctx: NodeContext, handleText: string, options: GetOptions = {}): Promise<VerifyReport> {
  const handle = parseHandle(handleText)
  const manifest = await loadManifest(ctx, handle.manifest, options)
  const stripes = stripeCount(manifest)
  const timeoutMs = options.fetchTimeoutMs ?? FETCH_TIMEOUT_MS
  const shards = await Promise.all(manifest.shards.map(async (shard): Promise<ShardVerification> => {
    const peers = await shardHolders(ctx, manifest, shard.index, options)
    let best: ShardVerification = { index: shard.index, holder: null, blocksGood: 0, blocksBad: 0, blocksMissing: stripes }
    for (const peer of peers) {
      const result: ShardVerification = { index: shard.index, holder: peer, blocksGood: 0, blocksBad: 0, blocksMissing: 0 }
      for (let s = 0; s < stripes; s++) {
        const cid = shard.blocks[s]
        try {
          const bytes = await ctx.holder(peer).fetch(cid, { signal: options.signal, timeoutMs, length: blockBytes(manifest, s) })
          if (digestMatches(cid, sha256Sync(bytes))) result.blocksGood++
          else result.blocksBad++
        } catch (err) {
          options.signal?.throwIfAborted()
          if (err instanceof RemoteError && err.status === Status.CORRUPT) result.blocksBad++
          else result.blocksMissing++
        }
      }
      if (result.blocksGood > best.blocksGood || best.holder === null) best = result
      if (best.blocksGood === stripes) break
    }
    return best
  }))
  const goodShards = shards.filter(s => s.blocksGood === stripes).length
  return {
    manifest: handle.manifest.toString(),
    stripes,
    shards,
    goodShards,
    ok: goodShards === shards.length,
    badBlocks: shards.reduce((a, s) => a + s.blocksBad, 0)
  }
}
