/**
 * Typed errors of the shard store. Each has a stable `name` to test and branch on,
 * accepts `{ cause }`, and carries its context as fields. A cancelled call rejects
 * with libp2p's `AbortError` (name 'AbortError'), not with one of these.
 */
import type { CID } from 'multiformats/cid'

export interface StoreErrorOptions {
  cause?: unknown
}

/** Base class: every store error is an instance of it. */
export class ShardStoreError extends Error {
  static readonly code: string = 'ERR_SHARD_STORE'
  readonly code: string = 'ERR_SHARD_STORE'
  constructor (message: string, options: StoreErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'ShardStoreError'
  }
}

/** No shard with this CID is stored (never was, was deleted, or was quarantined). */
export class ShardNotFoundError extends ShardStoreError {
  static override readonly code = 'ERR_SHARD_NOT_FOUND'
  override readonly code = 'ERR_SHARD_NOT_FOUND'
  readonly cid: CID
  constructor (cid: CID, options: StoreErrorOptions = {}) {
    super(`shard not found: ${cid.toString()}`, options)
    this.name = 'ShardNotFoundError'
    this.cid = cid
  }
}

/** Storing the shard would take the store past its capacity. Nothing was stored. */
export class QuotaExceededError extends ShardStoreError {
  static override readonly code = 'ERR_QUOTA_EXCEEDED'
  override readonly code = 'ERR_QUOTA_EXCEEDED'
  /** Bytes the put needed. */
  readonly needed: number
  /** Bytes free (capacity less used and reserved) when it was refused. */
  readonly free: number
  readonly capacity: number
  constructor (needed: number, free: number, capacity: number, options: StoreErrorOptions = {}) {
    super(`store full: need ${needed} bytes, ${free} of ${capacity} free`, options)
    this.name = 'QuotaExceededError'
    this.needed = needed
    this.free = free
    this.capacity = capacity
  }
}

/**
 * The stored bytes do not hash to the CID. The shard has been moved to quarantine
 * and is no longer in the store; the bad bytes were not returned.
 */
export class CorruptShardError extends ShardStoreError {
  static override readonly code = 'ERR_CORRUPT_SHARD'
  override readonly code = 'ERR_CORRUPT_SHARD'
  readonly cid: CID
  constructor (cid: CID, options: StoreErrorOptions = {}) {
    super(`shard is corrupt and was quarantined: ${cid.toString()}`, options)
    this.name = 'CorruptShardError'
    this.cid = cid
  }
}

/** Why a put was refused as an invalid shard. */
export type InvalidShardReason = 'hash-mismatch' | 'empty' | 'too-large' | 'not-bytes'

/** A put whose bytes cannot be this shard: they do not hash to the CID, are empty, too large, or not bytes. */
export class InvalidShardError extends ShardStoreError {
  static override readonly code = 'ERR_INVALID_SHARD'
  override readonly code = 'ERR_INVALID_SHARD'
  readonly cid: CID
  readonly reason: InvalidShardReason
  /** Length of the offered bytes (0 when they were not bytes). */
  readonly size: number
  constructor (cid: CID, reason: InvalidShardReason, size: number, options: StoreErrorOptions = {}) {
    super(`invalid shard ${cid.toString()} (${reason}, ${size} bytes)`, options)
    this.name = 'InvalidShardError'
    this.cid = cid
    this.reason = reason
    this.size = size
  }
}

/** A delete by someone other than the owner recorded when the shard was stored. */
export class NotOwnerError extends ShardStoreError {
  static override readonly code = 'ERR_NOT_OWNER'
  override readonly code = 'ERR_NOT_OWNER'
  readonly cid: CID
  /** The owner given to the delete (undefined when none was). */
  readonly requestedBy: string | undefined
  constructor (cid: CID, requestedBy: string | undefined, options: StoreErrorOptions = {}) {
    super(`not the owner of shard ${cid.toString()}`, options)
    this.name = 'NotOwnerError'
    this.cid = cid
    this.requestedBy = requestedBy
  }
}

/** The store is not started, or has been stopped. */
export class StoreClosedError extends ShardStoreError {
  static override readonly code = 'ERR_STORE_CLOSED'
  override readonly code = 'ERR_STORE_CLOSED'
  constructor (message = 'the shard store is not started', options: StoreErrorOptions = {}) {
    super(message, options)
    this.name = 'StoreClosedError'
  }
}

/** offset/length of a ranged get are not integers, are negative, or reach past the shard. */
export class InvalidRangeError extends ShardStoreError {
  static override readonly code = 'ERR_INVALID_RANGE'
  override readonly code = 'ERR_INVALID_RANGE'
  readonly offset: number
  readonly length: number | undefined
  /** Size of the shard (-1 when the range was refused before the shard was looked up). */
  readonly size: number
  constructor (offset: number, length: number | undefined, size: number, options: StoreErrorOptions = {}) {
    super(`invalid range: offset ${offset}, length ${String(length)} of a ${size}-byte shard`, options)
    this.name = 'InvalidRangeError'
    this.offset = offset
    this.length = length
    this.size = size
  }
}

/** An argument other than the shard bytes or range is invalid (an owner, an init field). */
export class InvalidArgumentError extends ShardStoreError {
  static override readonly code = 'ERR_INVALID_ARGUMENT'
  override readonly code = 'ERR_INVALID_ARGUMENT'
  constructor (message: string, options: StoreErrorOptions = {}) {
    super(message, options)
    this.name = 'InvalidArgumentError'
  }
}
