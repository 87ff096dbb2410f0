/**
 * Where the filesystem store keeps things, and the atomic-write primitives.
 *
 *   <dir>/shards/<xx>/<cid>         shard bytes, exactly; `sha256sum` of it is the CID's digest
 *   <dir>/owners.log                who stored each owned shard, and when (fs-owners.ts)
 *   <dir>/shards/<xx>/<cid>.meta    {"v":1,"owner":…,"storedAt":…}: the owner of a shard as the store
 *                                   kept it before owners.log; moved into owners.log at start()
 *   <dir>/shards/<xx>/.tmp-<hex>    a write in progress; removed at start()
 *   <dir>/quarantine/<cid>.<ms>-<hex>[.meta]   corrupt shards moved aside, never served
 *                                   (with a sidecar saying who owned them)
 *
 * All 1,024 fan-out folders are made (in the background) at start(), so a put needs no mkdir.
 *
 * `<cid>` is the CIDv1 in base32; `<xx>` is its next-to-last two characters, as in
 * Kubo's flatfs (`next-to-last/2`): every shard CID starts `bafkrei`, and the last
 * character carries only 3 bits, so these two give 1,024 evenly filled folders.
 */
import { randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { SHARD_FILE_MODE } from './constants.js'
import { throwIfAborted } from './utils.js'

export const SHARDS_DIR = 'shards'
export const QUARANTINE_DIR = 'quarantine'
export const TEMP_PREFIX = '.tmp-'
export const META_SUFFIX = '.meta'

/** Sidecar contents, version 1 (older stores, and quarantined shards). */
export interface ShardMeta {
  v: 1
  owner: string
  storedAt: number
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** The names of all 1,024 fan-out folders. */
export function allFanOuts (): string[] {
  return [...BASE32].flatMap(a => [...BASE32].map(b => a + b))
}

/** The fan-out folder of a shard key (its base32 CID). */
export function fanOutOf (key: string): string {
  return key.slice(-3, -1)
}

export function fanOutDir (dir: string, key: string): string {
  return join(dir, SHARDS_DIR, fanOutOf(key))
}

export function shardPath (dir: string, key: string): string {
  return join(fanOutDir(dir, key), key)
}

export function metaPath (dir: string, key: string): string {
  return shardPath(dir, key) + META_SUFFIX
}

/** A fresh name for the quarantined copy of `key` (a shard can be quarantined more than once). */
export function quarantinePath (dir: string, key: string): string {
  return join(dir, QUARANTINE_DIR, `${key}.${Date.now()}-${randomBytes(4).toString('hex')}`)
}

export function isErrno (err: unknown, ...codes: string[]): boolean {
  return codes.includes((err as NodeJS.ErrnoException)?.code ?? '')
}

/** Unlinks `path`, ignoring a file already gone. */
export async function removeIfPresent (path: string): Promise<boolean> {
  try {
    await unlink(path)
    return true
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false
    throw err
  }
}

/** Makes the names in `dir` durable (renames, creations, unlinks). A no-op where directories cannot be fsynced. */
export async function fsyncDir (dir: string): Promise<void> {
  let handle
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch (err) {
    if (!isErrno(err, 'EISDIR', 'EPERM', 'EINVAL', 'EBADF')) throw err
  } finally {
    await handle?.close()
  }
}

/** Temp names: a random prefix per process and a counter, so a write costs no random bytes. */
const tempPrefix = `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-`
let tempCounter = 0

/** A fresh temp file name in `folder`. */
export function tempPath (folder: string): string {
  return join(folder, `${tempPrefix}${(tempCounter++).toString(36)}`)
}

export interface AtomicWriteOptions {
  signal?: AbortSignal
  /** Modification time to give the file, ms since the epoch. */
  mtimeMs?: number
}

/**
 * Writes `bytes` to a new temp file in `folder` and makes it durable (write,
 * set the time, fsync, close): the first half of an atomic write. Resolves
 * with its path; on failure the temp file is removed. The caller renames it
 * into place (or removes it).
 */
export async function writeTempFile (folder: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): Promise<string> {
  const temp = tempPath(folder)
  let written = false
  try {
    throwIfAborted(options.signal)
    const handle = await open(temp, 'wx', SHARD_FILE_MODE)
    try {
      let at = 0
      while (at < bytes.byteLength) {
        const { bytesWritten } = await handle.write(bytes, at, bytes.byteLength - at)
        at += bytesWritten
      }
      if (options.mtimeMs !== undefined) await handle.utimes(options.mtimeMs / 1000, options.mtimeMs / 1000)
      await handle.sync()
    } finally {
      await handle.close()
    }
    written = true
    return temp
  } finally {
    if (!written) await removeIfPresent(temp).catch(() => {})
  }
}

/**
 * Writes `bytes` to `path` so that a reader (or a restart after a crash) sees the
 * old state or the whole new file, never a torn one: write a temp file in the same
 * folder, fsync it, rename it over `path`. The caller fsyncs the folder to make the
 * rename itself durable. The signal is honoured until the rename, not after.
 */
export async function writeFileAtomic (path: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = await writeTempFile(join(path, '..'), bytes, options)
  let renamed = false
  try {
    throwIfAborted(options.signal)
    await rename(temp, path)
    renamed = true
  } finally {
    if (!renamed) await removeIfPresent(temp).catch(() => {})
  }
}
