/**
 * Manifests: encode/decode round trips (seeded properties), the stripe and
 * block arithmetic, and every way decodeManifest refuses bytes
 * (InvalidManifestError, asserted by name).
 */
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import { sha256 as mfSha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { shardCidFromDigest } from '../../src/format/cid.js'
import { MANIFEST_VERSION, MAX_MANIFEST_BYTES } from '../../src/format/constants.js'
import {
  blockBytes, decodeManifest, encodeManifest, shardBytes, stripeCount, stripeDataBytes, type Manifest
} from '../../src/format/manifest.js'
import { prng } from '../helpers/prng.js'

const SEED = 0x3a21f0
const rand = prng(SEED)
const enc = new TextEncoder()

const newCid = (): CID => shardCidFromDigest(rand.bytes(32))

/** A valid manifest: k + m shards, one block per stripe each. */
function validManifest (init: { k?: number, m?: number, stripeBytes?: number, encodedBytes?: number, encrypted?: boolean } = {}): Manifest {
  const k = init.k ?? 3
  const m = init.m ?? 2
  const stripeBytes = init.stripeBytes ?? 30
  const encodedBytes = init.encodedBytes ?? 100
  const encrypted = init.encrypted ?? false
  const stripes = Math.ceil(encodedBytes / stripeBytes)
  return {
    version: MANIFEST_VERSION,
    size: encrypted ? Math.max(0, encodedBytes - 16 * Math.max(1, stripes)) : encodedBytes,
    encodedBytes,
    dataShards: k,
    parityShards: m,
    stripeBytes,
    encryption: encrypted ? { algorithm: 'AES-256-GCM', segmentBytes: 1024 } : null,
    auditChunkBytes: 4096,
    shards: Array.from({ length: k + m }, (_, i) => ({
      index: i,
      holders: [`12D3KooWpeer${i}`],
      blocks: Array.from({ length: stripes }, newCid),
      roots: Array.from({ length: stripes }, () => rand.bytes(32))
    })),
    createdAt: 1_700_000_000_000
  }
}

/** The manifest as the plain JSON object encodeManifest writes, for surgery. */
function json (m: Manifest = validManifest()): any {
  return JSON.parse(new TextDecoder().decode(encodeManifest(m)))
}

function refusal (bytes: Uint8Array | string | object): Error {
  const input = bytes instanceof Uint8Array ? bytes : enc.encode(typeof bytes === 'string' ? bytes : JSON.stringify(bytes))
  try {
    decodeManifest(input)
  } catch (err) {
    return err as Error
  }
  throw new Error(`decodeManifest accepted ${String(bytes).slice(0, 100)}`)
}

/** A manifest generator: a few stripes, any shape the format allows. */
const arbManifest: fc.Arbitrary<Manifest> = fc.record({
  k: fc.integer({ min: 1, max: 8 }),
  m: fc.integer({ min: 0, max: 5 }),
  blockUnit: fc.integer({ min: 1, max: 64 }),
  stripes: fc.integer({ min: 0, max: 5 }),
  lastFill: fc.double({ min: 0, max: 1, noNaN: true }),
  encrypted: fc.boolean(),
  segmentBytes: fc.integer({ min: 1, max: 2 ** 24 }),
  sizeCut: fc.nat({ max: 200 }),
  createdAt: fc.maxSafeNat(),
  holders: fc.array(fc.string({ minLength: 1, maxLength: 60 }), { maxLength: 3 }),
  digests: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 8 }),
  chunkLog: fc.integer({ min: 6, max: 20 })
}).map(r => {
  const stripeBytes = r.k * r.blockUnit
  // encodedBytes in ((stripes - 1) * stripeBytes, stripes * stripeBytes]: exactly `stripes` stripes
  const encodedBytes = r.stripes === 0 ? 0 : (r.stripes - 1) * stripeBytes + 1 + Math.floor(r.lastFill * (stripeBytes - 1))
  const cids = r.digests.map(d => shardCidFromDigest(d))
  return {
    version: MANIFEST_VERSION,
    size: r.encrypted ? Math.max(0, encodedBytes - r.sizeCut) : encodedBytes,
    encodedBytes,
    dataShards: r.k,
    parityShards: r.m,
    stripeBytes,
    encryption: r.encrypted ? { algorithm: 'AES-256-GCM' as const, segmentBytes: r.segmentBytes } : null,
    auditChunkBytes: 2 ** r.chunkLog,
    shards: Array.from({ length: r.k + r.m }, (_, i) => ({
      index: i,
      holders: r.holders.slice(0, (i % 3) + 1),
      blocks: Array.from({ length: r.stripes }, (_, s) => cids[(i + s) % cids.length]),
      roots: Array.from({ length: r.stripes }, (_, s) => r.digests[(i * 3 + s) % r.digests.length])
    })),
    createdAt: r.createdAt
  }
})

