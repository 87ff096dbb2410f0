/**
 * One daemon per data directory: `<dir>/daemon.lock`, created exclusively
 * (atomic create-only link) and holding the owner's pid. A lock whose pid is
 * no longer alive is stale and taken over; a live one refuses the newcomer
 * with DaemonRunningError, leaving the running daemon untouched.
 */
import { randomBytes } from 'node:crypto'
import { unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { LOCK_FILE_NAME } from './constants.js'
import { DaemonRunningError } from './errors.js'
import { writeFileAtomic } from '../net/atomic-file.js'
import { readTextIfExists } from './fs-util.js'

const log = logger('shoal:api:lock')

export interface DirLock {
  readonly path: string
  /** Removes the lock file if it is still this holder's. */
  release: () => Promise<void>
}

interface LockContent {
  pid: number
  host: string
  nonce: string
  createdAt: string
}

function parse (text: string | undefined): LockContent | null {
  if (text === undefined) return null
  try {
    const value = JSON.parse(text)
    return Number.isInteger(value?.pid) && typeof value?.nonce === 'string' ? value as LockContent : null
  } catch {
    return null
  }
}

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
export function processAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    return err?.code === 'EPERM'
  }
}

export function lockPath (dir: string): string {
  return join(dir, LOCK_FILE_NAME)
}

export async function acquireLock (dir: string): Promise<DirLock> {
  const path = lockPath(dir)
  const mine: LockContent = { pid: process.pid, host: hostname(), nonce: randomBytes(8).toString('hex'), createdAt: new Date().toISOString() }
  const text = JSON.stringify(mine) + '\n'
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await writeFileAtomic(path, text, { mode: 0o600, exclusive: true })) {
      return {
        path,
        release: async () => {
          const current = parse(await readTextIfExists(path).catch(() => undefined))
          if (current?.nonce === mine.nonce) await unlink(path).catch(() => {})
        }
      }
    }
    const existing = await readTextIfExists(path)
    if (existing === undefined) continue // released meanwhile: try again
    const holder = parse(existing)
    // The lock is written atomically, so unreadable content is not a lock being
    // written: it is damage, and is treated as stale.
    if (holder !== null && holder.host === mine.host && processAlive(holder.pid)) {
      throw new DaemonRunningError(dir, holder.pid, path)
    }
    if (holder !== null && holder.host !== mine.host) {
      // another machine (shared file system): its pid means nothing here
      throw new DaemonRunningError(dir, holder.pid, path)
    }
    log('removing stale lock %s (pid %s)', path, holder?.pid ?? 'unknown')
    await unlink(path).catch(() => {})
  }
  throw new DaemonRunningError(dir, -1, path)
}
