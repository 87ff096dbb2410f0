/**
 * Audits: is a peer that says it holds a shard really holding it?
 *
 * An audit of one holder for one shard (a) renews the leases of every block of
 * the shard and of the manifest on that holder, which also tells which blocks
 * it claims to have, then (b) challenges it for a random chunk (16 KiB, auditChunkBytes) of a
 * random block (or of every block) and checks the chunk and its Merkle path
 * against the root the manifest records for that block. A holder passes only
 * when it claims every block and answers every challenge with a proof that
 * verifies: a peer that acknowledged a store and dropped it, or serves
 * corrupted bytes, fails even if it answers "yes, I have it".
 *
 * Health counts shards with a holder that passed. The ledger remembers
 * failures (across restarts, given a datastore); a peer that failed a
 * challenge (it claimed a block and could not prove it) is not chosen for new
 * shards for AUDIT_DISTRUST_MS.
 */

import { randomInt } from 'node:crypto'
import { Key } from 'interface-datastore'
import { blockBytes, stripeCount } from '../format/manifest.js'
import { chunkCount, verifyMerkleProof } from '../format/merkle.js'
import { MAX_HAS_CIDS } from '../net/shard-messages.js'
import { AUDIT_DISTRUST_MS, AUDIT_TIMEOUT_MS } from './constants.js'
import { shardHolders } from './locate.js'
import type { NodeContext } from './context.js'
import type { Manifest } from '../format/manifest.js'
import type { Datastore } from 'interface-datastore'
import type { CID } from 'multiformats/cid'

export type AuditOutcome =
  /** Claims every block and proved the challenged chunks. */
  | 'passed'
  /** Did not answer. */
  | 'unreachable'
  /** Says it does not have some blocks (lost, collected, or never stored). */
  | 'missing'
  /** Claimed the blocks but could not prove a challenged chunk: a liar, or a corrupt disk. */
  | 'failed'

export interface AuditResult {
  peerId: string
  shard: number
  outcome: AuditOutcome
  /** Blocks the holder claims, of the shard's stripes. */
  blocksClaimed: number
  /** Stripes whose block was challenged. */
  challenged: number[]
  /** What went wrong, for failed, missing and unreachable. */
  reason?: string
}

export interface AuditOptions {
  signal?: AbortSignal
  /** Lease to renew the audited blocks for; 0 or undefined: ask `has` only, renew nothing. */
  leaseMs?: number
  /** Blocks challenged per audit: a count of random stripes, or 'all'. Default 1. */
  challenges?: number | 'all'
  /** The manifest's own CID: its copy on the holder is renewed too. */
  manifestCid?: CID
}

const LEDGER_PREFIX = '/shoal/audit-failures/'

/**
 * Audit failures per peer, remembered for AUDIT_DISTRUST_MS: in memory, and
 * written through to the node's datastore when it has one (under
 * /shoal/audit-failures/<peer>), so a restarted node still keeps a liar out.
 */
export class AuditLedger {
  private readonly failures = new Map<string, number>()

  constructor (private readonly datastore?: Datastore, private readonly distrustMs = AUDIT_DISTRUST_MS) {}

  /** Loads the failures saved in the datastore that are still within the distrust period. */
  async load (now = Date.now()): Promise<void> {
    if (this.datastore === undefined) return
    for await (const { key, value } of this.datastore.query({ prefix: LEDGER_PREFIX })) {
      const at = Number(new TextDecoder().decode(value))
      if (Number.isSafeInteger(at) && now - at < this.distrustMs) this.failures.set(key.toString().slice(LEDGER_PREFIX.length), at)
    }
  }

  record (result: AuditResult): void {
    if (result.outcome !== 'failed') return
    const at = Date.now()
    this.failures.set(result.peerId, at)
    this.write(async (d) => { await d.put(new Key(LEDGER_PREFIX + result.peerId), new TextEncoder().encode(String(at))) })
  }

  /** False for a peer that failed a challenge within the distrust period. */
  trusted (peerId: string, now = Date.now()): boolean {
    const at = this.failures.get(peerId)
    if (at === undefined) return true
    if (now - at < this.distrustMs) return false
    this.failures.delete(peerId)
    this.write(async (d) => { await d.delete(new Key(LEDGER_PREFIX + peerId)) })
    return true
  }

  /** Best effort: a failure not written survives only in memory. */
  private write (op: (datastore: Datastore) => Promise<void>): void {
    if (this.datastore !== undefined) void op(this.datastore).catch(() => {})
  }

