/**
 * The start() scan of a filesystem store: rebuilds the index and usage from the
 * files, removes temp files left by a crash and sidecars whose shard is gone,
 * and reads the sidecars of an older store (fs-store.ts moves them into the
 * owner journal). Shard files are stat'ed, not hashed: a damaged one is
 * caught by get or scrub.
 */
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { isShardCid, parseCid } from '../format/cid.js'
import { fanOutOf, META_SUFFIX, QUARANTINE_DIR, removeIfPresent, SHARDS_DIR, TEMP_PREFIX } from './fs-layout.js'
import { readMeta } from './fs-read.js'
import type { MetaRead } from './fs-read.js'
import type { CID } from 'multiformats/cid'

const log = logger('shoal:store:fs')

export interface IndexEntry {
  cid: CID
  /** Bytes, as found at start() or written by put. */
  size: number
}

export interface ScanResult {
  index: Map<string, IndexEntry>
  usedBytes: number
  quarantinedCount: number
  quarantinedBytes: number
  /** Temp files and orphaned sidecars removed. */
  removed: number
  /** Names that are not the store's, left alone. */
  ignored: number
  /** Sidecars (older stores) of the shards found, by shard key, with their paths. */
  sidecars: Map<string, MetaRead & { path: string }>
}

/** True when `key` is a canonical shard CID string. */
export function isShardKey (key: string): boolean {
  return key.length > 3 && cidOfName(key, fanOutOf(key)) !== undefined
}

/** The shard CID a file name stands for, or undefined when it is not a canonical shard name. */
function cidOfName (name: string, fanOut: string): CID | undefined {
  if (fanOutOf(name) !== fanOut) return undefined
  try {
    const cid = parseCid(name)
    return isShardCid(cid) && cid.toString() === name ? cid : undefined
  } catch {
    return undefined
  }
}

async function scanFanOut (folder: string, fanOut: string, result: ScanResult): Promise<void> {
  const entries = await readdir(folder, { withFileTypes: true })
  const metas: string[] = []
  const found: Array<{ key: string, cid: CID }> = []
  for (const entry of entries) {
    const name = entry.name
    if (name.startsWith(TEMP_PREFIX)) {
      if (await removeIfPresent(join(folder, name))) result.removed++
      log('removed leftover temp file %s/%s', fanOut, name)
    } else if (name.endsWith(META_SUFFIX)) {
      metas.push(name)
    } else {
      const cid = entry.isFile() ? cidOfName(name, fanOut) : undefined
      if (cid == null) {
        result.ignored++
        log('ignoring %s/%s: not a shard file', fanOut, name)
      } else {
        found.push({ key: name, cid })
      }
    }
  }
  const sizes = await Promise.all(found.map(async ({ key }) => (await lstat(join(folder, key))).size))
  found.forEach(({ key, cid }, i) => {
    result.index.set(key, { cid, size: sizes[i] })
    result.usedBytes += sizes[i]
  })
  for (const meta of metas) {
    const key = meta.slice(0, -META_SUFFIX.length)
    if (!result.index.has(key)) {
      if (await removeIfPresent(join(folder, meta))) result.removed++
      log('removed orphaned sidecar %s/%s', fanOut, meta)
    } else {
      const path = join(folder, meta)
      result.sidecars.set(key, { ...await readMeta(path), path })
    }
  }
}

async function scanQuarantine (folder: string, result: ScanResult): Promise<void> {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.name.startsWith(TEMP_PREFIX)) {
      if (await removeIfPresent(join(folder, entry.name))) result.removed++
    } else if (entry.isFile() && !entry.name.endsWith(META_SUFFIX)) {
      result.quarantinedCount++
      result.quarantinedBytes += (await lstat(join(folder, entry.name))).size
    }
  }
}

/** Scans `<dir>/shards` and `<dir>/quarantine`, which must exist. */
export async function scanStore (dir: string): Promise<ScanResult> {
  const result: ScanResult = { index: new Map(), usedBytes: 0, quarantinedCount: 0, quarantinedBytes: 0, removed: 0, ignored: 0, sidecars: new Map() }
  const shards = join(dir, SHARDS_DIR)
  for (const entry of await readdir(shards, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name.length === 2) {
      await scanFanOut(join(shards, entry.name), entry.name, result)
    } else if (entry.name.startsWith(TEMP_PREFIX)) {
      if (await removeIfPresent(join(shards, entry.name))) result.removed++
    } else {
      result.ignored++
      log('ignoring shards/%s: not a fan-out folder', entry.name)
    }
  }
  await scanQuarantine(join(dir, QUARANTINE_DIR), result)
  return result
}
