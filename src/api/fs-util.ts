/**
 * Small-file helpers for the data directory. Atomic writes are
 * src/net/atomic-file.ts's `writeFileAtomic` (the identity key uses it too).
 */
import { readFile } from 'node:fs/promises'

/** The file's text, or undefined when it does not exist. */
export async function readTextIfExists (path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err: any) {
    if (err?.code === 'ENOENT') return undefined
    throw err
  }
}