  /** Peers not trusted now. */
  distrusted (now = Date.now()): string[] {
    return [...this.failures.keys()].filter(p => !this.trusted(p, now))
  }
}

function pickStripes (stripes: number, challenges: number | 'all'): number[] {
  if (stripes === 0) return []
  if (challenges === 'all' || challenges >= stripes) return Array.from({ length: stripes }, (_, s) => s)
  const picked = new Set<number>()
  while (picked.size < challenges) picked.add(randomInt(stripes))
  return [...picked].sort((a, b) => a - b)
}

/** Audits one holder of shard `index`. Never throws but for the caller's abort. */
export async function auditHolder (ctx: NodeContext, manifest: Manifest, index: number, peerId: string, options: AuditOptions = {}): Promise<AuditResult> {
  const shard = manifest.shards[index]
  const stripes = stripeCount(manifest)
  const result: AuditResult = { peerId, shard: index, outcome: 'passed', blocksClaimed: 0, challenged: [] }
  const holder = ctx.holder(peerId)
  const call = { signal: options.signal, timeoutMs: AUDIT_TIMEOUT_MS }
  try {
    const cids = options.manifestCid === undefined ? shard.blocks : [...shard.blocks, options.manifestCid]
    for (let i = 0; i < cids.length; i += MAX_HAS_CIDS) {
      const batch = cids.slice(i, i + MAX_HAS_CIDS)
      const flags = options.leaseMs !== undefined && options.leaseMs > 0
        ? await holder.renew(batch, options.leaseMs, call)
        : await holder.has(batch, call)
      result.blocksClaimed += flags.slice(0, Math.max(0, stripes - i)).filter(Boolean).length
    }
  } catch (err) {
    options.signal?.throwIfAborted()
    return { ...result, outcome: 'unreachable', reason: (err as Error).message }
  }
  if (result.blocksClaimed < stripes) {
    return { ...result, outcome: 'missing', reason: `claims ${result.blocksClaimed} of ${stripes} blocks` }
  }
  const chunkBytes = manifest.auditChunkBytes
  for (const s of pickStripes(stripes, options.challenges ?? 1)) {
    result.challenged.push(s)
    const size = blockBytes(manifest, s)
    const chunk = randomInt(chunkCount(size, chunkBytes))
    try {
      const answer = await holder.audit(shard.blocks[s], chunkBytes, chunk, call)
      if (!verifyMerkleProof(shard.roots[s], size, chunkBytes, chunk, answer.chunk, answer.path)) {
        return { ...result, outcome: 'failed', reason: `chunk ${chunk} of block ${s}: proof does not verify` }
      }
    } catch (err) {
      options.signal?.throwIfAborted()
      const name = (err as Error).name
      // A peer that stops answering mid-audit is unreachable; any answer but a proof is a failure.
      if (name !== 'RemoteError' && name !== 'MalformedMessageError' && name !== 'CorruptShardError' && name !== 'ShardNotFoundError' && name !== 'RangeError') {
        return { ...result, outcome: 'unreachable', reason: (err as Error).message }
      }
      return { ...result, outcome: 'failed', reason: `block ${s}: ${(err as Error).message}` }
    }
  }
  return result
}

export interface ShardAudit {
  index: number
  /** The first holder that passed, or null. */
  holder: string | null
  /** Every holder audited, in order, up to and including the one that passed. */
  results: AuditResult[]
  /** Every peer known to hold the shard (audited or not). */
  candidates: string[]
}

/**
 * Audits the holders of each shard (the manifest's, then those the DHT knows)
 * until one passes. Only that one has its leases renewed: extra copies left
 * by an earlier repair are let expire.
 */
export async function auditFile (ctx: NodeContext & { ledger?: AuditLedger }, manifest: Manifest, options: AuditOptions = {}): Promise<ShardAudit[]> {
  return await Promise.all(manifest.shards.map(async (shard): Promise<ShardAudit> => {
    const results: AuditResult[] = []
    const candidates = await shardHolders(ctx, manifest, shard.index, options)
    for (const peer of candidates) {
      const result = await auditHolder(ctx, manifest, shard.index, peer, options)
      ctx.ledger?.record(result)
      results.push(result)
      if (result.outcome === 'passed') return { index: shard.index, holder: peer, results, candidates }
    }
    return { index: shard.index, holder: null, results, candidates }
  }))
}
