/**
 * Small-file helpers for the data directory: atomic writes (temporary file,
 * fsync, rename or create-only link, fsync of the directory), so a crash
 * leaves the old file or the new one, never a torn one.
 */
import { randomBytes } from 'node:crypto'
import { link, open, readFile, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export interface WriteAtomicOptions {
  /** File mode. Default 0o600. */
  mode?: number
  /** Create only: resolve false, leaving the existing file alone, when one is there. Default false. */
  exclusive?: boolean
}

/** Resolves true when written, false when `exclusive` found a file already there. */
export async function writeFileAtomic (path: string, data: string | Uint8Array, options: WriteAtomicOptions = {}): Promise<boolean> {
  const mode = options.mode ?? 0o600
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(tmp, 'wx', mode)
  try {
    try {
      await handle.writeFile(data)
      await handle.chmod(mode)
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (options.exclusive === true) {
      try {
        await link(tmp, path)
      } catch (err: any) {
        if (err?.code === 'EEXIST') return false
        throw err
      }
    } else {
      await rename(tmp, path)
    }
    await syncDir(dir)
    return true
  } finally {
    await unlink(tmp).catch(() => {})
  }
}

async function syncDir (dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // some platforms cannot fsync a directory; the file itself is synced
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readTextIfExists (path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err: any) {
    if (err?.code === 'ENOENT') return undefined
    throw err
  }
}
