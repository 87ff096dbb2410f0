/**
 * What a filesystem store does when it starts: make its folders, scan the
 * files (fs-scan.ts), open the owner journal (fs-owners.ts) and move the owner
 * sidecars of an older store into it; then, in the background, make the
 * 1,024 fan-out folders so that puts need no mkdir.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { STORE_DIR_MODE } from './constants.js'
import { allFanOuts, fsyncDir, isErrno, QUARANTINE_DIR, removeIfPresent, SHARDS_DIR } from './fs-layout.js'
import { openOwnerLog, ownerLine } from './fs-owners.js'
import { isShardKey, scanStore } from './fs-scan.js'
import type { OwnerLog, OwnerRecord } from './fs-owners.js'
import type { ScanResult } from './fs-scan.js'

const log = logger('shoal:store:fs')

export interface OpenedStore {
  scan: ScanResult
  ownerLog: OwnerLog
  /** Owner and time of the owned shards, as in the journal (sidecars moved in). */
  owners: Map<string, OwnerRecord>
}

/** Makes the store's folders, scans it and opens its owner journal. */
export async function openStore (dir: string): Promise<OpenedStore> {
  for (const d of [dir, join(dir, SHARDS_DIR), join(dir, QUARANTINE_DIR)]) {
    await mkdir(d, { recursive: true, mode: STORE_DIR_MODE })
  }
  const scan = await scanStore(dir)
  const { log: ownerLog, records: owners } = await openOwnerLog(dir, isShardKey, key => scan.index.has(key))
  // Sidecars of an older store: their owners go into the journal, then the sidecars go.
  const moved = [...scan.sidecars].filter(([key]) => !owners.has(key))
  await Promise.all(moved.map(async ([key, meta]) => {
    const record: OwnerRecord = meta.damaged === true || meta.owner === undefined ? { damaged: true } : { owner: meta.owner, storedAt: meta.storedAt }
    owners.set(key, record)
    await ownerLog.append(record.damaged === true ? `${key}\t?\n` : ownerLine(key, meta.owner as string, meta.storedAt as number))
  }))
  for (const meta of scan.sidecars.values()) await removeIfPresent(meta.path)
  if (moved.length > 0) log('moved %d owner sidecars into the owner journal', moved.length)
  return { scan, ownerLog, owners }
}

/** Makes every fan-out folder that is missing (all 1,024 after the first start), 64 at a time. */
export async function makeFanOuts (dir: string): Promise<void> {
  const shards = join(dir, SHARDS_DIR)
  let made = 0
  const names = allFanOuts()
  for (let i = 0; i < names.length; i += 64) {
    const results = await Promise.all(names.slice(i, i + 64).map(async name => {
      try {
        await mkdir(join(shards, name), { mode: STORE_DIR_MODE })
        return 1
      } catch (err) {
        if (isErrno(err, 'EEXIST')) return 0
        throw err
      }
    }))
    made += results.reduce((a: number, b) => a + b, 0)
  }
  if (made > 0) await fsyncDir(shards)
}
