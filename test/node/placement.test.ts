/**
 * Where shards go and how much they survive: weighted rendezvous ranking
 * (determinism, exclusions, spread, weighting, little movement when a peer
 * leaves), faultTolerance with and without co-location, the redundancy
 * options, and rechunk's edge cases.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PRESETS } from '../../src/node/constants.js'
import { rankCandidates, type Candidate } from '../../src/node/placement.js'
import { faultTolerance } from '../../src/node/put.js'
import { rechunk, type Piece } from '../../src/node/rechunk.js'
import { resolveRedundancy } from '../../src/node/redundancy.js'
import { prng } from '../helpers/prng.js'

const SEED = 0x91ace
const GiB = 1024 ** 3

const peers = (n: number, freeBytes = GiB): Candidate[] => Array.from({ length: n }, (_, i) => ({ peerId: `12D3KooWpeer${String(i).padStart(2, '0')}`, freeBytes }))
const ids = (cs: Candidate[]): string[] => cs.map(c => c.peerId)
function fileIds (count: number, seed = SEED): Uint8Array[] {
  const rand = prng(seed)
  return Array.from({ length: count }, () => rand.bytes(16))
}

describe('rankCandidates', () => {
  it('is deterministic, and does not depend on the order of the candidates', () => {
    const rand = prng(SEED)
    const candidates = peers(20)
    for (const fileId of fileIds(50)) {
      const first = ids(rankCandidates(fileId, candidates, 1))
      expect(ids(rankCandidates(fileId.slice(), candidates.map(c => ({ ...c })), 1))).toEqual(first)
      const shuffled = [...candidates]
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = rand.int(i + 1)
        const t = shuffled[i]
        shuffled[i] = shuffled[j]
        shuffled[j] = t
      }
      expect(ids(rankCandidates(fileId, shuffled, 1))).toEqual(first)
      expect(new Set(first).size).toBe(20)
    }
    // different files get different orders
    const orders = new Set(fileIds(50).map(f => ids(rankCandidates(f, candidates, 1)).join()))
    expect(orders.size).toBe(50)
  })

  it('leaves out peers with less than neededBytes free, and ranks each peer once (its first entry with enough room)', () => {
    const fileId = fileIds(1)[0]
    const candidates: Candidate[] = [
      { peerId: 'a', freeBytes: 100 },
      { peerId: 'b', freeBytes: 99 },
      { peerId: 'c', freeBytes: 1000 },
      { peerId: 'a', freeBytes: 5000 }, // a duplicate: ignored while the first entry qualifies
      { peerId: 'd', freeBytes: 0 },
      { peerId: 'c', freeBytes: 1 }
    ]
    const ranked = rankCandidates(fileId, candidates, 100)
    expect(ids(ranked).sort()).toEqual(['a', 'c'])
    expect(ranked.find(c => c.peerId === 'a')?.freeBytes).toBe(100)
    // with 1001 needed, the first 'a' has too little room and its second entry (5000) is the one ranked
    expect(rankCandidates(fileId, candidates, 1001)).toEqual([{ peerId: 'a', freeBytes: 5000 }])
    expect(rankCandidates(fileId, candidates, 5001)).toEqual([])
    expect(rankCandidates(fileId, [], 0)).toEqual([])
    // neededBytes 0: everyone, a peer with no room included
    expect(ids(rankCandidates(fileId, candidates, 0)).sort()).toEqual(['a', 'b', 'c', 'd'])
  })

  it(`spreads first places evenly over 20 equal peers (2,000 files, seed ${SEED})`, () => {
    const candidates = peers(20)
    const firsts = new Map<string, number>()
    const inTop5 = new Map<string, number>()
    for (const fileId of fileIds(2000)) {
      const ranked = ids(rankCandidates(fileId, candidates, 1))
      firsts.set(ranked[0], (firsts.get(ranked[0]) ?? 0) + 1)
      for (const p of ranked.slice(0, 5)) inTop5.set(p, (inTop5.get(p) ?? 0) + 1)
    }
    // expected 100 each (σ ≈ 9.7): every peer within ±40 %
    expect(firsts.size).toBe(20)
    for (const [peer, count] of firsts) {
      expect(count, peer).toBeGreaterThanOrEqual(60)
      expect(count, peer).toBeLessThanOrEqual(140)
    }
    // and shares of the first five places: expected 500 each (σ ≈ 19)
    for (const [peer, count] of inTop5) {
      expect(count, peer).toBeGreaterThanOrEqual(420)
      expect(count, peer).toBeLessThanOrEqual(580)
    }
  })

  it(`favours room roughly in proportion: a peer with 4× the free space gets ~4× the first places (seed ${SEED})`, () => {
    const candidates = peers(20)
    candidates[7] = { ...candidates[7], freeBytes: 4 * GiB }
    const big = candidates[7].peerId
    const firsts = new Map<string, number>()
    const files = 4000
    for (const fileId of fileIds(files)) {
      const first = rankCandidates(fileId, candidates, 1)[0].peerId
      firsts.set(first, (firsts.get(first) ?? 0) + 1)
    }
    // weights 4 + 19 × 1: the big peer expects 4/23 of first places (≈ 696), the others 1/23 (≈ 174)
    const bigShare = (firsts.get(big) ?? 0) / files
    expect(bigShare).toBeGreaterThan(0.14)
    expect(bigShare).toBeLessThan(0.21)
    const others = [...firsts].filter(([p]) => p !== big).map(([, c]) => c)
    const meanOther = others.reduce((a, b) => a + b, 0) / 19
    const ratio = (firsts.get(big) ?? 0) / meanOther
    expect(ratio).toBeGreaterThan(3)
    expect(ratio).toBeLessThan(5)
    // a peer with a quarter of the room gets clearly fewer
    const small = [...peers(19), { peerId: 'small', freeBytes: GiB / 4 }]
    const smallFirsts = fileIds(files).filter(f => rankCandidates(f, small, 1)[0].peerId === 'small').length
    expect(smallFirsts / files).toBeGreaterThan(0.005)
    expect(smallFirsts / files).toBeLessThan(0.025) // expected 0.25 / 19.25 ≈ 0.013
  })

  it('moves few placements when a peer leaves: only files whose chosen set contained it change, and by that peer only', () => {
    const n = 5
    const candidates = peers(20)
    const gone = candidates[11].peerId
    const rest = candidates.filter(c => c.peerId !== gone)
    let affected = 0
    for (const fileId of fileIds(2000)) {
      const before = ids(rankCandidates(fileId, candidates, 1))
      const after = ids(rankCandidates(fileId, rest, 1))
      // the order of everyone else is untouched
      expect(after).toEqual(before.filter(p => p !== gone))
      const chosenBefore = before.slice(0, n)
      const chosenAfter = after.slice(0, n)
      if (chosenBefore.includes(gone)) {
        affected++
        // the gone peer is replaced by the next in line; the others keep their places (shard indices shift at most by one)
        expect(chosenAfter.slice(0, n - 1)).toEqual(chosenBefore.filter(p => p !== gone))
        expect(chosenAfter[n - 1]).toBe(before[n])
      } else {
        expect(chosenAfter).toEqual(chosenBefore)
      }
    }
    // n/20 of the files expected (500 of 2,000)
    expect(affected).toBeGreaterThan(400)
    expect(affected).toBeLessThan(600)
  })

  it('a peer that joins takes places only from files it now ranks into', () => {
    const candidates = peers(20)
    const joined = [...candidates, { peerId: 'newcomer', freeBytes: GiB }]
    let moved = 0
    for (const fileId of fileIds(1000)) {
      const before = ids(rankCandidates(fileId, candidates, 1)).slice(0, 5)
      const after = ids(rankCandidates(fileId, joined, 1)).slice(0, 5)
      if (after.includes('newcomer')) moved++
      else expect(after).toEqual(before)
    }
    expect(moved).toBeGreaterThan(150) // expected 5/21 of 1,000 ≈ 238
    expect(moved).toBeLessThan(330)
  })
})

describe('faultTolerance', () => {
  it('distinct holders: n - k', () => {
    for (const [n, k] of [[3, 2], [5, 3], [9, 5], [15, 7], [1, 1], [4, 4]]) {
      const holders = Array.from({ length: n }, (_, i) => `p${i}`)
      expect(faultTolerance(holders, k), `${k}-of-${n}`).toBe(n - k)
    }
  })

  it('co-located shards count against the holder that has them', () => {
    expect(faultTolerance(['a', 'a', 'b', 'c', 'd'], 3)).toBe(1)
    expect(faultTolerance(['a', 'b', 'a', 'c', 'b'], 3)).toBe(1) // losing a (2) then b (2) leaves 1 < 3
    expect(faultTolerance(['a', 'a', 'a', 'b', 'c'], 3)).toBe(0) // losing a leaves 2
    expect(faultTolerance(['a', 'a', 'b', 'b', 'c', 'c'], 2)).toBe(2)
    expect(faultTolerance(['a', 'a', 'a'], 2)).toBe(0)
    expect(faultTolerance(['a', 'a', 'a'], 3)).toBe(0)
    expect(faultTolerance(['a', 'b'], 3)).toBe(0) // fewer shards than needed
    expect(faultTolerance([], 1)).toBe(0)
  })

  it(`agrees with a brute force over every set of failed holders (property, seed ${SEED})`, () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 12 }), (holders, k) => {
      const distinct = [...new Set(holders)]
      // the largest t such that any t failed holders leave at least k shards
      let best = 0
      for (let t = 1; t <= distinct.length; t++) {
        let survivesAll = true
        for (let mask = 0; mask < 1 << distinct.length && survivesAll; mask++) {
          let bits = 0
          for (let b = mask; b > 0; b >>= 1) bits += b & 1
          if (bits !== t) continue
          const failed = new Set(distinct.filter((_, i) => (mask & (1 << i)) !== 0))
          if (holders.filter(h => !failed.has(h)).length < k) survivesAll = false
        }
        if (!survivesAll) break
        best = t
      }
      expect(faultTolerance(holders, k)).toBe(best)
    }), { seed: SEED, numRuns: 300 })
  })
})

describe('resolveRedundancy', () => {
  it('presets, and personal (3-of-5) by default', () => {
    expect(resolveRedundancy({})).toEqual({ dataShards: 3, parityShards: 2 })
    expect(resolveRedundancy({ preset: 'minimal' })).toEqual({ dataShards: 2, parityShards: 1 })
    expect(resolveRedundancy({ preset: 'personal' })).toEqual({ dataShards: 3, parityShards: 2 })
    expect(resolveRedundancy({ preset: 'federation' })).toEqual({ dataShards: 5, parityShards: 4 })
    expect(resolveRedundancy({ preset: 'paranoid' })).toEqual({ dataShards: 7, parityShards: 8 })
    expect(Object.keys(PRESETS).sort()).toEqual(['federation', 'minimal', 'paranoid', 'personal'])
  })

  it('explicit counts override the preset', () => {
    expect(resolveRedundancy({ dataShards: 10, parityShards: 4 })).toEqual({ dataShards: 10, parityShards: 4 })
    expect(resolveRedundancy({ dataShards: 1, parityShards: 0, preset: 'paranoid' })).toEqual({ dataShards: 1, parityShards: 0 })
    expect(resolveRedundancy({ dataShards: 128, parityShards: 128 })).toEqual({ dataShards: 128, parityShards: 128 })
  })

  function refusal (options: unknown): Error & { cause?: { name?: string } } {
    try {
      resolveRedundancy(options as Parameters<typeof resolveRedundancy>[0])
    } catch (err) {
      return err as Error & { cause?: { name?: string } }
    }
    throw new Error(`accepted ${JSON.stringify(options)}`)
  }

  it('an unknown preset → InvalidOptionError (prototype keys included)', () => {
    for (const preset of ['huge', 'Personal', '', 'toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expect(refusal({ preset }).name, preset).toBe('InvalidOptionError')
    }
  })

  it('only one of dataShards / parityShards → InvalidOptionError', () => {
    for (const options of [{ dataShards: 3 }, { parityShards: 2 }, { dataShards: 3, preset: 'minimal' }, { parityShards: 0 }]) {
      expect(refusal(options).name, JSON.stringify(options)).toBe('InvalidOptionError')
    }
  })

  it('invalid counts → InvalidOptionError caused by InvalidShardCountsError', () => {
    const bad = [
      { dataShards: 0, parityShards: 2 }, { dataShards: -1, parityShards: 2 }, { dataShards: 3, parityShards: -1 },
      { dataShards: 1.5, parityShards: 2 }, { dataShards: 3, parityShards: 0.5 }, { dataShards: Number.NaN, parityShards: 2 },
      { dataShards: Infinity, parityShards: 2 }, { dataShards: '3', parityShards: 2 }, { dataShards: 200, parityShards: 57 },
      { dataShards: 257, parityShards: 0 }
    ]
    for (const options of bad) {
      const err = refusal(options)
      expect(err.name, JSON.stringify(options)).toBe('InvalidOptionError')
      expect(err.cause?.name, JSON.stringify(options)).toBe('InvalidShardCountsError')
    }
  })
})

describe('rechunk', () => {
  async function pieces (source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, size: number): Promise<Piece[]> {
    const out: Piece[] = []
    for await (const piece of rechunk(source, size)) out.push({ bytes: piece.bytes.slice(), last: piece.last })
    return out
  }

  it('an empty source (or only empty chunks) gives one empty, last piece', async () => {
    for (const source of [[], [new Uint8Array(0)], [new Uint8Array(0), new Uint8Array(0)]]) {
      const out = await pieces(source, 4)
      expect(out).toHaveLength(1)
      expect(out[0].bytes.length).toBe(0)
      expect(out[0].last).toBe(true)
    }
  })

  it('exact multiples: full pieces only, the last one flagged', async () => {
    const bytes = prng(SEED).bytes(12)
    for (const chunks of [[bytes], [bytes.subarray(0, 4), bytes.subarray(4, 8), bytes.subarray(8)], [bytes.subarray(0, 5), bytes.subarray(5)]]) {
      const out = await pieces(chunks, 4)
      expect(out.map(p => p.bytes.length)).toEqual([4, 4, 4])
      expect(out.map(p => p.last)).toEqual([false, false, true])
      expect(Buffer.concat(out.map(p => p.bytes)).equals(Buffer.from(bytes))).toBe(true)
    }
    // one exact piece
    const one = await pieces([bytes.subarray(0, 4)], 4)
    expect(one.map(p => [p.bytes.length, p.last])).toEqual([[4, true]])
  })

  it('a short tail: full pieces, then the remainder as the last', async () => {
    const out = await pieces([prng(SEED).bytes(9)], 4)
    expect(out.map(p => [p.bytes.length, p.last])).toEqual([[4, false], [4, false], [1, true]])
    expect((await pieces([Uint8Array.of(7)], 4)).map(p => [p.bytes.length, p.last])).toEqual([[1, true]])
  })

  it(`any chunking of any bytes: pieces of exactly size, a last one of 1..size, concatenating to the input (property, seed ${SEED})`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }), fc.integer({ min: 1, max: 17 }), fc.boolean(), async (chunks, size, asyncSource) => {
      const source = asyncSource ? (async function * () { yield * chunks })() : chunks
      const out = await pieces(source, size)
      const total = chunks.reduce((n, c) => n + c.length, 0)
      expect(out.length).toBe(Math.max(1, Math.ceil(total / size)))
      expect(out.filter(p => p.last)).toHaveLength(1)
      expect(out[out.length - 1].last).toBe(true)
      expect(out.slice(0, -1).every(p => p.bytes.length === size)).toBe(true)
      const lastLength = out[out.length - 1].bytes.length
      expect(total === 0 ? lastLength === 0 : lastLength >= 1 && lastLength <= size).toBe(true)
      expect(Buffer.concat(out.map(p => p.bytes)).equals(Buffer.concat(chunks))).toBe(true)
    }), { seed: SEED, numRuns: 300 })
  })

  it(`recycle: the same pieces, from two buffers used in turn (property, seed ${SEED})`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }), fc.integer({ min: 1, max: 17 }), async (chunks, size) => {
      const plain = await pieces(chunks, size)
      const recycled: Array<{ bytes: Uint8Array, last: boolean }> = []
      const buffers = new Set<ArrayBufferLike>()
      for await (const piece of rechunk(chunks, size, undefined, { recycle: true })) {
        buffers.add(piece.bytes.buffer)
        recycled.push({ bytes: piece.bytes.slice(), last: piece.last }) // done with it before the next
      }
      expect(recycled).toEqual(plain)
      expect(buffers.size).toBeLessThanOrEqual(2)
    }), { seed: SEED, numRuns: 200 })
  })

  it('pieces do not alias the caller\'s chunks (the caller may reuse its buffer)', async () => {
    const buffer = new Uint8Array(8).fill(1)
    const seen: Uint8Array[] = []
    async function * reuse (): AsyncGenerator<Uint8Array> {
      yield buffer
      buffer.fill(2)
      yield buffer
    }
    for await (const piece of rechunk(reuse(), 8)) seen.push(piece.bytes)
    expect([...seen[0]]).toEqual(Array(8).fill(1))
    expect([...seen[1]]).toEqual(Array(8).fill(2))
  })

  it('refuses chunks that are not Uint8Arrays, and honours an aborted signal', async () => {
    await expect(pieces(['abc' as unknown as Uint8Array], 4)).rejects.toMatchObject({ name: 'TypeError' })
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    const run = async (): Promise<void> => { for await (const _ of rechunk([new Uint8Array(4)], 4, controller.signal)) { /* nothing */ } }
    await expect(run()).rejects.toBeDefined()
  })
})
