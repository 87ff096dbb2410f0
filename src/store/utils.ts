/** Argument checks, abort handling and quota accounting shared by the stores. */
import { AbortError } from '@libp2p/interface'
import { assertShardCid } from '../format/cid.js'
import { MAX_OWNER_CHARS, MAX_SHARD_BYTES } from './constants.js'
import { InvalidArgumentError, InvalidRangeError, InvalidShardError, QuotaExceededError, StoreClosedError } from './errors.js'
import type { CID } from 'multiformats/cid'

export function abortError (signal: AbortSignal): AbortError {
  const err = new AbortError()
  Object.defineProperty(err, 'cause', { value: signal.reason, configurable: true, writable: true })
  return err
}

/** Throws libp2p's AbortError (name 'AbortError', the signal's reason as cause) once `signal` has fired. */
export function throwIfAborted (signal?: AbortSignal): void {
  if (signal?.aborted === true) throw abortError(signal)
}

/** The shard CID and its string key; throws UnsupportedCidError / InvalidCidError otherwise. */
export function shardKey (cid: CID): { cid: CID, key: string } {
  const c = assertShardCid(cid)
  return { cid: c, key: c.toString() }
}

/** Refuses what cannot be a shard before it is hashed: not bytes, empty, or too large. */
export function checkShardBytes (cid: CID, bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new InvalidShardError(cid, 'not-bytes', 0)
  if (bytes.byteLength === 0) throw new InvalidShardError(cid, 'empty', 0)
  if (bytes.byteLength > MAX_SHARD_BYTES) throw new InvalidShardError(cid, 'too-large', bytes.byteLength)
}

export function checkOwner (owner: unknown): void {
  if (owner === undefined) return
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > MAX_OWNER_CHARS) {
    throw new InvalidArgumentError(`owner must be a string of 1 to ${MAX_OWNER_CHARS} characters`)
  }
}

export function checkCapacity (capacityBytes: number): number {
  if (!Number.isSafeInteger(capacityBytes) || capacityBytes < 0) {
    throw new InvalidArgumentError(`capacityBytes must be a non-negative safe integer, got ${String(capacityBytes)}`)
  }
  return capacityBytes
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0

/** Checks the shape of offset/length before the shard is looked up. */
export function checkRangeArgs (offset: unknown, length: unknown): void {
  if ((offset !== undefined && !isCount(offset)) || (length !== undefined && !isCount(length))) {
    throw new InvalidRangeError(Number(offset ?? 0), length === undefined ? undefined : Number(length), -1)
  }
}

/** [start, end) of a get on a shard of `size` bytes. */
export function resolveRange (size: number, offset = 0, length?: number): { start: number, end: number } {
  const end = length === undefined ? size : offset + length
  if (offset > size || end > size) throw new InvalidRangeError(offset, length, size)
  return { start: offset, end }
}

/**
 * Capacity accounting. `reserve` is synchronous, so a check and its reservation
 * cannot interleave with another put's: concurrent puts never overfill the store.
 */
export class Quota {
  used = 0
  reserved = 0
  constructor (readonly capacity: number) {}

  get free (): number {
    return Math.max(0, this.capacity - this.used - this.reserved)
  }

  /** Reserves `bytes` or throws QuotaExceededError. */
  reserve (bytes: number): void {
    const free = this.free
    if (bytes > free) throw new QuotaExceededError(bytes, free, this.capacity)
    this.reserved += bytes
  }

  /** A reservation became a stored shard. */
  commit (bytes: number): void {
    this.reserved -= bytes
    this.used += bytes
  }

  /** A reservation was given up (the put failed). */
  release (bytes: number): void {
    this.reserved -= bytes
  }

  /** A stored shard went away (deleted or quarantined). */
  remove (bytes: number): void {
    this.used -= bytes
  }
}

/**
 * Open/closed state and the calls in flight, so stop() can refuse new calls and
 * wait for the running ones.
 */
export class Lifecycle {
  private open = false
  private readonly inFlight = new Set<Promise<unknown>>()

  get started (): boolean { return this.open }

  assertStarted (): void {
    if (!this.open) throw new StoreClosedError()
  }

  markStarted (): void { this.open = true }

  /** Runs `fn` as a call in flight; rejects with StoreClosedError when not started. */
  async run<T> (fn: () => Promise<T>): Promise<T> {
    this.assertStarted()
    const p = fn()
    this.inFlight.add(p)
    try {
      return await p
    } finally {
      this.inFlight.delete(p)
    }
  }

  /** Refuses new calls and waits until the ones in flight have settled. */
  async close (): Promise<void> {
    this.open = false
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight])
    }
  }
}

/** Calls a progress listener; a throwing listener never breaks the operation. */
export function emit<E> (listener: ((event: E) => void) | undefined, event: E): void {
  if (listener == null) return
  try {
    listener(event)
  } catch {
    // listeners must not break the operation
  }
}
