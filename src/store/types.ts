/**
 * The ShardStore interface: content-addressed shard bytes on one node. It knows
 * bytes and CIDs, not peers; `owner` is an opaque string the network layer fills
 * with a PeerId string.
 */
import type { CID } from 'multiformats/cid'

/** Per-call options of every store method. */
export interface StoreOptions {
  /** Cancels the call between steps; it then rejects with an error named 'AbortError'. */
  signal?: AbortSignal
}

export interface PutOptions extends StoreOptions {
  /**
   * Recorded with the shard when this put stores it. Only that owner may delete it.
   * A put of a shard already stored is a no-op and leaves the first owner in place.
   */
  owner?: string
  /**
   * Internal, trusted callers only: the caller gives `bytes` away (it will
   * neither change nor reuse them), so the store writes them without taking a
   * private copy first. Default false.
   */
  owned?: boolean
}

export interface GetOptions extends StoreOptions {
  /** First byte to return. Default 0. */
  offset?: number
  /** Bytes to return. Default: to the end of the shard. offset + length must not pass the end. */
  length?: number
}

export interface DeleteOptions extends StoreOptions {
  /**
   * Who asks. When the shard was stored with an owner, the delete is refused with
   * NotOwnerError unless this equals it (leaving it out counts as a different owner).
   */
  owner?: string
  /** Delete whatever the recorded owner: for the node operator (gc, CLI), never for remote requests. */
  force?: boolean
}

export interface ScrubProgressEvent {
  type: 'store:scrub:shard'
  detail: { cid: CID, ok: boolean, checked: number }
}

export interface ScrubOptions extends StoreOptions {
  /** Called synchronously after each shard is checked; a throwing listener is ignored. */
  onProgress?: (event: ScrubProgressEvent) => void
}

export interface ShardInfo {
  cid: CID
  /** Bytes. */
  size: number
  /** Recorded at the put that stored the shard, if one was given. */
  owner?: string
  /** When the shard was stored, ms since the epoch. */
  storedAt: number
}

export interface StoreStats {
  capacityBytes: number
  /** Bytes of the shards stored (payload only: sidecars and filesystem overhead are not counted). */
  usedBytes: number
  /** capacityBytes less usedBytes and bytes reserved by puts in flight; never negative. */
  freeBytes: number
  shardCount: number
  /** Shards moved to quarantine because their bytes no longer hash to their CID. */
  quarantinedCount: number
  /** Bytes in quarantine; not part of usedBytes. */
  quarantinedBytes: number
}

export interface ScrubReport {
  /** Shards re-hashed. */
  checked: number
  /** Shards found corrupt; they are now quarantined. */
  corrupt: CID[]
  /** Bytes re-hashed. */
  bytesChecked: number
}

/**
 * Every method but start/stop rejects with StoreClosedError unless the store is
 * started. Methods taking a CID reject a CID that is not a shard CID (v1, raw,
 * sha2-256) with UnsupportedCidError (InvalidCidError when it is not a CID).
 */
export interface ShardStore {
  /** Opens the store (the filesystem store scans its directory here). Idempotent. */
  start(): Promise<void>
  /** Refuses new calls, waits for those in flight, and closes. Idempotent. */
  stop(): Promise<void>

  /**
   * Stores `bytes` under `cid` after checking they hash to it (InvalidShardError
   * otherwise; also for empty or larger than MAX_SHARD_BYTES). A shard already
   * stored is left as it is. QuotaExceededError when it would not fit.
   * Once the shard is durably stored the put resolves even if the signal fires.
   */
  put(cid: CID, bytes: Uint8Array, options?: PutOptions): Promise<void>

  /**
   * The shard's bytes, or `length` bytes from `offset`. The whole shard is re-hashed
   * before anything is returned, ranged or not; on a mismatch the shard is
   * quarantined and the call rejects with CorruptShardError. ShardNotFoundError
   * when absent; InvalidRangeError for a bad range.
   */
  get(cid: CID, options?: GetOptions): Promise<Uint8Array>

  /** True when the shard is stored (not re-hashed). */
  has(cid: CID, options?: StoreOptions): Promise<boolean>

  /** Size, owner and time of a stored shard (not re-hashed). ShardNotFoundError when absent. */
  stat(cid: CID, options?: StoreOptions): Promise<ShardInfo>

  /** Removes the shard; false when it was not stored. NotOwnerError: see DeleteOptions. */
  delete(cid: CID, options?: DeleteOptions): Promise<boolean>

  /** The shards stored when the call was made, in no particular order; ones deleted meanwhile are skipped. */
  list(options?: StoreOptions): AsyncIterable<ShardInfo>

  stats(options?: StoreOptions): Promise<StoreStats>

  /** Re-hashes every shard, quarantines the corrupt ones, and reports. */
  scrub(options?: ScrubOptions): Promise<ScrubReport>
}
