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
import { rechunk } from './rechunk.js'
import type { webcrypto } from 'node:crypto'

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

export interface CryptoStreamOptions {
  segmentBytes: number
  signal?: AbortSignal
}

export async function * encryptStream (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, key: Uint8Array, options: CryptoStreamOptions): AsyncGenerator<Uint8Array> {
  const cryptoKey = await importKey(key, 'encrypt')
  let index = 0
  for await (const piece of rechunk(source, options.segmentBytes, options.signal, { recycle: true })) {
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
  for await (const piece of rechunk(source, options.segmentBytes + TAG_BYTES, options.signal, { recycle: true })) {
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
