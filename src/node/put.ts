/**
 * put: encrypt, cut into stripes, encode, hash every block, and send block i
 * of every stripe to the holder of shard i; then store the manifest on every
 * holder and announce it. Memory stays at about PUT_WINDOW_STRIPES stripes.
 */

import { sha256Sync, shardCidFromDigest } from '../format/cid.js'
import { formatHandle } from '../format/handle.js'
import { AUDIT_CHUNK_BYTES, encodeManifest, MANIFEST_VERSION, merkleRoot, shardBytes } from '../format/index.js'
import { DEFAULT_STRIPE_BYTES, PUT_WINDOW_STRIPES, SEGMENT_BYTES, STORE_TIMEOUT_MS } from './constants.js'
import { encryptStream, generateFileKey, sealedBytes } from './crypto.js'
import { InvalidOptionError, NotEnoughPeersError } from './errors.js'
import { emit } from './events.js'
import { rankCandidates } from './placement.js'
import { resolveRedundancy } from './redundancy.js'
import type { NodeContext } from './context.js'
import type { ProgressOptions } from './events.js'
import type { Candidate } from './placement.js'
import type { RedundancyOptions } from './redundancy.js'
import type { Manifest } from '../format/manifest.js'
import type { CID } from 'multiformats/cid'

export interface PutOptions extends ProgressOptions, RedundancyOptions {
  /** Encrypt with a fresh AES-256-GCM key (carried by the handle). Default true. */
  encrypt?: boolean
  /** Target data bytes per stripe. Default 1 MiB. */
  stripeBytes?: number
  /** Expected size of a streamed source, so that holders are chosen with room for it. */
  size?: number
  /**
   * When fewer distinct peers with room than shards are found, put several
   * shards on one peer instead of failing, and report the fault tolerance
   * actually achieved. Default false.
   */
  allowColocation?: boolean
  /**
   * Bytes that seed the placement hash instead of a random file id: the same
   * seed over the same peers gives the same holders (the simulation uses it to
   * replay a run). With a seed, placement waits for every storage peer's
   * capacity answer. Default: 16 random bytes.
   */
  placementSeed?: Uint8Array
  /** How long holders keep the blocks unless renewed. Default: the node's `leaseMs`. */
  leaseMs?: number
  /** Add the file to this node's periodic check (audits, lease renewal, repair). Default true. */
  track?: boolean
}

export interface PutResult {
  /** `shoal:<manifest CID>#<key>`: the read capability. */
  handle: string
  manifest: string
  size: number
  dataShards: number
  parityShards: number
  /** Holder of each shard, by shard index. */
  holders: string[]
  /** How many holders may fail with the file still readable. */
  faultTolerance: number
}

export type PutSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>

/** The most holders that may fail, whichever they are, leaving >= k shards. */
export function faultTolerance (holders: string[], k: number): number {
  const counts = new Map<string, number>()
  for (const h of holders) counts.set(h, (counts.get(h) ?? 0) + 1)
  const sorted = [...counts.values()].sort((a, b) => b - a)
  let left = holders.length
  let tolerated = 0
  for (const c of sorted) {
    if (left - c < k) break
    left -= c
    tolerated++
  }
  return tolerated
}

function chooseHolders (fileId: Uint8Array, candidates: Candidate[], n: number, perShard: number, colocate: boolean): string[] {
  const ranked = rankCandidates(fileId, candidates, perShard)
  if (ranked.length >= n) return ranked.slice(0, n).map(c => c.peerId)
  if (!colocate || ranked.length === 0) throw new NotEnoughPeersError(n, ranked.length)
  return Array.from({ length: n }, (_, i) => ranked[i % ranked.length].peerId)
}

async function * asStream (source: PutSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source
    return
  }
  yield * source
}

