/**
 * The owner journal of a filesystem store: who stored each owned shard, and
 * when, in one append-only file instead of a sidecar per shard.
 *
 *   <dir>/owners.log   one record per line:
 *     <cid> TAB <storedAt ms> TAB <owner as a JSON string> LF    an owned shard was stored
 *     <cid> TAB - LF                                            it is gone (deleted, quarantined, put failed)
 *
 * Appends are group-committed: records queued while a write is under way go
 * out together in the next write and share one fdatasync. A put waits for its
 * record to be durable before its shard file gets its name, so after a crash
 * a shard is never found without the owner it was stored with; a record whose
 * shard never appeared is dropped when the journal is compacted at start.
 * A line that cannot be read (damaged on disk) marks its shard's owner as
 * damaged when its CID can still be read (deletes then fail closed), and is
 * skipped otherwise; a torn last line (a crash during an append) is skipped.
 */
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { SHARD_FILE_MODE } from './constants.js'
import { fsyncDir, writeFileAtomic } from './fs-layout.js'
import type { FileHandle } from 'node:fs/promises'

const log = logger('shoal:store:fs')

export const OWNERS_LOG = 'owners.log'

/** What the journal says about one shard. */
export interface OwnerRecord {
  owner?: string
  storedAt?: number
  /** A record exists but cannot be read: the owner is unknown. */
  damaged?: boolean
}

export function ownerLine (key: string, owner: string, storedAt: number): string {
  return `${key}\t${storedAt}\t${JSON.stringify(owner)}\n`
}

export function goneLine (key: string): string {
  return `${key}\t-\n`
}

/** Parses the journal's text: the last record of every CID wins; gone CIDs are absent. */
export function parseOwnerLog (text: string, isKey: (key: string) => boolean): { records: Map<string, OwnerRecord>, lines: number } {
  const records = new Map<string, OwnerRecord>()
  const lines = text.split('\n')
  const torn = lines.pop() // '' when the text ends with LF; otherwise a torn last append
  if (torn !== undefined && torn.length > 0) log('owner journal: skipping a torn last line')
  for (const line of lines) {
    if (line.length === 0) continue
    const [key, at, owner, extra] = line.split('\t')
    if (!isKey(key)) {
      log.error('owner journal: skipping a damaged line')
      continue
    }
    if (at === '-' && owner === undefined) {
      records.delete(key)
      continue
    }
    let parsed: unknown
    try {
      parsed = owner === undefined ? undefined : JSON.parse(owner)
    } catch {}
    const storedAt = Number(at)
    if (extra !== undefined || typeof parsed !== 'string' || parsed.length === 0 || !Number.isSafeInteger(storedAt) || storedAt < 0) {
      log.error('owner journal: the record of %s is damaged: the owner of its shard is unknown', key)
      records.set(key, { damaged: true })
      continue
    }
    records.set(key, { owner: parsed, storedAt })
  }
  return { records, lines: lines.length }
}

/** The append side of the journal. Open with `openOwnerLog`. */
export class OwnerLog {
  private readonly handle: FileHandle
  /** Records waiting for the next write, and the promise of that write. */
  private next?: { lines: string[], done: Promise<void> }
  /** Settles when the write under way (if any) has finished. */
  private running: Promise<void> = Promise.resolve()
  /** A failed write may have left a partial line: the next write starts a fresh line. */
  private dirty = false
  private closed = false

  constructor (handle: FileHandle) {
    this.handle = handle
  }

  /** Appends `line` (ending in LF); resolves once it is on disk. */
  async append (line: string): Promise<void> {
    if (this.closed) throw new Error('the owner journal is closed')
    if (this.next === undefined) {
      const lines: string[] = []
      const done = this.running.then(async () => {
        this.next = undefined
        await this.write(lines.join(''))
      })
      this.next = { lines, done }
      this.running = done.catch(() => {})
    }
    this.next.lines.push(line)
    await this.next.done
  }

  private async write (text: string): Promise<void> {
    const bytes = new TextEncoder().encode(this.dirty ? `\n${text}` : text)
    try {
      let at = 0
      while (at < bytes.byteLength) {
        // opened with O_APPEND: every write goes to the end
        const { bytesWritten } = await this.handle.write(bytes, at, bytes.byteLength - at)
        at += bytesWritten
      }
      await this.handle.datasync()
      this.dirty = false
    } catch (err) {
      this.dirty = true
      throw err
    }
  }

  /** Waits for the writes under way, then closes the file. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.running
    await this.handle.close()
  }
}

/**
 * Reads the journal of the store in `dir`, rewrites it (atomically) with only
 * the records of `liveKeys` when it holds anything else, and opens it for
 * appending.
 */
export async function openOwnerLog (dir: string, isKey: (key: string) => boolean, liveKeys: (key: string) => boolean): Promise<{ log: OwnerLog, records: Map<string, OwnerRecord> }> {
  const path = join(dir, OWNERS_LOG)
  let text = ''
  try {
    const handle = await open(path, 'r')
    try {
      text = await handle.readFile('utf8')
    } finally {
      await handle.close()
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const { records, lines } = parseOwnerLog(text, isKey)
  for (const key of records.keys()) {
    if (!liveKeys(key)) records.delete(key)
  }
  const clean = [...records].filter(([, r]) => r.damaged !== true)
  if (lines !== clean.length || !text.endsWith('\n')) {
    // damaged records are kept as such: a line with the CID and no owner
    const compacted = [...records].map(([key, r]) => r.damaged === true ? `${key}\t?\n` : ownerLine(key, r.owner as string, r.storedAt as number)).join('')
    if (compacted.length > 0 || text.length > 0) {
      await writeFileAtomic(path, new TextEncoder().encode(compacted))
      await fsyncDir(dir)
      log('owner journal compacted: %d lines to %d', lines, records.size)
    }
  }
  const handle = await open(path, 'a', SHARD_FILE_MODE)
  return { log: new OwnerLog(handle), records }
}
