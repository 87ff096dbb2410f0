/**
 * Block Merkle trees: every chunk's proof verifies against the root for many
 * block and chunk sizes, and any change (a flipped byte, a wrong index, a
 * short chunk, a path with a hash missing, extra or altered) fails.
 */
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { chunkCount, merkleProof, merkleRoot, verifyMerkleProof } from '../../src/format/merkle.js'
import { prng } from '../helpers/prng.js'

const SEED = 0x4d3e11
const rand = prng(SEED)

describe('block Merkle trees', () => {
  it('a one-chunk block: the root is the leaf hash and the path is empty', () => {
    const block = rand.bytes(100)
    const proof = merkleProof(block, 4096, 0)
    expect(proof.path).toEqual([])
    expect(proof.chunk).toEqual(block)
    expect(verifyMerkleProof(merkleRoot(block, 4096), 100, 4096, 0, proof.chunk, proof.path)).toBe(true)
  })

  it('roots follow the definition (leaf = sha256(0x00 ‖ chunk), node = sha256(0x01 ‖ left ‖ right), an odd last node carried up), so manifests written before stay valid', () => {
    const h = (...parts: Uint8Array[]): Uint8Array => { const x = createHash('sha256'); for (const p of parts) x.update(p); return x.digest() }
    const byDefinition = (block: Uint8Array, chunkBytes: number): Uint8Array => {
      let level: Uint8Array[] = []
      for (let at = 0; at === 0 || at < block.length; at += chunkBytes) level.push(h(Uint8Array.of(0), block.subarray(at, at + chunkBytes)))
      while (level.length > 1) {
        const up: Uint8Array[] = []
        for (let i = 0; i < level.length; i += 2) up.push(i + 1 < level.length ? h(Uint8Array.of(1), level[i], level[i + 1]) : level[i])
        level = up
      }
      return level[0]
    }
    for (const [size, chunkBytes] of [[0, 4096], [1, 4096], [4096, 4096], [4097, 4096], [349_525, 4096], [10_000, 1000], [70_000, 65_536]]) {
      const block = rand.bytes(size)
      expect(Buffer.from(merkleRoot(block, chunkBytes)).toString('hex'), `${size} bytes in chunks of ${chunkBytes}`).toBe(Buffer.from(byDefinition(block, chunkBytes)).toString('hex'))
    }
  })

  it('different blocks, and the same block with another chunk size, have different roots', () => {
    const a = rand.bytes(10_000)
    const b = a.slice()
    b[9_999] ^= 1
    expect(Buffer.from(merkleRoot(a, 1024)).equals(Buffer.from(merkleRoot(b, 1024)))).toBe(false)
    expect(Buffer.from(merkleRoot(a, 1024)).equals(Buffer.from(merkleRoot(a, 2048)))).toBe(false)
  })

  it(`every chunk of every block verifies, and nothing altered does (property, seed ${SEED})`, () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 4, max: 11 }), fc.integer({ min: 0, max: 2 ** 31 }), (blockBytes, chunkLog, salt) => {
      const chunkBytes = 2 ** chunkLog
      const block = prng(salt).bytes(blockBytes)
      const root = merkleRoot(block, chunkBytes)
      const count = chunkCount(blockBytes, chunkBytes)
      // every chunk of small trees; the first, last and a few between of larger ones
      const picks = count <= 24 ? Array.from({ length: count }, (_, i) => i) : [0, 1, count >> 1, count - 2, count - 1, salt % count]
      for (const i of picks) {
        const { chunk, path } = merkleProof(block, chunkBytes, i)
        expect(verifyMerkleProof(root, blockBytes, chunkBytes, i, chunk, path)).toBe(true)
        // flipped byte
        const flipped = chunk.slice()
        flipped[salt % flipped.length] ^= 0x40
        expect(verifyMerkleProof(root, blockBytes, chunkBytes, i, flipped, path)).toBe(false)
        // short chunk, and a chunk with a byte too many
        expect(verifyMerkleProof(root, blockBytes, chunkBytes, i, chunk.subarray(0, chunk.length - 1), path)).toBe(false)
        expect(verifyMerkleProof(root, blockBytes, chunkBytes, i, Uint8Array.of(...chunk, 0), path)).toBe(false)
        // claimed as another chunk
        if (count > 1) expect(verifyMerkleProof(root, blockBytes, chunkBytes, (i + 1) % count, chunk, path)).toBe(false)
        // a hash missing, one too many, one altered
        if (path.length > 0) {
          expect(verifyMerkleProof(root, blockBytes, chunkBytes, i, chunk, path.slice(1))).toBe(false)
          const altered = path.map(h => h.slice())
          altered[salt % altered.length][0] ^= 1
          expect(verifyMerkleProof(root, blockBytes, chunkBytes, i, chunk, altered)).toBe(false)
        }
        expect(verifyMerkleProof(root, blockBytes, chunkBytes, i, chunk, [...path, root])).toBe(false)
      }
      // indexes outside the block
      expect(verifyMerkleProof(root, blockBytes, chunkBytes, count, new Uint8Array(0), [])).toBe(false)
      expect(verifyMerkleProof(root, blockBytes, chunkBytes, -1, block.subarray(0, chunkBytes), [])).toBe(false)
      expect(() => merkleProof(block, chunkBytes, count)).toThrow(RangeError)
    }), { seed: SEED, numRuns: 120 })
  })

  it('proofs are short: a 341 KiB block in 4 KiB chunks needs 7 hashes', () => {
    const block = rand.bytes(349_526)
    expect(chunkCount(block.length, 4096)).toBe(86)
    const { chunk, path } = merkleProof(block, 4096, 85)
    expect(chunk.length).toBe(349_526 - 85 * 4096)
    expect(path.length).toBeLessThanOrEqual(7)
    expect(verifyMerkleProof(merkleRoot(block, 4096), block.length, 4096, 85, chunk, path)).toBe(true)
  })
})