export async function putFile (ctx: NodeContext, source: PutSource, options: PutOptions = {}): Promise<PutResult> {
  const { dataShards: k, parityShards: m } = resolveRedundancy(options)
  const n = k + m
  const encrypt = options.encrypt ?? true
  const stripeTarget = options.stripeBytes ?? DEFAULT_STRIPE_BYTES
  if (!Number.isSafeInteger(stripeTarget) || stripeTarget < 1 || stripeTarget > 64 * 1024 * 1024) {
    throw new InvalidOptionError(`stripeBytes must be an integer in 1..64 MiB, got ${String(options.stripeBytes)}`)
  }
  const stripeBytes = Math.ceil(stripeTarget / k) * k
  const sizeHint = source instanceof Uint8Array ? source.length : options.size
  if (sizeHint !== undefined && (!Number.isSafeInteger(sizeHint) || sizeHint < 0)) {
    throw new InvalidOptionError(`size must be a non-negative integer, got ${String(options.size)}`)
  }
  const signal = options.signal
  signal?.throwIfAborted()

  // Placement: peers with room for one shard of this file.
  const encodedHint = sizeHint === undefined ? stripeBytes : encrypt ? sealedBytes(sizeHint, SEGMENT_BYTES) : sizeHint
  const perShard = Math.max(1, shardBytes({ encodedBytes: encodedHint, stripeBytes, dataShards: k }))
  const fileId = options.placementSeed ?? globalThis.crypto.getRandomValues(new Uint8Array(16))
  // A placement seed asks for reproducible placement, which needs every
  // peer's answer; otherwise placement goes ahead once 3n peers answered.
  const wanted = options.placementSeed === undefined ? 3 * n : undefined
  const holderIds = chooseHolders(fileId, await ctx.discover({ signal, wanted }), n, perShard, options.allowColocation === true)
  emit(options, { type: 'node:put:placement', detail: { holders: holderIds } })
  ctx.log('put %d+%d to %s', k, m, holderIds.join(', '))

  const key = encrypt ? generateFileKey() : undefined
  const codec = ctx.codec(k, m)
  const blocks: CID[][] = Array.from({ length: n }, () => [])
  const roots: Uint8Array[][] = Array.from({ length: n }, () => [])
  const stored: Array<{ holder: string, cid: CID }> = []
  let plainBytes = 0
  let encodedBytes = 0

  const counted = async function * (): AsyncGenerator<Uint8Array> {
    for await (const chunk of asStream(source)) {
      plainBytes += chunk.length
      yield chunk
    }
  }
  const bytes = key === undefined ? counted() : encryptStream(counted(), key, { segmentBytes: SEGMENT_BYTES, signal })

  try {
    const window: Array<Promise<void>> = []
    for await (const stripe of codec.encodeStream(bytes, { stripeBytes, signal })) {
      encodedBytes += stripe.dataBytes
      const sends = stripe.shards.map(async (block, i) => {
        const cid = shardCidFromDigest(sha256Sync(block))
        blocks[i][stripe.index] = cid
        roots[i][stripe.index] = merkleRoot(block, AUDIT_CHUNK_BYTES)
        // No announcement: the manifest names these first holders; repaired ones are announced by repair.
        await ctx.holder(holderIds[i]).store(cid, block, { signal, timeoutMs: STORE_TIMEOUT_MS, leaseMs: options.leaseMs })
        stored.push({ holder: holderIds[i], cid })
      })
      window.push(Promise.all(sends).then(() => {
        emit(options, { type: 'node:put:stripe', detail: { stripe: stripe.index, bytes: stripe.dataBytes } })
      }))
      // Wait for the oldest stripe before reading more once the window is full;
      // a failure anywhere surfaces here.
      if (window.length >= PUT_WINDOW_STRIPES) await window.shift()
      void Promise.allSettled(window) // keep rejections of later stripes handled until awaited
    }
    await Promise.all(window)

    const manifest: Manifest = {
      version: MANIFEST_VERSION,
      size: plainBytes,
      encodedBytes,
      dataShards: k,
      parityShards: m,
      stripeBytes,
      encryption: key === undefined ? null : { algorithm: 'AES-256-GCM', segmentBytes: SEGMENT_BYTES },
      auditChunkBytes: AUDIT_CHUNK_BYTES,
      shards: blocks.map((list, i) => ({ index: i, holders: [holderIds[i]], blocks: list, roots: roots[i] })),
      createdAt: Date.now()
    }
    const manifestBytes = encodeManifest(manifest)
    const manifestCid = shardCidFromDigest(sha256Sync(manifestBytes))
    // Every distinct holder keeps a copy of the manifest and announces it; so
    // does this node when it has room (then `get` here needs no lookup).
    const keepers = [...new Set([...holderIds, ctx.peerId])]
    const results = await Promise.allSettled(keepers.map(async peer => {
      await ctx.holder(peer).store(manifestCid, manifestBytes, { signal, timeoutMs: STORE_TIMEOUT_MS, announce: 'background', leaseMs: options.leaseMs })
    }))
    if (results.every(r => r.status === 'rejected')) throw (results[0] as PromiseRejectedResult).reason
    emit(options, { type: 'node:put:manifest', detail: { manifest: manifestCid.toString() } })

    return {
      handle: formatHandle({ manifest: manifestCid, key }),
      manifest: manifestCid.toString(),
      size: plainBytes,
      dataShards: k,
      parityShards: m,
      holders: holderIds,
      faultTolerance: faultTolerance(holderIds, k)
    }
  } catch (err) {
    // Best effort: take back what was stored, so a failed put does not hold room.
    void Promise.allSettled(stored.map(async ({ holder, cid }) => await ctx.holder(holder).delete(cid, { timeoutMs: 5000 })))
    throw err
  }
}
