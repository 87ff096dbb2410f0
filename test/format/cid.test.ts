import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 as mfSha256, sha512 } from 'multiformats/hashes/sha2'
import {
  assertShardCid, isShardCid, parseCid, sha256, sha256Sync, shardCid, shardCidFromDigest, verifyBytes
} from '../../src/format/cid.js'
import { HASH_CHUNK_BYTES } from '../../src/format/constants.js'
import { rejection, seededBytes } from '../store/helpers.js'

const SEED = 0x5a17

async function reference (bytes: Uint8Array): Promise<CID> {
  return CID.createV1(raw.code, await mfSha256.digest(bytes))
}

describe('shard CIDs', () => {
  it('known answers: the empty shard and "hello world"', async () => {
    expect((await shardCid(new Uint8Array(0))).toString()).toBe('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku')
    const hello = new TextEncoder().encode('hello world')
    expect(Buffer.from(sha256Sync(hello)).toString('hex')).toBe('b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9')
  })

  it('node:crypto hashing gives the CID multiformats gives (property, seeded)', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 4096 }), async (bytes) => {
      const ours = await shardCid(bytes)
      const theirs = await reference(bytes)
      return ours.equals(theirs) && ours.toString() === theirs.toString()
    }), { seed: SEED, numRuns: 200 })
  })

  it('long inputs hashed in pieces give the same digest, on and off piece boundaries', async () => {
    for (const n of [HASH_CHUNK_BYTES, HASH_CHUNK_BYTES + 1, 2 * HASH_CHUNK_BYTES + 7]) {
      const bytes = seededBytes(n, n)
      expect((await shardCid(bytes)).equals(await reference(bytes))).toBe(true)
      expect(Buffer.from(await sha256(bytes)).equals(Buffer.from(sha256Sync(bytes)))).toBe(true)
    }
  })

  it('hashing a long input honours an aborted signal', async () => {
    const bytes = seededBytes(1, 2 * HASH_CHUNK_BYTES + 1)
    const controller = new AbortController()
    const p = shardCid(bytes, { signal: controller.signal })
    controller.abort()
    expect((await rejection(p)).name).toBe('AbortError')
    expect((await rejection(shardCid(new Uint8Array(1), { signal: AbortSignal.abort() }))).name).toBe('AbortError')
  })

  it('a shard CID is v1, raw, sha2-256 with a 32-byte digest', async () => {
    const cid = await shardCid(new Uint8Array([1, 2, 3]))
    expect([cid.version, cid.code, cid.multihash.code, cid.multihash.size]).toEqual([1, 0x55, 0x12, 32])
    expect(isShardCid(cid)).toBe(true)
    expect(shardCidFromDigest(cid.multihash.digest).equals(cid)).toBe(true)
    expect(() => shardCidFromDigest(new Uint8Array(31))).toThrow(RangeError)
  })
})

describe('parseCid', () => {
  it('round-trips shard CIDs and parses other CIDs', async () => {
    const cid = await shardCid(seededBytes(2, 100))
    expect(parseCid(cid.toString()).equals(cid)).toBe(true)
    const v0 = parseCid('QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n')
    expect(v0.version).toBe(0)
    expect(isShardCid(v0)).toBe(false)
  })

  it('throws InvalidCidError on garbage, keeping the input', () => {
    for (const text of ['', 'hello', 'bafkrei', 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku!', 'zzzz', ' bafy']) {
      let err: unknown
      try { parseCid(text) } catch (e) { err = e }
      expect((err as Error).name, text).toBe('InvalidCidError')
      expect((err as { input: string }).input).toBe(text)
    }
    expect(() => parseCid(42 as unknown as string)).toThrow(expect.objectContaining({ name: 'InvalidCidError' }))
  })
})

describe('verifyBytes and assertShardCid', () => {
  it('true for the bytes, false for any other bytes', async () => {
    const bytes = seededBytes(3, 1000)
    const cid = await shardCid(bytes)
    expect(await verifyBytes(cid, bytes)).toBe(true)
    const other = bytes.slice()
    other[999] ^= 0x80
    expect(await verifyBytes(cid, other)).toBe(false)
    expect(await verifyBytes(cid, bytes.subarray(0, 999))).toBe(false)
  })

  it('rejects CIDs that are not shard CIDs with UnsupportedCidError and its fields', async () => {
    const bytes = seededBytes(4, 10)
    const good = await shardCid(bytes)
    const cases: Array<[CID, number, number, number]> = [
      [CID.createV1(0x70, good.multihash), 1, 0x70, 0x12],
      [CID.createV0(good.multihash as never), 0, 0x70, 0x12],
      [CID.createV1(0x55, await sha512.digest(bytes)), 1, 0x55, 0x13]
    ]
    for (const [cid, version, codec, hashCode] of cases) {
      const err = await rejection(verifyBytes(cid, bytes))
      expect(err.name).toBe('UnsupportedCidError')
      expect([err.version, err.codec, err.hashCode]).toEqual([version, codec, hashCode])
      expect(() => assertShardCid(cid)).toThrow(expect.objectContaining({ name: 'UnsupportedCidError' }))
    }
    expect(() => assertShardCid('bafk')).toThrow(expect.objectContaining({ name: 'InvalidCidError' }))
    expect(assertShardCid(good)).toBe(good)
  })
})
