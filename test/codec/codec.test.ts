/**
 * The codec against the reference, once per kernel this engine runs, plus the
 * kernels against each other. Randomness is seeded: a failure prints its
 * fast-check seed and path and replays exactly.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { availableKernels, createCodec } from '../../src/codec/index.js'
import type { Codec, KernelName } from '../../src/codec/index.js'
import { refEncode } from '../../src/codec/reference.js'
import {
  below, copyShards, expectSameShards, pickIndices, prng, randomBytes, randomShards, thrown
} from './helpers.js'

const SEED = 0x5140a1
const SIZES = [1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000, 4095, 4096, 4097, 65537]
const KERNELS = availableKernels()

/** One codec per (kernel, k, m), reused across cases: reuse is part of what is tested. */
const codecs = new Map<string, Codec>()
function codecFor (kernel: KernelName, k: number, m: number): Codec {
  const key = `${kernel}:${k}+${m}`
  let codec = codecs.get(key)
  if (codec === undefined) {
    codec = createCodec({ dataShards: k, parityShards: m, kernel })
    codecs.set(key, codec)
  }
  return codec
}

/** (k, m) biased toward small codes, with some up to k + m = 256. */
const shapeArb: fc.Arbitrary<[number, number]> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 6 })) },
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 1, max: 48 }), fc.integer({ min: 0, max: 16 })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 2, max: 256 }).chain((n) => fc.integer({ min: 1, max: n }).map((k): [number, number] => [k, n - k]))
  }
)

interface Case { k: number, m: number, size: number, seed: number }
const caseArb: fc.Arbitrary<Case> = fc.record({ shape: shapeArb, size: fc.constantFrom(...SIZES), seed: fc.integer() })
  // 65537-byte shards only for small codes, to keep the run time down.
  .map(({ shape: [k, m], size, seed }) => ({ k, m, size: size === 65537 && k + m > 8 ? 4097 : size, seed }))

/** Erasure count: half the time exactly m (the worst case), otherwise 0..m. */
function erasureCount (rand: () => number, m: number): number {
  return below(rand, 2) === 0 ? m : below(rand, m + 1)
}

/** Encodes k random data shards with `codec`; returns the full encoded set. */
function encoded (codec: Codec, rand: () => number, size: number): Uint8Array[] {
  const shards = randomShards(rand, codec.dataShards, codec.parityShards, size)
  codec.encode(shards)
  return shards
}

function erase (shards: Uint8Array[], indices: number[]): Array<Uint8Array | null> {
  const out: Array<Uint8Array | null> = copyShards(shards)
  for (const i of indices) out[i] = null
  return out
}

describe('kernels', () => {
  it('availableKernels lists scalar and simd on this engine, best first, scalar last', () => {
    expect(KERNELS).toContain('scalar')
    expect(KERNELS).toContain('simd')
    expect(KERNELS[KERNELS.length - 1]).toBe('scalar')
    expect(new Set(KERNELS).size).toBe(KERNELS.length)
  })

  it('the default codec takes the best kernel, and simd: false takes scalar', () => {
    const best = createCodec({ dataShards: 4, parityShards: 2 })
    expect(best.kernel).toBe(KERNELS[0])
    expect(best.simd).toBe(true)
    const scalar = createCodec({ dataShards: 4, parityShards: 2, simd: false })
    expect(scalar.kernel).toBe('scalar')
    expect(scalar.simd).toBe(false)
  })
})

