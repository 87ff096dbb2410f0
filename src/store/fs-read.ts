/** Reading what the filesystem store wrote: shard files (hashed as they are read) and sidecars. */
import { createHash } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { logger } from '@libp2p/logger'
import { digestMatches } from '../format/cid.js'
import { MAX_SHARD_BYTES, READ_CHUNK_BYTES } from './constants.js'
import { isErrno } from './fs-layout.js'
import { throwIfAborted } from './utils.js'
import type { ShardMeta } from './fs-layout.js'
import type { FileHandle } from 'node:fs/promises'
import type { CID } from 'multiformats/cid'

const log = logger('shoal:store:fs')

export interface VerifiedRead {
  /** The whole file hashes to the CID. */
  ok: boolean
  /** Bytes [start, end) of the file; not to be used unless `ok`. */
  bytes: Uint8Array
}

/**
 * Reads the whole file at `path` in READ_CHUNK_BYTES pieces, hashing all of it and
 * keeping [start, end), with an abort check between pieces. `expectedSize` only
 * sizes the read buffer. A file past MAX_SHARD_BYTES is not ok. Rejects with the
 * fs error (ENOENT…) when the file cannot be opened.
 */
export async function readVerified (path: string, cid: CID, expectedSize: number, start: number, end: number, signal?: AbortSignal): Promise<VerifiedRead> {
  const handle = await open(path, 'r')
  try {
    if (start === 0 && end === expectedSize && expectedSize <= READ_CHUNK_BYTES) {
      // The common case, a whole block: read it straight into the buffer
      // returned (one byte more, to see a file that grew), hash that.
      const whole = await readWhole(handle, expectedSize, signal)
      if (whole !== undefined) return { ok: digestMatches(cid, createHash('sha256').update(whole).digest()), bytes: whole }
    }
    const bytes = new Uint8Array(end - start)
    const hash = createHash('sha256')
    const chunk = new Uint8Array(Math.min(READ_CHUNK_BYTES, expectedSize + 1))
    let pos = 0
    while (pos <= MAX_SHARD_BYTES) {
      throwIfAborted(signal)
      const { bytesRead } = await handle.read(chunk, 0, chunk.byteLength, pos)
      if (bytesRead === 0) break
      const piece = chunk.subarray(0, bytesRead)
      hash.update(piece)
      const from = Math.max(pos, start)
      const to = Math.min(pos + bytesRead, end)
      if (from < to) bytes.set(piece.subarray(from - pos, to - pos), from - start)
      pos += bytesRead
    }
    return { ok: pos <= MAX_SHARD_BYTES && digestMatches(cid, hash.digest()), bytes }
  } finally {
    await handle.close()
  }
}

/** The file's `size` bytes, or undefined when it does not hold exactly that many. */
async function readWhole (handle: FileHandle, size: number, signal?: AbortSignal): Promise<Uint8Array | undefined> {
  throwIfAborted(signal)
  const buffer = Buffer.allocUnsafeSlow(size + 1) // not zero-filled: every byte returned is read from the file
  let pos = 0
  while (pos <= size) {
    const want = size + 1 - pos
    const { bytesRead } = await handle.read(buffer, pos, want, pos)
    pos += bytesRead
    // A regular file gives fewer bytes than asked only at its end: the usual
    // whole-block read takes one read, not a second one to see the end.
    if (bytesRead < want) break
  }
  return pos === size ? new Uint8Array(buffer.buffer, buffer.byteOffset, size) : undefined
}

/** What a sidecar says; `damaged` when it exists but cannot be read as one. */
export interface MetaRead { owner?: string, storedAt?: number, damaged?: boolean }

/** Reads the sidecar at `path`; `{}` when there is none. */
export async function readMeta (path: string): Promise<MetaRead> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return {}
    throw err
  }
  try {
    const meta = JSON.parse(text) as Partial<ShardMeta>
    if (meta.v === 1 && typeof meta.owner === 'string' && typeof meta.storedAt === 'number') {
      return { owner: meta.owner, storedAt: meta.storedAt }
    }
  } catch {}
  log.error('sidecar %s is damaged: the owner of its shard is unknown', path)
  return { damaged: true }
}
