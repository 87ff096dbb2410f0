/**
 * The local index of the files this node put (`<dir>/files.json`, mode 0600:
 * it holds handles, and a handle carries the file's key). It backs `ls` and
 * `rm`. Writes are atomic and serialised; only the daemon (one per directory,
 * see lock.ts) writes it.
 */
import { join } from 'node:path'
import { INDEX_FILE_NAME } from './constants.js'
import { ConfigError } from './errors.js'
import { writeFileAtomic } from '../net/atomic-file.js'
import { readTextIfExists } from './fs-util.js'

export interface FileEntry {
  handle: string
  /** Manifest CID: the entry's key. */
  manifest: string
  /** Name given at put time (the file's base name for `shoal put FILE`), or null. */
  name: string | null
  size: number
  dataShards: number
  parityShards: number
  encrypted: boolean
  /** Holder of each shard at put time. */
  holders: string[]
  faultTolerance: number
  /** ISO 8601. */
  createdAt: string
}

interface IndexFile {
  version: 1
  files: FileEntry[]
}

export function indexPath (dir: string): string {
  return join(dir, INDEX_FILE_NAME)
}

export class FileIndex {
  readonly path: string
  private entries = new Map<string, FileEntry>()
  private writing: Promise<void> = Promise.resolve()

  constructor (dir: string) {
    this.path = indexPath(dir)
  }

  async load (): Promise<void> {
    const text = await readTextIfExists(this.path)
    if (text === undefined) return
    let parsed: IndexFile
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      throw new ConfigError(`${this.path} is not valid JSON: ${(err as Error).message}`, this.path, undefined, { cause: err })
    }
    if (!Array.isArray(parsed?.files)) throw new ConfigError(`${this.path} has no "files" list`, this.path, 'files')
    this.entries = new Map(parsed.files.map(e => [e.manifest, e]))
  }

  list (): FileEntry[] {
    return [...this.entries.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  }

  get (manifest: string): FileEntry | undefined {
    return this.entries.get(manifest)
  }

  async add (entry: FileEntry): Promise<void> {
    this.entries.set(entry.manifest, entry)
    await this.save()
  }

  /** Removes and returns the entry, or undefined when there was none. */
  async remove (manifest: string): Promise<FileEntry | undefined> {
    const entry = this.entries.get(manifest)
    if (entry === undefined) return undefined
    this.entries.delete(manifest)
    await this.save()
    return entry
  }

  private async save (): Promise<void> {
    const write = async (): Promise<void> => {
      const body: IndexFile = { version: 1, files: this.list() }
      await writeFileAtomic(this.path, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 })
    }
    const next = this.writing.then(write, write)
    this.writing = next.catch(() => {})
    await next
  }
}
