/**
 * The manifest: everything needed to find, check and rebuild a file's shards,
 * and nothing that reveals its plaintext (the key travels only in the handle).
 *
 * A file's bytes (ciphertext when encrypted) are cut into stripes of
 * `stripeBytes`; stripe s is Reed-Solomon encoded into k + m blocks of
 * stripeBytes / k bytes (the last stripe's blocks shrink to fit). Shard i of the
 * file is the sequence of block i of every stripe; one peer holds a whole shard.
 * Every block is a content-addressed object (raw CID, sha2-256), listed here, so
 * a block is checked on arrival and a corrupt one is never used. Every block
 * also has the root of a Merkle tree over its chunks (merkle.ts), so an audit
 * checks one small chunk of a holder's block against the manifest alone.
 *
 * Encoded as JSON with a fixed field order; stored itself as a raw block, so
 * its CID is the hash of these exact bytes.
 */

import { base64url } from 'multiformats/bases/base64'
import { CID } from 'multiformats/cid'
import { MANIFEST_VERSION, MAX_AUDIT_CHUNK_BYTES, MAX_MANIFEST_BYTES, MIN_AUDIT_CHUNK_BYTES, SHA2_256_DIGEST_BYTES } from './constants.js'
import { InvalidManifestError } from './errors.js'
import { isShardCid } from './cid.js'

export interface ManifestEncryption {
  algorithm: 'AES-256-GCM'
  /** Plaintext bytes per sealed segment (each gains a 16-byte tag). */
  segmentBytes: number
}

export interface ManifestShard {
  /** 0..k-1 data, k..k+m-1 parity. */
  index: number
  /** Peers (PeerId strings) believed to hold this shard. */
  holders: string[]
  /** One block CID per stripe. */
  blocks: CID[]
  /** One Merkle root per block, over its chunks of `auditChunkBytes` (see merkle.ts): what audits check. */
  roots: Uint8Array[]
}

export interface Manifest {
  version: number
  /** Original (plaintext) size in bytes. */
  size: number
  /** Bytes that went into the codec: the ciphertext when encrypted. */
  encodedBytes: number
  dataShards: number
  parityShards: number
  /** Data bytes per full stripe, a multiple of dataShards. */
  stripeBytes: number
  encryption: ManifestEncryption | null
  /** Chunk size of the blocks' Merkle trees (a power of two). */
  auditChunkBytes: number
  shards: ManifestShard[]
  /** Milliseconds since the epoch. */
  createdAt: number
}

/** Number of stripes. */
export function stripeCount (m: Pick<Manifest, 'encodedBytes' | 'stripeBytes'>): number {
  return Math.ceil(m.encodedBytes / m.stripeBytes)
}

/** Real (unpadded) data bytes in stripe `s`. */
export function stripeDataBytes (m: Pick<Manifest, 'encodedBytes' | 'stripeBytes'>, s: number): number {
  return Math.min(m.stripeBytes, m.encodedBytes - s * m.stripeBytes)
}

/** Block size of stripe `s`. */
export function blockBytes (m: Pick<Manifest, 'encodedBytes' | 'stripeBytes' | 'dataShards'>, s: number): number {
  return Math.ceil(stripeDataBytes(m, s) / m.dataShards)
}

/** Bytes a holder of one shard stores. */
export function shardBytes (m: Pick<Manifest, 'encodedBytes' | 'stripeBytes' | 'dataShards'>): number {
  let total = 0
  for (let s = 0, n = stripeCount(m); s < n; s++) total += blockBytes(m, s)
  return total
}

export function encodeManifest (m: Manifest): Uint8Array {
  const ordered = {
    version: m.version,
    size: m.size,
    encodedBytes: m.encodedBytes,
    dataShards: m.dataShards,
    parityShards: m.parityShards,
    stripeBytes: m.stripeBytes,
    encryption: m.encryption === null ? null : { algorithm: m.encryption.algorithm, segmentBytes: m.encryption.segmentBytes },
    auditChunkBytes: m.auditChunkBytes,
    shards: m.shards.map(s => ({ index: s.index, holders: [...s.holders], blocks: s.blocks.map(b => b.toString()), roots: s.roots.map(r => base64url.baseEncode(r)) })),
    createdAt: m.createdAt
  }
  const bytes = new TextEncoder().encode(JSON.stringify(ordered))
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new InvalidManifestError(`manifest of ${bytes.length} bytes exceeds ${MAX_MANIFEST_BYTES}`)
  }
  return bytes
}

