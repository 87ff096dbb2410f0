/** Argument checks shared by the codec and the worker pool. */

import { MAX_TOTAL_SHARDS } from './constants.js'
import { InvalidShardCountsError, ShardSizeError, TooFewShardsError, WrongShardCountError } from './errors.js'

export function checkShardCounts (dataShards: unknown, parityShards: unknown): void {
  const k = dataShards as number
  const m = parityShards as number
  if (!Number.isSafeInteger(k) || !Number.isSafeInteger(m)) {
    throw new InvalidShardCountsError(`shard counts must be integers (dataShards ${String(dataShards)}, parityShards ${String(parityShards)})`, k, m)
  }
  if (k < 1) throw new InvalidShardCountsError(`dataShards must be at least 1, got ${k}`, k, m)
  if (m < 0) throw new InvalidShardCountsError(`parityShards must be at least 0, got ${m}`, k, m)
  if (k + m > MAX_TOTAL_SHARDS) {
    throw new InvalidShardCountsError(`dataShards + parityShards must be at most ${MAX_TOTAL_SHARDS}, got ${k + m}`, k, m)
  }
}

/** Every entry present, a Uint8Array, non-empty and of one length; returns that length. */
export function checkFullShards (shards: unknown, total: number): number {
  if (!Array.isArray(shards)) throw new WrongShardCountError(total, 0)
  if (shards.length !== total) throw new WrongShardCountError(total, shards.length)
  return checkShardSizes(shards, false)
}

/**
 * Entries are Uint8Arrays of one non-zero length, or null/undefined when `allowMissing`.
 * Returns the common length (0 if none present).
 */
export function checkShardSizes (shards: ArrayLike<unknown>, allowMissing: boolean): number {
  let size = -1
  for (let i = 0; i < shards.length; i++) {
    const shard = shards[i]
    if (shard == null && allowMissing) continue
    if (!(shard instanceof Uint8Array)) {
      throw new ShardSizeError(`shard ${i} is not a Uint8Array`, i, Math.max(size, 0), 0)
    }
    if (shard.length === 0) throw new ShardSizeError(`shard ${i} is empty`, i, Math.max(size, 1), 0)
    if (size === -1) size = shard.length
    else if (shard.length !== size) {
      throw new ShardSizeError(`shard ${i} has ${shard.length} bytes, expected ${size}`, i, size, shard.length)
    }
  }
  return Math.max(size, 0)
}

/** Indices of present shards; throws TooFewShardsError under `needed`. */
export function presentIndices (shards: ArrayLike<Uint8Array | null | undefined>, needed: number): number[] {
  const present: number[] = []
  for (let i = 0; i < shards.length; i++) if (shards[i] != null) present.push(i)
  if (present.length < needed) throw new TooFewShardsError(needed, present.length)
  return present
}