/** Manifests compared with CIDs as strings. */
const plain = (m: Manifest): unknown => ({ ...m, shards: m.shards.map(s => ({ ...s, blocks: s.blocks.map(b => b.toString()) })) })

describe('manifests', () => {
  it(`decode(encode(m)) is m, and encoding is stable (property, seed ${SEED})`, () => {
    fc.assert(fc.property(arbManifest, (m) => {
      const bytes = encodeManifest(m)
      const back = decodeManifest(bytes)
      expect(plain(back)).toEqual(plain(m))
      for (const shard of back.shards) for (const b of shard.blocks) expect(b).toBeInstanceOf(CID)
      // the bytes (hence the manifest CID) are the same after a round trip
      expect(Buffer.from(encodeManifest(back)).equals(Buffer.from(bytes))).toBe(true)
    }), { seed: SEED, numRuns: 200 })
  })

  it('the field order is fixed, whatever the order of the object given', () => {
    const m = validManifest()
    const shuffled = { createdAt: m.createdAt, shards: m.shards, auditChunkBytes: m.auditChunkBytes, encryption: m.encryption, stripeBytes: m.stripeBytes, parityShards: m.parityShards, dataShards: m.dataShards, encodedBytes: m.encodedBytes, size: m.size, version: m.version }
    expect(Buffer.from(encodeManifest(shuffled)).equals(Buffer.from(encodeManifest(m)))).toBe(true)
    expect(Object.keys(json(m))).toEqual(['version', 'size', 'encodedBytes', 'dataShards', 'parityShards', 'stripeBytes', 'encryption', 'auditChunkBytes', 'shards', 'createdAt'])
  })

  describe('stripe arithmetic', () => {
    it('examples: empty, exact multiple, short last stripe, last block rounded up', () => {
      expect(stripeCount({ encodedBytes: 0, stripeBytes: 4 })).toBe(0)
      expect(shardBytes({ encodedBytes: 0, stripeBytes: 4, dataShards: 2 })).toBe(0)
      // 8 bytes in stripes of 4 (k = 2): two full stripes, blocks of 2
      expect(stripeCount({ encodedBytes: 8, stripeBytes: 4 })).toBe(2)
      expect([0, 1].map(s => blockBytes({ encodedBytes: 8, stripeBytes: 4, dataShards: 2 }, s))).toEqual([2, 2])
      expect(shardBytes({ encodedBytes: 8, stripeBytes: 4, dataShards: 2 })).toBe(4)
      // 10 bytes: a third stripe of 2 data bytes, blocks of 1
      expect(stripeCount({ encodedBytes: 10, stripeBytes: 4 })).toBe(3)
      expect(stripeDataBytes({ encodedBytes: 10, stripeBytes: 4 }, 2)).toBe(2)
      expect(shardBytes({ encodedBytes: 10, stripeBytes: 4, dataShards: 2 })).toBe(5)
      // 7 bytes in one stripe of 9 (k = 3): blocks of ceil(7 / 3) = 3
      expect(blockBytes({ encodedBytes: 7, stripeBytes: 9, dataShards: 3 }, 0)).toBe(3)
      // 1 byte, k = 5: one block of one byte per shard
      expect(shardBytes({ encodedBytes: 1, stripeBytes: 5, dataShards: 5 })).toBe(1)
    })

    it(`blocks cover the data with less than one byte of padding per block (property, seed ${SEED})`, () => {
      fc.assert(fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 1000 }), fc.nat({ max: 50_000 }), (k, unit, encodedBytes) => {
        const m = { encodedBytes, stripeBytes: k * unit, dataShards: k }
        const stripes = stripeCount(m)
        expect(stripes).toBe(Math.ceil(encodedBytes / (k * unit)))
        let total = 0
        let covered = 0
        const wrong: string[] = []
        for (let s = 0; s < stripes; s++) {
          const data = stripeDataBytes(m, s)
          const block = blockBytes(m, s)
          // data > 0, blocks hold it with less than one byte of padding each, and never exceed a full stripe's block
          if (!(data > 0 && block * k >= data && block * k - data < k && block <= unit)) wrong.push(`stripe ${s}: ${data} data bytes in blocks of ${block}`)
          total += block
          covered += data
        }
        expect(wrong).toEqual([])
        expect(covered).toBe(encodedBytes)
        expect(shardBytes(m)).toBe(total)
        expect(total * k).toBeGreaterThanOrEqual(encodedBytes)
        expect(total * k).toBeLessThan(encodedBytes + stripes * k + (stripes === 0 ? 1 : 0))
      }), { seed: SEED, numRuns: 300 })
    })
  })

  describe('refusals (InvalidManifestError)', () => {
    it('bytes that are not JSON, or not UTF-8', () => {
      for (const text of ['', 'hello', '{', '{"version":1,', 'version: 1']) {
        expect(refusal(text).name, JSON.stringify(text)).toBe('InvalidManifestError')
      }
      expect(refusal(Uint8Array.of(0x7b, 0xc3, 0x28, 0x7d)).name).toBe('InvalidManifestError')
    })

    it('JSON that is not an object', () => {
      for (const text of ['null', '42', '"manifest"', '[]', 'true', JSON.stringify([json()])]) {
        expect(refusal(text).name, text).toBe('InvalidManifestError')
      }
    })

    it('a wrong or missing version', () => {
      for (const version of [0, 1, 3, -1, '2', null, true, 1.5]) {
        expect(refusal({ ...json(), version }).name, String(version)).toBe('InvalidManifestError')
      }
      const { version: _, ...noVersion } = json()
      expect(refusal(noVersion).name).toBe('InvalidManifestError')
    })

    it('counts that are not non-negative safe integers, or out of range', () => {
      const bad: Array<[string, unknown]> = [
        ['dataShards', 0], ['dataShards', -1], ['dataShards', 1.5], ['dataShards', '3'], ['dataShards', null],
        ['parityShards', -1], ['parityShards', 0.5], ['parityShards', '2'],
        ['stripeBytes', 0], ['stripeBytes', -30], ['stripeBytes', 31], ['stripeBytes', '30'],
        ['size', -1], ['size', 1.5], ['size', 2 ** 53], ['size', '100'],
        ['encodedBytes', -1], ['encodedBytes', '100'], ['encodedBytes', 2 ** 53],
        ['createdAt', -1], ['createdAt', 'yesterday'], ['createdAt', null]
      ]
      for (const [field, value] of bad) {
        expect(refusal({ ...json(), [field]: value }).name, `${field} = ${JSON.stringify(value)}`).toBe('InvalidManifestError')
      }
      for (const field of ['dataShards', 'parityShards', 'stripeBytes', 'size', 'encodedBytes', 'createdAt']) {
        const m = json()
        delete m[field]
        expect(refusal(m).name, `no ${field}`).toBe('InvalidManifestError')
      }
      // a number too large for JSON to hold: Infinity
      expect(refusal(JSON.stringify(json()).replace('"size":100', '"size":1e400')).name).toBe('InvalidManifestError')
    })

    it('more than 256 shards in all', () => {
      // 200 + 57 = 257 (the shard list is never reached; the count alone is refused)
      expect(refusal({ ...json(), dataShards: 200, parityShards: 57, stripeBytes: 200 }).name).toBe('InvalidManifestError')
      // 256 is allowed
      const m = validManifest({ k: 200, m: 56, stripeBytes: 200, encodedBytes: 150 })
      expect(decodeManifest(encodeManifest(m)).shards).toHaveLength(256)
    })

    it('inconsistent counts: unencrypted with encodedBytes ≠ size', () => {
      expect(refusal({ ...json(), size: 99 }).name).toBe('InvalidManifestError')
      expect(refusal({ ...json(), encodedBytes: 101 }).name).toBe('InvalidManifestError')
    })

    it('bad encryption fields', () => {
      const base = json(validManifest({ encrypted: true, encodedBytes: 116 }))
      expect(decodeManifest(enc.encode(JSON.stringify(base))).encryption).toEqual({ algorithm: 'AES-256-GCM', segmentBytes: 1024 })
      const bad: unknown[] = [
        undefined, 'AES-256-GCM', 1, [], {}, { algorithm: 'AES-128-GCM', segmentBytes: 1024 }, { algorithm: 'aes-256-gcm', segmentBytes: 1024 },
        { algorithm: 'AES-256-GCM' }, { algorithm: 'AES-256-GCM', segmentBytes: 0 }, { algorithm: 'AES-256-GCM', segmentBytes: -1 },
        { algorithm: 'AES-256-GCM', segmentBytes: 1.5 }, { algorithm: 'AES-256-GCM', segmentBytes: '1024' }
      ]
      for (const encryption of bad) {
        const m = { ...base, encryption }
        if (encryption === undefined) delete m.encryption
        expect(refusal(m).name, JSON.stringify(encryption)).toBe('InvalidManifestError')
      }
    })

    it('a shard list of the wrong length, or not a list', () => {
      const m = json()
      for (const shards of [m.shards.slice(1), [...m.shards, { ...m.shards[0], index: 5 }], [], null, {}, 'shards']) {
        expect(refusal({ ...m, shards }).name, JSON.stringify(shards)?.slice(0, 40)).toBe('InvalidManifestError')
      }
    })

    it('shards out of order, or with a bad index', () => {
      const m = json()
      const swapped = [m.shards[1], m.shards[0], ...m.shards.slice(2)]
      expect(refusal({ ...m, shards: swapped }).name).toBe('InvalidManifestError')
      // right order, wrong numbers
      expect(refusal({ ...m, shards: m.shards.map((s: any, i: number) => ({ ...s, index: i + 1 })) }).name).toBe('InvalidManifestError')
      for (const index of ['0', null, undefined, 0.0001]) {
        const shards = m.shards.map((s: any) => ({ ...s }))
        shards[0].index = index
        expect(refusal({ ...m, shards }).name, String(index)).toBe('InvalidManifestError')
      }
      for (const shard of [null, 'shard', [], 7]) {
        expect(refusal({ ...m, shards: [shard, ...m.shards.slice(1)] }).name, JSON.stringify(shard)).toBe('InvalidManifestError')
      }
    })

    it('holders that are not a list of peer id strings', () => {
      const m = json()
      for (const holders of [null, 'peer', [''], [7], ['ok', null], ['x'.repeat(201)], undefined]) {
        const shards = m.shards.map((s: any) => ({ ...s }))
        shards[2].holders = holders
        if (holders === undefined) delete shards[2].holders
        expect(refusal({ ...m, shards }).name, JSON.stringify(holders)?.slice(0, 30)).toBe('InvalidManifestError')
      }
      // an empty holder list and a 200-character id are fine
      const shards = m.shards.map((s: any) => ({ ...s }))
      shards[2].holders = []
      shards[3].holders = ['x'.repeat(200)]
      expect(decodeManifest(enc.encode(JSON.stringify({ ...m, shards }))).shards[3].holders).toEqual(['x'.repeat(200)])
    })

    it('block lists of the wrong length', () => {
      const m = json() // 100 bytes in stripes of 30: 4 stripes
      expect(m.shards[0].blocks).toHaveLength(4)
      for (const blocks of [m.shards[0].blocks.slice(1), [...m.shards[0].blocks, m.shards[0].blocks[0]], [], null, 'blocks']) {
        const shards = m.shards.map((s: any) => ({ ...s }))
        shards[4].blocks = blocks
        expect(refusal({ ...m, shards }).name, JSON.stringify(blocks)?.slice(0, 30)).toBe('InvalidManifestError')
      }
      // an empty file has no stripes: every list is empty, and a block is one too many
      const empty = json(validManifest({ encodedBytes: 0 }))
      expect(decodeManifest(enc.encode(JSON.stringify(empty))).shards.every(s => s.blocks.length === 0)).toBe(true)
      empty.shards[0].blocks = [newCid().toString()]
      expect(refusal(empty).name).toBe('InvalidManifestError')
    })

    it('Merkle roots: one per block, 32 bytes each in base64url; a power-of-two chunk size', () => {
      const m = json() // 4 stripes
      expect(decodeManifest(enc.encode(JSON.stringify(m))).shards[2].roots.map(r => r.length)).toEqual([32, 32, 32, 32])
      const badLists: unknown[] = [m.shards[0].roots.slice(1), [...m.shards[0].roots, m.shards[0].roots[0]], null, 'roots', undefined]
      for (const roots of badLists) {
        const shards = m.shards.map((s: any) => ({ ...s }))
        shards[2].roots = roots
        if (roots === undefined) delete shards[2].roots
        expect(refusal({ ...m, shards }).name, JSON.stringify(roots)?.slice(0, 30)).toBe('InvalidManifestError')
      }
      const badRoots: unknown[] = ['', 'AAAA', 7, null, 'x'.repeat(43), m.shards[0].roots[0] + 'AA', '!'.repeat(43)]
      for (const root of badRoots) {
        const shards = m.shards.map((s: any) => ({ ...s, roots: [...s.roots] }))
        shards[1].roots[2] = root
        expect(refusal({ ...m, shards }).name, JSON.stringify(root)).toBe('InvalidManifestError')
      }
      for (const auditChunkBytes of [0, 32, 100, 4095, 2 ** 21, -4096, '4096', null, undefined]) {
        const bad = { ...m, auditChunkBytes }
        if (auditChunkBytes === undefined) delete bad.auditChunkBytes
        expect(refusal(bad).name, String(auditChunkBytes)).toBe('InvalidManifestError')
      }
      for (const auditChunkBytes of [64, 4096, 2 ** 20]) {
        expect(decodeManifest(enc.encode(JSON.stringify({ ...m, auditChunkBytes }))).auditChunkBytes).toBe(auditChunkBytes)
      }
    })

    it('block CIDs that are not CIDs, or not shard CIDs', async () => {
      const d = await mfSha256.digest(rand.bytes(10))
      const bad: unknown[] = [
        'not-a-cid', '', 7, null, { '/': newCid().toString() },
        CID.createV0(d).toString(), CID.createV1(0x70, d).toString(), newCid().toString().toUpperCase(),
        newCid().toString().slice(0, -2)
      ]
      const m = json()
      for (const b of bad) {
        const shards = m.shards.map((s: any) => ({ ...s, blocks: [...s.blocks] }))
        shards[1].blocks[3] = b
        expect(refusal({ ...m, shards }).name, JSON.stringify(b)).toBe('InvalidManifestError')
      }
    })

    it('oversize: more than MAX_MANIFEST_BYTES is refused before parsing, and encodeManifest refuses to make one', () => {
      const bytes = encodeManifest(validManifest())
      const padded = new Uint8Array(MAX_MANIFEST_BYTES + 1).fill(0x20)
      padded.set(bytes)
      expect(refusal(padded).name).toBe('InvalidManifestError')
      // exactly at the limit, whitespace and all, it still parses
      expect(decodeManifest(padded.subarray(0, MAX_MANIFEST_BYTES)).size).toBe(100)

      const huge = validManifest()
      huge.shards[0].holders = Array.from({ length: 30_000 }, (_, i) => `12D3KooW${'x'.repeat(150)}${i}`)
      let err: unknown
      try { encodeManifest(huge) } catch (e) { err = e }
      expect((err as Error)?.name).toBe('InvalidManifestError')
    })

    it(`no JSON value makes decodeManifest throw anything but InvalidManifestError (property, seed ${SEED})`, () => {
      fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.constant(json()).chain(m => fc.record({ key: fc.constantFrom(...Object.keys(m)), value: fc.jsonValue() }).map(({ key, value }) => ({ ...m, [key]: value })))), (value) => {
        try {
          decodeManifest(enc.encode(JSON.stringify(value) ?? 'undefined'))
        } catch (err) {
          return (err as Error).name === 'InvalidManifestError'
        }
        return true
      }), { seed: SEED, numRuns: 500 })
    })
  })
})
