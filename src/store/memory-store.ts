/**
 * A ShardStore in memory, with the filesystem store's semantics: bytes verified
 * on put and re-hashed on every get, a quota that concurrent puts cannot overfill,
 * owner-checked deletes, quarantine of corrupt shards. Content survives stop() and
 * start() (the object holds it); it is gone with the object.
 */
import { logger } from '@libp2p/logger'
import { digestMatches, sha256 } from '../format/cid.js'
import { DEFAULT_MEMORY_CAPACITY_BYTES } from './constants.js'
import { CorruptShardError, InvalidShardError, NotOwnerError, ShardNotFoundError } from './errors.js'
import {
  checkCapacity, checkOwner, checkRangeArgs, checkShardBytes, emit, Lifecycle, Quota, resolveRange, shardKey, throwIfAborted
} from './utils.js'
import type {
  DeleteOptions, GetOptions, PutOptions, ScrubOptions, ScrubReport, ShardInfo, ShardStore, StoreOptions, StoreStats
} from './types.js'
import type { CID } from 'multiformats/cid'

const log = logger('shoal:store:memory')

export interface MemoryShardStoreInit {
  /** Bytes of shards the store may hold. Default DEFAULT_MEMORY_CAPACITY_BYTES (256 MiB). */
  capacityBytes?: number
}

interface Entry {
  cid: CID
  /** Length when stored: what the quota counts, even if the bytes are later damaged. */
  size: number
  bytes: Uint8Array
  owner?: string
  storedAt: number
}

/** Entries of each memory store, reachable from the testing helpers only. */
const entriesOf = new WeakMap<ShardStore, Map<string, Entry>>()

class MemoryShardStore implements ShardStore {
  private readonly shards = new Map<string, Entry>()
  private readonly quota: Quota
  private readonly lifecycle = new Lifecycle()
  private quarantinedCount = 0
  private quarantinedBytes = 0

  constructor (init: MemoryShardStoreInit) {
    this.quota = new Quota(checkCapacity(init.capacityBytes ?? DEFAULT_MEMORY_CAPACITY_BYTES))
    entriesOf.set(this, this.shards)
  }

  async start (): Promise<void> {
    this.lifecycle.markStarted()
  }

  async stop (): Promise<void> {
    await this.lifecycle.close()
  }

  async put (cid: CID, bytes: Uint8Array, options: PutOptions = {}): Promise<void> {
    await this.lifecycle.run(async () => {
      const { cid: c, key } = shardKey(cid)
      checkShardBytes(c, bytes)
      checkOwner(options.owner)
      // Hash a private copy: the caller may reuse its buffer while we await.
      const copy = bytes.slice()
      if (!digestMatches(c, await sha256(copy, options))) throw new InvalidShardError(c, 'hash-mismatch', copy.byteLength)
      throwIfAborted(options.signal)
      // From here to the end nothing awaits: the check, the reservation and the
      // store happen in one turn, so concurrent puts cannot overfill.
      if (this.shards.has(key)) return
      this.quota.reserve(copy.byteLength)
      this.quota.commit(copy.byteLength)
      this.shards.set(key, { cid: c, size: copy.byteLength, bytes: copy, owner: options.owner, storedAt: Date.now() })
    })
  }

  async get (cid: CID, options: GetOptions = {}): Promise<Uint8Array> {
    return await this.lifecycle.run(async () => {
      const { cid: c, key } = shardKey(cid)
      checkRangeArgs(options.offset, options.length)
      throwIfAborted(options.signal)
      const entry = this.shards.get(key)
      if (entry == null) throw new ShardNotFoundError(c)
      const { start, end } = resolveRange(entry.size, options.offset, options.length)
      if (!digestMatches(c, await sha256(entry.bytes, options))) {
        this.quarantine(key, entry)
        throw new CorruptShardError(c)
      }
      return entry.bytes.slice(start, end)
    })
  }

  async has (cid: CID, options: StoreOptions = {}): Promise<boolean> {
    return await this.lifecycle.run(async () => {
      const { key } = shardKey(cid)
      throwIfAborted(options.signal)
      return this.shards.has(key)
    })
  }