function fail (message: string): never {
  throw new InvalidManifestError(message)
}

function count (value: unknown, name: string, min = 0): number {
  if (!Number.isSafeInteger(value) || (value as number) < min) fail(`${name} must be an integer >= ${min}`)
  return value as number
}

/** Parses and checks manifest bytes; throws InvalidManifestError on anything off. */
export function decodeManifest (bytes: Uint8Array): Manifest {
  if (bytes.length > MAX_MANIFEST_BYTES) fail(`manifest of ${bytes.length} bytes exceeds ${MAX_MANIFEST_BYTES}`)
  let raw: any
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (err) {
    throw new InvalidManifestError('manifest is not JSON', { cause: err })
  }
  if (raw === null || typeof raw !== 'object') fail('manifest is not an object')
  if (raw.version !== MANIFEST_VERSION) fail(`unsupported manifest version ${String(raw.version)}`)
  const k = count(raw.dataShards, 'dataShards', 1)
  const m = count(raw.parityShards, 'parityShards', 0)
  if (k + m > 256) fail('dataShards + parityShards must be at most 256')
  const stripeBytes = count(raw.stripeBytes, 'stripeBytes', 1)
  if (stripeBytes % k !== 0) fail('stripeBytes must be a multiple of dataShards')
  const manifest: Manifest = {
    version: raw.version,
    size: count(raw.size, 'size'),
    encodedBytes: count(raw.encodedBytes, 'encodedBytes'),
    dataShards: k,
    parityShards: m,
    stripeBytes,
    encryption: null,
    auditChunkBytes: count(raw.auditChunkBytes, 'auditChunkBytes', MIN_AUDIT_CHUNK_BYTES),
    shards: [],
    createdAt: count(raw.createdAt, 'createdAt')
  }
  const chunk = manifest.auditChunkBytes
  if (chunk > MAX_AUDIT_CHUNK_BYTES || (chunk & (chunk - 1)) !== 0) fail(`auditChunkBytes must be a power of two in ${MIN_AUDIT_CHUNK_BYTES}..${MAX_AUDIT_CHUNK_BYTES}`)
  if (raw.encryption !== null) {
    const e = raw.encryption
    if (e === undefined || typeof e !== 'object' || e.algorithm !== 'AES-256-GCM') fail('unsupported encryption')
    manifest.encryption = { algorithm: 'AES-256-GCM', segmentBytes: count(e.segmentBytes, 'encryption.segmentBytes', 1) }
  } else if (manifest.encodedBytes !== manifest.size) {
    fail('an unencrypted manifest has encodedBytes equal to size')
  }
  const stripes = stripeCount(manifest)
  if (!Array.isArray(raw.shards) || raw.shards.length !== k + m) fail(`manifest needs ${k + m} shards`)
  manifest.shards = raw.shards.map((s: any, i: number): ManifestShard => {
    if (s === null || typeof s !== 'object' || s.index !== i) fail(`shard ${i} is out of order`)
    if (!Array.isArray(s.holders) || s.holders.some((h: unknown) => typeof h !== 'string' || h.length === 0 || h.length > 200)) {
      fail(`shard ${i} holders must be peer id strings`)
    }
    if (!Array.isArray(s.blocks) || s.blocks.length !== stripes) fail(`shard ${i} needs ${stripes} blocks`)
    const blocks = s.blocks.map((b: unknown) => {
      let cid: CID | null = null
      try { cid = typeof b === 'string' ? CID.parse(b) : null } catch {}
      if (cid === null || !isShardCid(cid)) fail(`shard ${i} has an invalid block CID`)
      return cid
    })
    if (!Array.isArray(s.roots) || s.roots.length !== stripes) fail(`shard ${i} needs ${stripes} Merkle roots`)
    const roots = s.roots.map((r: unknown) => {
      let root: Uint8Array | null = null
      try { root = typeof r === 'string' ? base64url.baseDecode(r) : null } catch {}
      if (root?.length !== SHA2_256_DIGEST_BYTES) fail(`shard ${i} has an invalid Merkle root`)
      return root
    })
    return { index: i, holders: [...s.holders], blocks, roots }
  })
  return manifest
}