describe.each(KERNELS)('codec (%s kernel)', (kernel) => {
  it('reports its shape and kernel', () => {
    const codec = createCodec({ dataShards: 10, parityShards: 4, kernel })
    expect(codec.dataShards).toBe(10)
    expect(codec.parityShards).toBe(4)
    expect(codec.totalShards).toBe(14)
    expect(codec.kernel).toBe(kernel)
    expect(codec.simd).toBe(kernel !== 'scalar')
  })

  it('known answer: the 5+5 parity of klauspost/reedsolomon and Backblaze', () => {
    const codec = codecFor(kernel, 5, 5)
    const shards = [[0, 1], [4, 5], [2, 3], [6, 7], [8, 9], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]].map((s) => Uint8Array.from(s))
    codec.encode(shards)
    expect(shards.slice(5).map((s) => [...s])).toEqual([[12, 13], [10, 11], [14, 15], [90, 91], [94, 95]])
    expect(codec.verify(shards)).toBe(true)
    shards[8][0]++
    expect(codec.verify(shards)).toBe(false)
  })

  it('encode equals refEncode (fixed shapes, every shard size class)', () => {
    const rand = prng(SEED)
    const shapes = [[1, 0], [1, 1], [1, 5], [2, 1], [3, 2], [4, 4], [5, 5], [10, 4], [17, 3], [6, 10], [32, 32]]
    const cases: Array<[number, number, number]> = []
    for (const [k, m] of shapes) for (const size of SIZES) if (size !== 65537) cases.push([k, m, size])
    cases.push([3, 2, 65537], [10, 4, 65537], [200, 56, 33], [255, 1, 65], [1, 255, 100], [128, 128, 17], [100, 100, 32])
    for (const [k, m, size] of cases) {
      const codec = codecFor(kernel, k, m)
      const shards = randomShards(rand, k, m, size)
      const data = copyShards(shards.slice(0, k))
      codec.encode(shards)
      expectSameShards(shards.slice(0, k), data, `${k}+${m} size ${size} data untouched`)
      expectSameShards(shards.slice(k), refEncode(k, m, data), `${k}+${m} size ${size} parity`)
    }
  })

  it('property: encode matches the reference, verify accepts, and any <= m erasures reconstruct exactly', () => {
    fc.assert(fc.property(caseArb, ({ k, m, size, seed }) => {
      const codec = codecFor(kernel, k, m)
      const rand = prng(seed)
      const shards = encoded(codec, rand, size)
      if (k * m * size <= 300_000) expectSameShards(shards.slice(k), refEncode(k, m, shards.slice(0, k)), 'parity')
      expect(codec.verify(shards)).toBe(true)

      const lost = pickIndices(rand, k + m, erasureCount(rand, m))

      // reconstruct: every missing shard comes back, in the same array; present shards are left alone.
      const damaged = erase(shards, lost)
      const present = damaged.slice()
      const result = codec.reconstruct(damaged)
      expect(result).toBe(damaged)
      expectSameShards(result, shards, 'reconstruct')
      for (let i = 0; i < k + m; i++) if (present[i] !== null) expect(result[i]).toBe(present[i])

      // reconstructData: missing data comes back, missing parity stays null.
      const damagedData = erase(shards, lost)
      const dataResult = codec.reconstructData(damagedData)
      const expected: Array<Uint8Array | null> = shards.map((s, i) => (i >= k && lost.includes(i) ? null : s))
      expectSameShards(dataResult, expected, 'reconstructData')
      expectSameShards(damagedData, expected, 'reconstructData in place')

      // verify: any single flipped byte is caught (when there is parity to catch it).
      if (m > 0) {
        const at = below(rand, k + m)
        const offset = below(rand, size)
        const flip = 1 + below(rand, 255)
        shards[at][offset] ^= flip
        expect(codec.verify(shards), `flip shard ${at} byte ${offset}`).toBe(false)
        shards[at][offset] ^= flip
        expect(codec.verify(shards)).toBe(true)
      } else {
        shards[0][0] ^= 1
        expect(codec.verify(shards)).toBe(true)
      }
    }), { seed: SEED, numRuns: 120 })
  })

  it('verify is false after flipping any one byte of a small encoded set', () => {
    const codec = codecFor(kernel, 4, 3)
    const shards = encoded(codec, prng(SEED + 1), 37)
    for (let i = 0; i < shards.length; i++) {
      for (let j = 0; j < 37; j++) {
        shards[i][j] ^= 0x80
        if (codec.verify(shards)) expect.fail(`verify missed a flip at shard ${i} byte ${j}`)
        shards[i][j] ^= 0x80
      }
    }
    expect(codec.verify(shards)).toBe(true)
  })

  it('property: more than m erasures fail with TooFewShardsError(needed = k, found = present)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 6 }), fc.constantFrom(1, 16, 33), fc.integer(),
      (k, m, size, seed) => {
        const codec = codecFor(kernel, k, m)
        const rand = prng(seed)
        const shards = encoded(codec, rand, size)
        const lost = pickIndices(rand, k + m, m + 1 + below(rand, k))
        for (const rebuild of [codec.reconstruct.bind(codec), codec.reconstructData.bind(codec)]) {
          const err = thrown(() => rebuild(erase(shards, lost)))
          expect(err.name).toBe('TooFewShardsError')
          expect(err.needed).toBe(k)
          expect(err.found).toBe(k + m - lost.length)
        }
      }
    ), { seed: SEED, numRuns: 200 })
  })

  it('reconstruct with nothing missing changes nothing', () => {
    const codec = codecFor(kernel, 6, 3)
    const shards = encoded(codec, prng(SEED + 2), 100)
    const before = copyShards(shards)
    const same = shards.slice()
    expect(codec.reconstruct(shards)).toBe(shards)
    expect(codec.reconstructData(shards)).toBe(shards)
    shards.forEach((s, i) => expect(s).toBe(same[i]))
    expectSameShards(shards, before)
  })

  it('decodes correctly while the decode-plan cache evicts (decodeCacheSize 1 and 3)', () => {
    for (const decodeCacheSize of [1, 3]) {
      const codec = createCodec({ dataShards: 6, parityShards: 4, kernel, decodeCacheSize })
      const rand = prng(SEED + decodeCacheSize)
      const shards = encoded(codec, rand, 65)
      const patterns = Array.from({ length: 12 }, () => pickIndices(rand, 10, 1 + below(rand, 4)))
      for (let round = 0; round < 3; round++) {
        for (const lost of round === 1 ? [...patterns].reverse() : patterns) {
          expectSameShards(codec.reconstruct(erase(shards, lost)), shards, `lost ${lost.join(',')}`)
        }
      }
    }
  })

  it('works on views with a non-zero byteOffset and leaves the bytes around them alone', () => {
    const rand = prng(SEED + 3)
    for (const [k, m, size] of [[5, 3, 1000], [3, 2, 33], [4, 4, 4097], [10, 4, 17]]) {
      const codec = codecFor(kernel, k, m)
      const gap = 7
      const start = 13
      const big = new Uint8Array(start + (k + m) * (size + gap)).fill(0xaa)
      const inside = new Uint8Array(big.length)
      const views = Array.from({ length: k + m }, (_, i) => {
        const from = start + i * (size + gap)
        inside.fill(1, from, from + size)
        return big.subarray(from, from + size)
      })
      for (let i = 0; i < k; i++) views[i].set(randomBytes(rand, size))
      for (let i = k; i < k + m; i++) views[i].fill(0)

      const fresh = copyShards(views)
      codec.encode(fresh)
      codec.encode(views)
      expectSameShards(views, fresh, 'encode on views')
      expect(codec.verify(views)).toBe(true)

      // A reconstruct whose present shards are views into the big buffer.
      const damaged: Array<Uint8Array | null> = views.slice()
      damaged[1 % k] = null
      damaged[k + m - 1] = null
      expectSameShards(codec.reconstruct(damaged), fresh, 'reconstruct from views')

      // Parity recomputed into views whose old contents are garbage must come out right.
      for (let i = k; i < k + m; i++) views[i].fill(0x5c)
      codec.encode(views)
      expectSameShards(views, fresh, 're-encode over garbage parity')

      for (let i = 0; i < big.length; i++) {
        if (inside[i] === 0 && big[i] !== 0xaa) expect.fail(`byte ${i} outside the shards was written (${k}+${m} size ${size})`)
      }
    }
  })

  it('accepts Buffers (a Uint8Array subclass)', () => {
    const codec = codecFor(kernel, 3, 2)
    const shards = encoded(codec, prng(SEED + 4), 50)
    const buffers = shards.map((s) => Buffer.from(s))
    buffers[3].fill(0)
    buffers[4].fill(0)
    codec.encode(buffers)
    expectSameShards(buffers, shards)
  })

  describe('bad input', () => {
    it('shard counts out of range or not integers: InvalidShardCountsError', () => {
      const bad: Array<[unknown, unknown]> = [
        [0, 1], [1, -1], [-1, 2], [200, 57], [257, 0], [256, 1], [1, 256], [1.5, 1], [2, 0.5],
        [NaN, 1], [1, NaN], [Infinity, 0], [2, Infinity], ['4', 2], [4, '2'], [undefined, 2], [4, undefined], [null, 1]
      ]
      for (const [dataShards, parityShards] of bad) {
        const err = thrown(() => createCodec({ dataShards, parityShards, kernel } as never))
        expect(err.name, `${String(dataShards)}+${String(parityShards)}`).toBe('InvalidShardCountsError')
      }
      const err = thrown(() => createCodec({ dataShards: 200, parityShards: 57, kernel }))
      expect(err.dataShards).toBe(200)
      expect(err.parityShards).toBe(57)
      // The edges are fine.
      expect(createCodec({ dataShards: 256, parityShards: 0, kernel }).totalShards).toBe(256)
      expect(createCodec({ dataShards: 1, parityShards: 255, kernel }).totalShards).toBe(256)
    })

    it('wrong number of shards: WrongShardCountError(expected, found)', () => {
      const codec = codecFor(kernel, 4, 2)
      const shards = encoded(codec, prng(SEED + 5), 10)
      for (const length of [0, 5, 7]) {
        const arr = Array.from({ length }, (_, i) => shards[i % 6].slice())
        for (const call of [
          () => codec.encode(arr),
          () => codec.verify(arr),
          () => codec.reconstruct(arr),
          () => codec.reconstructData(arr)
        ]) {
          const err = thrown(call)
          expect(err.name).toBe('WrongShardCountError')
          expect(err.expected).toBe(6)
          expect(err.found).toBe(length)
        }
      }
    })

    it('differing sizes, empty shards and non-Uint8Array entries: ShardSizeError', () => {
      const codec = codecFor(kernel, 4, 2)
      const good = (): Uint8Array[] => encoded(codec, prng(SEED + 6), 10)
      const variants: Array<[string, (s: unknown[]) => void, number]> = [
        ['a longer data shard', (s) => { s[2] = new Uint8Array(11) }, 2],
        ['a shorter parity shard', (s) => { s[5] = new Uint8Array(9) }, 5],
        ['an empty shard', (s) => { s[3] = new Uint8Array(0) }, 3],
        ['a number array', (s) => { s[1] = Array.from({ length: 10 }, () => 0) }, 1],
        ['a Uint16Array', (s) => { s[4] = new Uint16Array(10) }, 4],
        ['an ArrayBuffer', (s) => { s[0] = new ArrayBuffer(10) }, 0],
        ['a string', (s) => { s[1] = '0123456789' }, 1]
      ]
      for (const [what, spoil, index] of variants) {
        for (const call of ['encode', 'verify', 'reconstruct', 'reconstructData'] as const) {
          const shards: unknown[] = good()
          spoil(shards)
          if (call === 'reconstruct' || call === 'reconstructData') shards[index === 0 ? 1 : 0] = null
          const err = thrown(() => codec[call](shards as Uint8Array[]))
          expect(err.name, `${call} with ${what}`).toBe('ShardSizeError')
          expect(err.shardIndex, `${call} with ${what}`).toBe(index)
        }
      }
      // All shards empty.
      const empty = Array.from({ length: 6 }, () => new Uint8Array(0))
      expect(thrown(() => codec.encode(empty)).name).toBe('ShardSizeError')
      // null is "missing" only for reconstruct: encode and verify need every shard.
      const withNull: unknown[] = good()
      withNull[5] = null
      expect(thrown(() => codec.encode(withNull as Uint8Array[])).name).toBe('ShardSizeError')
      expect(thrown(() => codec.verify(withNull as Uint8Array[])).name).toBe('ShardSizeError')
    })

    it('all shards missing: TooFewShardsError(found = 0)', () => {
      const codec = codecFor(kernel, 4, 2)
      const err = thrown(() => codec.reconstruct(Array.from({ length: 6 }, () => null)))
      expect(err.name).toBe('TooFewShardsError')
      expect(err.needed).toBe(4)
      expect(err.found).toBe(0)
    })

    it('join with a size beyond the data (or not a size): InvalidArgumentError', () => {
      const codec = codecFor(kernel, 4, 2)
      const shards = codec.split(new Uint8Array(30)) // 4 × 8 data bytes
      expect(codec.join(shards, 32).length).toBe(32)
      for (const size of [33, 1000, -1, 1.5, NaN]) {
        expect(thrown(() => codec.join(shards, size)).name, `size ${size}`).toBe('InvalidArgumentError')
      }
    })
  })

  describe('split and join', () => {
    it('round trip for sizes 0..100 and some large ones, through encode and reconstruct', () => {
      const rand = prng(SEED + 7)
      for (const [k, m] of [[1, 0], [1, 2], [3, 2], [7, 0], [10, 4]]) {
        const codec = codecFor(kernel, k, m)
        const sizes = [...Array.from({ length: 101 }, (_, i) => i), 1000, 4096 * k + 1, 1_000_003]
        for (const size of sizes) {
          const input = randomBytes(rand, size)
          const shards = codec.split(input)
          const shardBytes = Math.max(1, Math.ceil(size / k))
          expect(shards.length).toBe(k + m)
          for (const s of shards) expect(s.length).toBe(shardBytes)
          // Data shards hold the input then zero padding; parity shards start zeroed.
          const all = new Uint8Array(k * shardBytes)
          shards.slice(0, k).forEach((s, i) => all.set(s, i * shardBytes))
          expect(Buffer.from(all.subarray(0, size)).equals(Buffer.from(input))).toBe(true)
          expect(all.subarray(size).every((b) => b === 0)).toBe(true)
          for (const s of shards.slice(k)) expect(s.every((b) => b === 0)).toBe(true)

          expect(codec.join(shards, 0).length).toBe(0)
          expect(Buffer.from(codec.join(shards, size)).equals(Buffer.from(input)), `join ${k}+${m} size ${size}`).toBe(true)

          codec.encode(shards)
          const damaged = erase(shards, pickIndices(rand, k + m, m))
          codec.reconstructData(damaged)
          expect(Buffer.from(codec.join(damaged, size)).equals(Buffer.from(input)), `rebuilt ${k}+${m} size ${size}`).toBe(true)
        }
      }
    })

    it('splits a view into a larger buffer correctly', () => {
      const codec = codecFor(kernel, 3, 2)
      const big = randomBytes(prng(SEED + 8), 1000)
      const view = big.subarray(7, 7 + 500)
      const shards = codec.split(view)
      expect(Buffer.from(codec.join(shards, 500)).equals(Buffer.from(view))).toBe(true)
      expect(shards[0].length).toBe(167)
    })
  })
})

describe('kernels agree byte for byte', () => {
  const others = KERNELS.filter((k) => k !== 'scalar')

  it.each(others)('%s matches scalar on encode, reconstruct and reconstructData', (kernel) => {
    fc.assert(fc.property(caseArb, ({ k, m, size, seed }) => {
      const scalar = codecFor('scalar', k, m)
      const fast = codecFor(kernel, k, m)
      const rand = prng(seed)
      const data = randomShards(rand, k, m, size)
      const a = copyShards(data)
      const b = copyShards(data)
      scalar.encode(a)
      fast.encode(b)
      expectSameShards(b, a, 'encode')
      const lost = pickIndices(rand, k + m, erasureCount(rand, m))
      expectSameShards(fast.reconstruct(erase(a, lost)), scalar.reconstruct(erase(a, lost)), 'reconstruct')
      expectSameShards(fast.reconstructData(erase(a, lost)), scalar.reconstructData(erase(a, lost)), 'reconstructData')
      expect(fast.verify(b)).toBe(scalar.verify(a))
    }), { seed: SEED + 1, numRuns: 80 })
  })
})
