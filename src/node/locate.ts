/**
 * Where a shard lives. The manifest is immutable (its CID is in every handle),
 * so the holders it lists are the first placement only. Every holder of a
 * shard announces the shard's first block in the DHT, so the holders after
 * repairs are found there.
 */

import { DISCOVERY_TIMEOUT_MS } from './constants.js'
import type { NodeContext } from './context.js'
import type { Manifest } from '../format/manifest.js'

/** Peers announcing shard `index` of the file, found within `timeoutMs`. */
export async function shardProviders (ctx: NodeContext, manifest: Manifest, index: number, options: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<string[]> {
  const first = manifest.shards[index].blocks[0]
  if (first === undefined) return []
  const deadline = AbortSignal.timeout(options.timeoutMs ?? DISCOVERY_TIMEOUT_MS)
  const signal = options.signal === undefined ? deadline : AbortSignal.any([options.signal, deadline])
  const found: string[] = []
  try {
    for await (const peer of ctx.findProviders(first, { signal })) found.push(peer)
  } catch (err) {
    options.signal?.throwIfAborted()
  }
  return found
}

/** The manifest's holders of shard `index`, then any others the DHT knows. */
export async function shardHolders (ctx: NodeContext, manifest: Manifest, index: number, options: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<string[]> {
  const holders = [...manifest.shards[index].holders]
  for (const peer of await shardProviders(ctx, manifest, index, options)) {
    if (!holders.includes(peer)) holders.push(peer)
  }
  return holders
}