  async stat (cid: CID, options: StoreOptions = {}): Promise<ShardInfo> {
    return await this.lifecycle.run(async () => {
      const { cid: c, key } = shardKey(cid)
      throwIfAborted(options.signal)
      const entry = this.shards.get(key)
      if (entry == null) throw new ShardNotFoundError(c)
      return info(entry)
    })
  }

  async delete (cid: CID, options: DeleteOptions = {}): Promise<boolean> {
    return await this.lifecycle.run(async () => {
      const { cid: c, key } = shardKey(cid)
      checkOwner(options.owner)
      throwIfAborted(options.signal)
      const entry = this.shards.get(key)
      if (entry == null) return false
      if (entry.owner !== undefined && entry.owner !== options.owner && options.force !== true) {
        throw new NotOwnerError(c, options.owner)
      }
      this.shards.delete(key)
      this.quota.remove(entry.size)
      return true
    })
  }

  async * list (options: StoreOptions = {}): AsyncGenerator<ShardInfo> {
    this.lifecycle.assertStarted()
    const keys = [...this.shards.keys()]
    for (const key of keys) {
      this.lifecycle.assertStarted()
      throwIfAborted(options.signal)
      const entry = this.shards.get(key)
      if (entry != null) yield info(entry)
    }
  }

  async stats (options: StoreOptions = {}): Promise<StoreStats> {
    return await this.lifecycle.run(async () => {
      throwIfAborted(options.signal)
      return {
        capacityBytes: this.quota.capacity,
        usedBytes: this.quota.used,
        freeBytes: this.quota.free,
        shardCount: this.shards.size,
        quarantinedCount: this.quarantinedCount,
        quarantinedBytes: this.quarantinedBytes
      }
    })
  }

  async scrub (options: ScrubOptions = {}): Promise<ScrubReport> {
    return await this.lifecycle.run(async () => {
      const report: ScrubReport = { checked: 0, corrupt: [], bytesChecked: 0 }
      for (const key of [...this.shards.keys()]) {
        throwIfAborted(options.signal)
        const entry = this.shards.get(key)
        if (entry == null) continue
        const ok = digestMatches(entry.cid, await sha256(entry.bytes, options))
        if (!ok) {
          this.quarantine(key, entry)
          report.corrupt.push(entry.cid)
        }
        report.checked++
        report.bytesChecked += entry.size
        emit(options.onProgress, { type: 'store:scrub:shard', detail: { cid: entry.cid, ok, checked: report.checked } })
      }
      return report
    })
  }

  /** Moves a corrupt entry out of the store, unless it was replaced while it was hashed. */
  private quarantine (key: string, entry: Entry): void {
    if (this.shards.get(key) !== entry) return
    this.shards.delete(key)
    this.quota.remove(entry.size)
    this.quarantinedCount++
    this.quarantinedBytes += entry.size
    log.error('shard %s is corrupt: quarantined', key)
  }
}

function info (entry: Entry): ShardInfo {
  const out: ShardInfo = { cid: entry.cid, size: entry.size, storedAt: entry.storedAt }
  if (entry.owner !== undefined) out.owner = entry.owner
  return out
}

/** A ShardStore that keeps shards in memory. Call start() before use. */
export function createMemoryShardStore (init: MemoryShardStoreInit = {}): ShardStore {
  return new MemoryShardStore(init)
}

/**
 * FOR TESTS ONLY (exported from `store/testing.ts`, not from the store index):
 * replaces the stored bytes of a shard in place, bypassing every check, so the
 * corruption paths can be exercised. Size, quota and stats keep counting the
 * length that was stored, as the filesystem store's do until it re-reads the file.
 */
export function corruptMemoryShardForTesting (store: ShardStore, cid: CID, corrupt: (bytes: Uint8Array) => Uint8Array): void {
  const shards = entriesOf.get(store)
  if (shards == null) throw new TypeError('not a memory shard store')
  const entry = shards.get(cid.toString())
  if (entry == null) throw new TypeError(`shard not stored: ${cid.toString()}`)
  shards.set(cid.toString(), { ...entry, bytes: corrupt(entry.bytes.slice()) })
}
