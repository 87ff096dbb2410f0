/**
 * Merkle trees over one block, for audits.
 *
 * A block is cut into chunks of `chunkBytes` (the last one may be shorter);
 * leaf i is sha256(0x00 ‖ chunk i), an inner node is sha256(0x01 ‖ left ‖ right)
 * (the prefixes keep a leaf from ever passing for an inner node). A level with
 * an odd count carries its last node up unchanged. The manifest records the
 * root of every block, so an auditor that knows only the manifest can check a
 * single chunk sent with its sibling path (about log2(blockBytes / chunkBytes)
 * hashes) and never needs the block, let alone the whole shard.
 */

import * as crypto from 'node:crypto'
import { SHA2_256_DIGEST_BYTES } from './constants.js'

const LEAF = 0
const NODE = 1

/** Most hashes in a proof: enough for 2^64 chunks. */
export const MAX_PROOF_HASHES = 64

export function chunkCount (blockBytes: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(blockBytes / chunkBytes))
}

/**
 * sha256 of `prefix ‖ parts`. A tree hashes many short inputs (a 349 KB block:
 * 86 leaves and 85 inner nodes at 4 KiB chunks, 22 and 21 at the 16 KiB of
 * AUDIT_CHUNK_BYTES), so the one-shot `crypto.hash` (Node 20.12 and later) on
 * the bytes gathered into one scratch buffer is used where it exists: 2.5×
 * faster than a Hash object per node at 4 KiB chunks; at 16 KiB the two are
 * within 5 % (the copy into the scratch buffer costs what the saved calls do).
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Uint8Array }).hash
let scratch = new Uint8Array(1 + 2 * SHA2_256_DIGEST_BYTES)

function prefixedHash (prefix: number, a: Uint8Array, b?: Uint8Array): Uint8Array {
  if (oneShot === undefined) {
    const hash = crypto.createHash('sha256').update(new Uint8Array([prefix])).update(a)
    return (b === undefined ? hash : hash.update(b)).digest()
  }
  const length = 1 + a.length + (b?.length ?? 0)
  if (scratch.length < length) scratch = new Uint8Array(length)
  scratch[0] = prefix
  scratch.set(a, 1)
  if (b !== undefined) scratch.set(b, 1 + a.length)
  return oneShot('sha256', scratch.subarray(0, length), 'buffer')
}

function leafHash (chunk: Uint8Array): Uint8Array {
  return prefixedHash(LEAF, chunk)
}

function nodeHash (left: Uint8Array, right: Uint8Array): Uint8Array {
  return prefixedHash(NODE, left, right)
}

function leaves (block: Uint8Array, chunkBytes: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0, n = chunkCount(block.length, chunkBytes); i < n; i++) {
    out.push(leafHash(block.subarray(i * chunkBytes, (i + 1) * chunkBytes)))
  }
  return out
}

function nextLevel (level: Uint8Array[]): Uint8Array[] {
  const up: Uint8Array[] = []
  for (let i = 0; i < level.length; i += 2) up.push(i + 1 < level.length ? nodeHash(level[i], level[i + 1]) : level[i])
  return up
}

/** The root of `block`'s chunk tree (32 bytes). */
export function merkleRoot (block: Uint8Array, chunkBytes: number): Uint8Array {
  let level = leaves(block, chunkBytes)
  while (level.length > 1) level = nextLevel(level)
  return level[0]
}

export interface MerkleProof {
  /** The chunk's bytes (a view into the block). */
  chunk: Uint8Array
  /** Sibling hashes from the leaf level up; levels where the node has no sibling contribute none. */
  path: Uint8Array[]
}

/** Chunk `index` of `block` with the path that ties it to the root. RangeError for an index outside the block. */
export function merkleProof (block: Uint8Array, chunkBytes: number, index: number): MerkleProof {
  const count = chunkCount(block.length, chunkBytes)
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) throw new RangeError(`chunk ${index} is outside 0..${count - 1}`)
  const path: Uint8Array[] = []
  let level = leaves(block, chunkBytes)
  let i = index
  while (level.length > 1) {
    const sibling = i ^ 1
    if (sibling < level.length) path.push(level[sibling])
    level = nextLevel(level)
    i >>= 1
  }
  return { chunk: block.subarray(index * chunkBytes, (index + 1) * chunkBytes), path }
}

/**
 * True when `chunk` is chunk `index` of a block of `blockBytes` whose root is
 * `root`. Checks the chunk's length too, so a short or padded chunk fails.
 */
export function verifyMerkleProof (root: Uint8Array, blockBytes: number, chunkBytes: number, index: number, chunk: Uint8Array, path: Uint8Array[]): boolean {
  let count = chunkCount(blockBytes, chunkBytes)
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) return false
  const expected = Math.min(chunkBytes, blockBytes - index * chunkBytes)
  if (chunk.length !== Math.max(0, expected) || path.length > MAX_PROOF_HASHES) return false
  let hash = leafHash(chunk)
  let i = index
  let used = 0
  while (count > 1) {
    const sibling = i ^ 1
    if (sibling < count) {
      const other = path[used++]
      if (other?.length !== SHA2_256_DIGEST_BYTES) return false
      hash = (i & 1) === 0 ? nodeHash(hash, other) : nodeHash(other, hash)
    }
    count = Math.ceil(count / 2)
    i >>= 1
  }
  return used === path.length && equal(hash, root)
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i]
  return diff === 0
}
