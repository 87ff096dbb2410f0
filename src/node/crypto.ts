/**
 * File encryption: AES-256-GCM (WebCrypto) in sealed segments, so a file of any
 * size streams through in bounded memory and every segment is authenticated
 * before a byte of it is released.
 *
 * Segment i of the plaintext (`segmentBytes` each, the last shorter, an empty
 * file one empty segment) is sealed under the file key with the 96-bit nonce
 *
 *   [ final (1 byte) | 0 0 0 | i (8 bytes, big-endian) ]
 *
 * where `final` is 1 only on the last segment. The key is fresh and random per
 * file, so nonces never repeat under one key; the index and final flag in the
 * nonce make reordering, dropping or truncating segments fail authentication.
 */

import { AuthenticationError } from './errors.js'
import type { webcrypto } from 'node:crypto'
import type { Piece } from './rechunk.js'

export const TAG_BYTES = 16
export const FILE_KEY_BYTES = 32

const subtle = globalThis.crypto.subtle

export function generateFileKey (): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(FILE_KEY_BYTES))
}

/** Ciphertext bytes for `plainBytes` of plaintext. */
export function sealedBytes (plainBytes: number, segmentBytes: number): number {
  const segments = Math.max(1, Math.ceil(plainBytes / segmentBytes))
  return plainBytes + segments * TAG_BYTES
}

function nonce (index: number, final: boolean): Uint8Array {
  const n = new Uint8Array(12)
  n[0] = final ? 1 : 0
  new DataView(n.buffer).setBigUint64(4, BigInt(index))
  return n
}

async function importKey (key: Uint8Array, use: 'encrypt' | 'decrypt'): Promise<webcrypto.CryptoKey> {
  return await subtle.importKey('raw', key, { name: 'AES-GCM' }, false, [use])
}

/**
 * Like rechunk (pieces of exactly `size` bytes, the last one shorter, flagged
 * `last`; one empty last piece for an empty stream), but the pieces live in
 * two buffers used in turn: a piece is valid only until the next one is
 * requested. WebCrypto copies its input when encrypt/decrypt is called, so
 * the callers below are done with a piece before they ask for the next, and
 * no segment-sized buffer is allocated per segment.
 */
async function * segments (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, signal?: AbortSignal): AsyncGenerator<Piece> {
  let held: Uint8Array | null = null // a full piece waiting to learn whether it is the last
  let spare: Uint8Array | null = null
  let buf: Uint8Array = new Uint8Array(size)
  let fill = 0
  for await (const chunk of source) {
    signal?.throwIfAborted()
    if (!(chunk instanceof Uint8Array)) throw new TypeError('byte streams yield Uint8Arrays')
    let off = 0
    while (off < chunk.length) {
      const take = Math.min(size - fill, chunk.length - off)
      buf.set(chunk.subarray(off, off + take), fill)
      fill += take
      off += take
      if (fill === size) {
        if (held !== null) {
          yield { bytes: held, last: false }
          spare = held // the caller is done with it
        }
        held = buf
        buf = spare ?? new Uint8Array(size)
        spare = null
        fill = 0
      }
    }
  }
  if (fill > 0) {
    if (held !== null) yield { bytes: held, last: false }
    yield { bytes: buf.subarray(0, fill), last: true }
  } else {
    yield { bytes: held ?? new Uint8Array(0), last: true }
  }
}

export interface CryptoStreamOptions {
  segmentBytes: number
  signal?: AbortSignal
}

export async function * encryptStream (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, key: Uint8Array, options: CryptoStreamOptions): AsyncGenerator<Uint8Array> {
  const cryptoKey = await importKey(key, 'encrypt')
  let index = 0
  for await (const piece of segments(source, options.segmentBytes, options.signal)) {
    const sealed = await subtle.encrypt({ name: 'AES-GCM', iv: nonce(index++, piece.last) }, cryptoKey, piece.bytes)
    yield new Uint8Array(sealed)
  }
}

/**
 * Opens a sealed stream. Throws AuthenticationError at the first segment that
 * does not authenticate (wrong key, altered, reordered or truncated bytes).
 */
export async function * decryptStream (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, key: Uint8Array, options: CryptoStreamOptions): AsyncGenerator<Uint8Array> {
  const cryptoKey = await importKey(key, 'decrypt')
  let index = 0
  for await (const piece of segments(source, options.segmentBytes + TAG_BYTES, options.signal)) {
    let plain: ArrayBuffer
    try {
      plain = await subtle.decrypt({ name: 'AES-GCM', iv: nonce(index, piece.last) }, cryptoKey, piece.bytes)
    } catch (err) {
      throw new AuthenticationError(`segment ${index} does not authenticate: wrong key or altered data`, { cause: err })
    }
    index++
    if (plain.byteLength > 0) yield new Uint8Array(plain)
  }
}
