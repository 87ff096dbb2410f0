/**
 * Shard CIDs: CIDv1, codec raw (0x55), multihash sha2-256 (0x12), 32-byte digest.
 *
 * Hashing goes through node:crypto (OpenSSL), which is several times faster than
 * a JS sha-256 and gives the same digest as multiformats' `sha256` hasher (the
 * tests hold the two to it). Long inputs are hashed in `HASH_CHUNK_BYTES` pieces
 * so an AbortSignal is honoured between them.
 */
import { createHash } from 'node:crypto'
import { AbortError } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { HASH_CHUNK_BYTES, RAW_CODEC, SHA2_256_CODE, SHA2_256_DIGEST_BYTES } from './constants.js'
import { InvalidCidError, UnsupportedCidError } from './errors.js'

export interface HashOptions {
  signal?: AbortSignal
}

function throwIfAborted (signal?: AbortSignal): void {
  if (signal?.aborted === true) {
    const err = new AbortError()
    Object.defineProperty(err, 'cause', { value: signal.reason, configurable: true, writable: true })
    throw err
  }
}

const yieldToLoop = async (): Promise<void> => { await new Promise<void>((resolve) => setImmediate(resolve)) }

/** The sha2-256 digest of `bytes`, computed in one synchronous call. */
export function sha256Sync (bytes: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(bytes).digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}

/**
 * The sha2-256 digest of `bytes`. Inputs above `HASH_CHUNK_BYTES` are hashed in
 * pieces, yielding to the event loop and checking `signal` between them.
 */
export async function sha256 (bytes: Uint8Array, options: HashOptions = {}): Promise<Uint8Array> {
  throwIfAborted(options.signal)
  if (bytes.byteLength <= HASH_CHUNK_BYTES) return sha256Sync(bytes)
  const hash = createHash('sha256')
  for (let at = 0; at < bytes.byteLength; at += HASH_CHUNK_BYTES) {
    if (at > 0) {
      await yieldToLoop()
      throwIfAborted(options.signal)
    }
    hash.update(bytes.subarray(at, at + HASH_CHUNK_BYTES))
  }
  const digest = hash.digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}

/** The shard CID of a sha2-256 digest (32 bytes). */
export function shardCidFromDigest (digest: Uint8Array): CID {
  if (digest.byteLength !== SHA2_256_DIGEST_BYTES) {
    throw new RangeError(`a sha2-256 digest has ${SHA2_256_DIGEST_BYTES} bytes, got ${digest.byteLength}`)
  }
  return CID.createV1(RAW_CODEC, Digest.create(SHA2_256_CODE, digest))
}

/** The shard CID of `bytes` (CIDv1, raw, sha2-256). */
export async function shardCid (bytes: Uint8Array, options: HashOptions = {}): Promise<CID> {
  return shardCidFromDigest(await sha256(bytes, options))
}

/**
 * Parses a CID from its string form (base32 `b…` for v1, base58btc `Qm…` for v0).
 * Throws InvalidCidError on anything else. Does not require a shard CID: use
 * `assertShardCid` for that.
 */
export function parseCid (text: string): CID {
  if (typeof text !== 'string') throw new InvalidCidError(String(text))
  try {
    return CID.parse(text)
  } catch (err) {
    throw new InvalidCidError(text, { cause: err })
  }
}

/** True when `cid` is a CID that can name a shard (v1, raw, sha2-256, 32-byte digest). */
export function isShardCid (cid: unknown): cid is CID {
  const c = CID.asCID(cid)
  return c != null && hasShardShape(c)
}

function hasShardShape (c: CID): boolean {
  return c.version === 1 && c.code === RAW_CODEC &&
    c.multihash.code === SHA2_256_CODE && c.multihash.size === SHA2_256_DIGEST_BYTES
}

/**
 * Returns `cid` as a CID when it can name a shard. Throws InvalidCidError when it is
 * not a CID at all, UnsupportedCidError when it is one of another kind.
 */
export function assertShardCid (cid: unknown): CID {
  const c = CID.asCID(cid)
  if (c == null) throw new InvalidCidError(String(cid))
  if (!hasShardShape(c)) throw new UnsupportedCidError(c.toString(), c.version, c.code, c.multihash.code)
  return c
}

/** True when `digest` is the digest `cid` names. `cid` must be a shard CID. */
export function digestMatches (cid: CID, digest: Uint8Array): boolean {
  const expected = cid.multihash.digest
  if (expected.byteLength !== digest.byteLength) return false
  for (let i = 0; i < expected.byteLength; i++) {
    if (expected[i] !== digest[i]) return false
  }
  return true
}

/**
 * True when `bytes` hash to `cid`. Rejects with UnsupportedCidError (or
 * InvalidCidError) when `cid` is not a shard CID, since nothing could match it.
 */
export async function verifyBytes (cid: CID, bytes: Uint8Array, options: HashOptions = {}): Promise<boolean> {
  const c = assertShardCid(cid)
  return digestMatches(c, await sha256(bytes, options))
}
