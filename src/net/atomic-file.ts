/**
 * Write a small file atomically: a temporary file in the same directory,
 * fsync, then link (create-only) or rename into place, then fsync the
 * directory. A crash leaves either no file or the whole file, never a torn one.
 */
import { randomBytes } from 'node:crypto'
import { link, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export interface WriteFileAtomicOptions {
  /** File mode. Default 0o600. */
  mode?: number
  /**
   * Refuse to replace an existing file (the write is a create). Default false.
   * Resolves false, leaving the existing file alone, when one was there.
   */
  exclusive?: boolean
}

async function fsyncPath (path: string, flags: string): Promise<void> {
  const handle = await open(path, flags)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Resolves true when the file was written, false when `exclusive` found one already there. */
export async function writeFileAtomic (path: string, data: string | Uint8Array, options: WriteFileAtomicOptions = {}): Promise<boolean> {
  const mode = options.mode ?? 0o600
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(tmp, 'wx', mode)
  try {
    try {
      await handle.writeFile(data)
      await handle.chmod(mode) // the umask may have narrowed or the mode argument been ignored
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (options.exclusive === true) {
      try {
        await link(tmp, path) // fails with EEXIST rather than replacing
      } catch (err: any) {
        if (err?.code === 'EEXIST') return false
        if (err?.code !== 'EPERM' && err?.code !== 'ENOTSUP' && err?.code !== 'ENOSYS') throw err
        // file systems without hard links: a rename is still atomic, only not create-only
        await rename(tmp, path)
      }
    } else {
      await rename(tmp, path)
    }
    try {
      await fsyncPath(dir, 'r')
    } catch {
      // some platforms cannot fsync a directory; the data itself is synced
    }
    return true
  } finally {
    await unlink(tmp).catch(() => {})
  }
}
