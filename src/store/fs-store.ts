/**
 * A ShardStore on the local filesystem (layout in fs-layout.ts, start-up in fs-open.ts).
 *
 * - Writes are atomic (temp file, fsync, rename, fsync folder): a crash leaves the
 *   old state or the whole shard, never a torn one. One file per shard: owners
 *   go to a journal (fs-owners.ts) whose record is made durable, alongside the
 *   shard's temp file, before the shard gets its name; the record is withdrawn
 *   only after the shard is gone. So a shard is never visible without the owner
 *   it was stored with. A store written with per-shard owner sidecars (before
 *   owners.log) is read, and its sidecars moved into the journal, at start().
 * - Every read re-hashes the whole file, ranged reads too (a 1-byte read of a
 *   64 MiB shard costs a 64 MiB read and hash): bad bytes are never returned; the
 *   file is moved to quarantine and the call throws CorruptShardError.
 * - Operations on one shard are serialised by a per-CID lock; different shards run
 *   in parallel. The quota is reserved synchronously before writing.
 * - One store per directory: two processes on the same directory are not detected.
 */
import { mkdir, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { digestMatches, sha256 } from '../format/cid.js'
import { DEFAULT_FS_CAPACITY_BYTES, STORE_DIR_MODE } from './constants.js'
import {
  CorruptShardError, InvalidArgumentError, InvalidShardError, NotOwnerError, QuotaExceededError, ShardNotFoundError
} from './errors.js'
import {
  fanOutDir, fsyncDir, isErrno, QUARANTINE_DIR, quarantinePath, removeIfPresent, shardPath, SHARDS_DIR, writeFileAtomic, writeTempFile
} from './fs-layout.js'
import { makeFanOuts, openStore } from './fs-open.js'
import { goneLine, ownerLine } from './fs-owners.js'
import { readVerified } from './fs-read.js'
import { KeyedLock } from './keyed-lock.js'
import {
  checkCapacity, checkOwner, checkRangeArgs, checkShardBytes, emit, Lifecycle, Quota, resolveRange, shardKey, throwIfAborted
} from './utils.js'
import type { ShardMeta } from './fs-layout.js'
import type { OwnerLog, OwnerRecord } from './fs-owners.js'
import type { IndexEntry } from './fs-scan.js'
import type {
  DeleteOptions, GetOptions, PutOptions, ScrubOptions, ScrubReport, ShardInfo, ShardStore, StoreOptions, StoreStats
} from './types.js'
import type { CID } from 'multiformats/cid'

const log = logger('shoal:store:fs')

export interface FsShardStoreInit {
  /** Directory of the store; created (mode 0700) if missing. Required. */
  dir: string
  /** Bytes of shards the store may hold. Default DEFAULT_FS_CAPACITY_BYTES (10 GiB). */
  capacityBytes?: number
}

class FsShardStore implements ShardStore {
  private readonly dir: string
  private readonly capacityBytes: number
  private index = new Map<string, IndexEntry>()
  private quota: Quota
  private quarantinedCount = 0
  private quarantinedBytes = 0
  private readonly lifecycle = new Lifecycle()
  private readonly locks = new KeyedLock()
  /** Owner and time of the owned shards, as in the journal. */
  private owners = new Map<string, OwnerRecord>()
  private ownerLog?: OwnerLog
  private fanOutsMade?: Promise<void>
  private starting?: Promise<void>

  constructor (init: FsShardStoreInit) {
    if (typeof init?.dir !== 'string' || init.dir.length === 0) throw new InvalidArgumentError('dir is required')
    this.dir = init.dir
    this.capacityBytes = checkCapacity(init.capacityBytes ?? DEFAULT_FS_CAPACITY_BYTES)
    this.quota = new Quota(this.capacityBytes)
  }

  async start (): Promise<void> {
    if (this.lifecycle.started) return
    this.starting ??= this.open().finally(() => { this.starting = undefined })
    await this.starting
  }

  private async open (): Promise<void> {
    const { scan, ownerLog, owners } = await openStore(this.dir)
    this.ownerLog = ownerLog
    this.owners = owners
    this.index = scan.index
    this.quota = new Quota(this.capacityBytes)
    this.quota.used = scan.usedBytes
    this.quarantinedCount = scan.quarantinedCount
    this.quarantinedBytes = scan.quarantinedBytes
    log('started %s: %d shards, %d bytes, %d quarantined, %d leftovers removed', this.dir, scan.index.size, scan.usedBytes, scan.quarantinedCount, scan.removed)
    if (scan.usedBytes > this.capacityBytes) {
      log.error('%s holds %d bytes, more than its capacity of %d: puts are refused until shards are deleted', this.dir, scan.usedBytes, this.capacityBytes)
    }
    // Folders are made in the background; the first puts wait for them.
    this.fanOutsMade = makeFanOuts(this.dir).catch(err => { log.error('making the fan-out folders of %s failed: %s', this.dir, (err as Error).message) })
    this.lifecycle.markStarted()
  }

  async stop (): Promise<void> {
    await this.starting?.catch(() => {})
    if (!this.lifecycle.started) return
    await this.lifecycle.close()
    await this.fanOutsMade
    await this.ownerLog?.close()
    this.ownerLog = undefined
    this.index = new Map()
    this.owners = new Map()
    log('stopped %s', this.dir)
  }

  async put (cid: CID, bytes: Uint8Array, options: PutOptions = {}): Promise<void> {
    await this.lifecycle.run(async () => {
      const { cid: c, key } = shardKey(cid)
      checkShardBytes(c, bytes)
      checkOwner(options.owner)
      // Hash and write a private copy (the caller may reuse its buffer while we
      // await), unless the caller gave its buffer away.
      const copy = options.owned === true ? bytes : bytes.slice()
      if (!digestMatches(c, await sha256(copy, options))) throw new InvalidShardError(c, 'hash-mismatch', copy.byteLength)
      await this.locks.with(key, options.signal, async () => {
        if (this.index.has(key)) return
        throwIfAborted(options.signal)
        this.quota.reserve(copy.byteLength)
        try {
          await this.writeShard(key, copy, options)
        } catch (err) {
          this.quota.release(copy.byteLength)
          if (isErrno(err, 'ENOSPC', 'EDQUOT')) throw new QuotaExceededError(copy.byteLength, 0, this.quota.capacity, { cause: err })
          throw err
        }
        this.quota.commit(copy.byteLength)
        this.index.set(key, { cid: c, size: copy.byteLength })
        await fsyncDir(fanOutDir(this.dir, key))
      })
    })
  }

  /**
   * Writes the shard's temp file and, with an owner, appends its journal
   * record, both made durable; then gives the shard its name. The caller
   * fsyncs the folder.
   */
  private async writeShard (key: string, bytes: Uint8Array, options: PutOptions): Promise<void> {
    const folder = fanOutDir(this.dir, key)
    const storedAt = Date.now()
    const owner = options.owner
    const record = owner === undefined ? undefined : (this.ownerLog as OwnerLog).append(ownerLine(key, owner, storedAt))
    record?.catch(() => {}) // awaited below
    // The time of an owned shard is in its record; an unowned one's is the file's mtime, set exactly.
    const write = { signal: options.signal, mtimeMs: owner === undefined ? storedAt : undefined }
    let temp: string | undefined
    try {
      await this.fanOutsMade
      try {
        temp = await writeTempFile(folder, bytes, write)
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err
        // the folder is missing (removed behind our back, or not made at start)
        await mkdir(folder, { recursive: true, mode: STORE_DIR_MODE })
        await fsyncDir(join(this.dir, SHARDS_DIR))
        temp = await writeTempFile(folder, bytes, write)
      }
      await record
      throwIfAborted(options.signal)
      await rename(temp, shardPath(this.dir, key))
      temp = undefined
    } catch (err) {
      if (temp !== undefined) await removeIfPresent(temp).catch(() => {})
      if (owner !== undefined) await this.ownerLog?.append(goneLine(key)).catch(() => {})
      throw err
    }
    if (owner !== undefined) this.owners.set(key, { owner, storedAt })
  }

  /** Withdraws the journal record of a shard that is gone (call after the shard's removal is durable). */
  private async dropOwner (key: string): Promise<OwnerRecord | undefined> {
    const record = this.owners.get(key)
    if (record === undefined) return undefined
    this.owners.delete(key)
    await this.ownerLog?.append(goneLine(key))
    return record
  }

  async get (cid: CID, options: GetOptions = {}): Promise<Uint8Array> {
    return await this.lifecycle.run(async () => {
      const { cid: c, key } = shardKey(cid)
      checkRangeArgs(options.offset, options.length)
      return await this.locks.with(key, options.signal, async () => {
        const entry = this.index.get(key)
        if (entry == null) throw new ShardNotFoundError(c)
        const { start, end } = resolveRange(entry.size, options.offset, options.length)
        const bytes = await this.readChecked(key, entry, start, end, options.signal)
        if (bytes == null) throw new CorruptShardError(c)
        return bytes
      })
    })
  }

  /**
   * Reads and re-hashes the whole file, keeping [start, end). Returns null, after
   * quarantining the file, when it does not hash to the CID. Call with the lock held.
   */
  private async readChecked (key: string, entry: IndexEntry, start: number, end: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    let read
    try {
      read = await readVerified(shardPath(this.dir, key), entry.cid, entry.size, start, end, signal)
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err
      log.error('shard %s vanished from disk', key)
      this.forget(key, entry)
      await this.dropOwner(key)
      throw new ShardNotFoundError(entry.cid, { cause: err })
    }
    if (read.ok) return read.bytes
    await this.quarantine(key, entry)
    return null
  }

  /** Moves a corrupt shard to quarantine, with a sidecar saying who owned it. Call with the shard's lock held. */
  private async quarantine (key: string, entry: IndexEntry): Promise<void> {
    const to = quarantinePath(this.dir, key)
    let moved = true
    try {
      await rename(shardPath(this.dir, key), to)
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err
      moved = false // removed behind our back meanwhile: nothing to keep
    }
    this.forget(key, entry)
    if (moved) {
      this.quarantinedCount++
      this.quarantinedBytes += entry.size
      log.error('shard %s does not hash to its CID: moved to %s', key, to)
    }
    await fsyncDir(fanOutDir(this.dir, key)) // the shard is gone before its owner record goes
    const record = await this.dropOwner(key)
    if (moved && record?.owner !== undefined) {
      const meta: ShardMeta = { v: 1, owner: record.owner, storedAt: record.storedAt as number }
      await writeFileAtomic(`${to}.meta`, new TextEncoder().encode(JSON.stringify(meta)))
    }
    await fsyncDir(join(this.dir, QUARANTINE_DIR))
  }

  private forget (key: string, entry: IndexEntry): void {
    if (this.index.get(key) !== entry) return
    this.index.delete(key)
    this.quota.remove(entry.size)
  }

  async has (cid: CID, options: StoreOptions = {}): Promise<boolean> {
    return await this.lifecycle.run(async () => {
      const { key } = shardKey(cid)
      throwIfAborted(options.signal)
      return this.index.has(key)
    })
  }

  async stat (cid: CID, options: StoreOptions = {}): Promise<ShardInfo> {
    return await this.lifecycle.run(async () => {
      const { cid: c, key } = shardKey(cid)
      throwIfAborted(options.signal)
      const info = await this.info(key)
      if (info == null) throw new ShardNotFoundError(c)
      return info
    })
  }

  /** Size, owner and time of a shard in the index; undefined when it is not there (or vanished). */
  private async info (key: string): Promise<ShardInfo | undefined> {
    const entry = this.index.get(key)
    if (entry == null) return undefined
    let mtimeMs: number
    try {
      mtimeMs = (await stat(shardPath(this.dir, key))).mtimeMs
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined
      throw err
    }
    const meta = this.owners.get(key) ?? {}
    const out: ShardInfo = { cid: entry.cid, size: entry.size, storedAt: meta.storedAt ?? Math.round(mtimeMs) }
    if (meta.owner !== undefined) out.owner = meta.owner
    return out
  }

  async delete (cid: CID, options: DeleteOptions = {}): Promise<boolean> {
    return await this.lifecycle.run(async () => {
      const { cid: c, key } = shardKey(cid)
      checkOwner(options.owner)
      return await this.locks.with(key, options.signal, async () => {
        const entry = this.index.get(key)
        if (entry == null) return false
        const meta = this.owners.get(key) ?? {}
        // A damaged owner record fails closed: only a forced delete removes the shard.
        const allowed = options.force === true || (meta.damaged !== true && (meta.owner === undefined || meta.owner === options.owner))
        if (!allowed) throw new NotOwnerError(c, options.owner)
        throwIfAborted(options.signal)
        await removeIfPresent(shardPath(this.dir, key))
        this.forget(key, entry)
        await fsyncDir(fanOutDir(this.dir, key)) // the shard is gone before its owner record goes
        await this.dropOwner(key)
        return true
      })
    })
  }

  async * list (options: StoreOptions = {}): AsyncGenerator<ShardInfo> {
    this.lifecycle.assertStarted()
    for (const key of [...this.index.keys()]) {
      this.lifecycle.assertStarted()
      throwIfAborted(options.signal)
      const info = await this.info(key)
      if (info != null) yield info
    }
  }

  async stats (options: StoreOptions = {}): Promise<StoreStats> {
    return await this.lifecycle.run(async () => {
      throwIfAborted(options.signal)
      return {
        capacityBytes: this.quota.capacity,
        usedBytes: this.quota.used,
        freeBytes: this.quota.free,
        shardCount: this.index.size,
        quarantinedCount: this.quarantinedCount,
        quarantinedBytes: this.quarantinedBytes
      }
    })
  }

  async scrub (options: ScrubOptions = {}): Promise<ScrubReport> {
    return await this.lifecycle.run(async () => {
      const report: ScrubReport = { checked: 0, corrupt: [], bytesChecked: 0 }
      for (const key of [...this.index.keys()]) {
        throwIfAborted(options.signal)
        await this.locks.with(key, options.signal, async () => {
          const entry = this.index.get(key)
          if (entry == null) return
          let ok: boolean
          try {
            ok = await this.readChecked(key, entry, 0, 0, options.signal) != null
          } catch (err) {
            if ((err as Error).name === 'ShardNotFoundError') return
            throw err
          }
          if (!ok) report.corrupt.push(entry.cid)
          report.checked++
          report.bytesChecked += entry.size
          emit(options.onProgress, { type: 'store:scrub:shard', detail: { cid: entry.cid, ok, checked: report.checked } })
        })
      }
      return report
    })
  }
}

/** A ShardStore in a directory of the local filesystem. Call start() before use. */
export function createFsShardStore (init: FsShardStoreInit): ShardStore {
  return new FsShardStore(init)
}
