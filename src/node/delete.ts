/**
 * delete: ask every known holder of a file's blocks and manifest to delete
 * them. Holders only delete what this node stored (the store checks the
 * owner), so another peer's handle cannot erase a file it did not put.
 */

import { RemoteError } from '../net/errors.js'
import { Status } from '../net/shard-messages.js'
import { parseHandle } from '../format/handle.js'
import { shardHolders } from './locate.js'
import { loadManifest } from './manifest-lookup.js'
import type { NodeContext } from './context.js'
import type { ProgressOptions } from './events.js'
import type { CID } from 'multiformats/cid'

export interface DeleteReport {
  manifest: string
  /** Blocks (and manifest copies) deleted. */
  deleted: number
  /** Blocks a holder kept because this node did not store them. */
  notOwned: number
  /** Holders that could not be asked. */
  unreachable: string[]
}

export async function deleteFile (ctx: NodeContext, handleText: string, options: ProgressOptions = {}): Promise<DeleteReport> {
  const handle = parseHandle(handleText)
  const manifest = await loadManifest(ctx, handle.manifest, options)
  const report: DeleteReport = { manifest: handle.manifest.toString(), deleted: 0, notOwned: 0, unreachable: [] }
  const work = new Map<string, CID[]>()
  const add = (peer: string, cid: CID): void => { work.set(peer, [...(work.get(peer) ?? []), cid]) }
  await Promise.all(manifest.shards.map(async (shard) => {
    for (const peer of await shardHolders(ctx, manifest, shard.index, options)) {
      for (const block of shard.blocks) add(peer, block)
    }
  }))
  for (const peer of new Set([...manifest.shards.flatMap(s => s.holders), ctx.peerId])) add(peer, handle.manifest)
  await Promise.all([...work.entries()].map(async ([peer, cids]) => {
    for (const cid of cids) {
      try {
        if (await ctx.holder(peer).delete(cid, { signal: options.signal, timeoutMs: 10_000 })) report.deleted++
      } catch (err) {
        options.signal?.throwIfAborted()
        if (err instanceof RemoteError && err.status === Status.NOT_OWNER) { report.notOwned++; continue }
        if ((err as Error).name === 'NotOwnerError') { report.notOwned++; continue }
        if (!report.unreachable.includes(peer)) report.unreachable.push(peer)
        return
      }
    }
  }))
  return report
}
