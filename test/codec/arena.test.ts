/**
 * Zero-copy shards (codec.allocShards): the kernel runs in place on arena
 * views, and every result is byte-identical to the plain-array (staging) path,
 * for every kernel this engine runs. Randomness is seeded (test/helpers/prng).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ArenaRunner } from '../../src/codec/arena/index.js'
import { availableKernels, createCodec } from '../../src/codec/index.js'
import { WasmKernel } from '../../src/codec/loader.js'
import { prng } from '../helpers/prng.js'
import { expectSameShards, pickIndices, thrown } from './helpers.js'
import type { Codec, KernelName } from '../../src/codec/index.js'
import type { Prng } from '../helpers/prng.js'

const KERNELS = availableKernels()

/** (k, m, shard bytes): tails of 1..15 bytes, exact multiples of 16 and 64, wide and tall matrices. */
const SHAPES: Array<[number, number, number]> = [
  [1, 0, 5], [1, 1, 16], [3, 1, 17], [4, 2, 1000], [5, 5, 1], [6, 3, 4096 + 7],
  [10, 4, 65536 + 13], [17, 3, 4099], [20, 10, 333], [32, 8, 2048 + 16]
]

/** Arena shards and plain copies of them, data filled from `rand`, parity zero. */
function twins (codec: Codec, rand: Prng, size: number): { arena: Uint8Array[], plain: Uint8Array[] } {
  const arena = codec.allocShards(size)
  for (let i = 0; i < codec.dataShards; i++) rand.fill(arena[i])
  return { arena, plain: arena.map(s => s.slice()) }
}

/** Spies on the two paths: staging (WasmKernel.apply) and in place (ArenaRunner.run). */
function spyPaths (): { staged: () => number, inPlace: () => number } {
  const staging = vi.spyOn(WasmKernel.prototype, 'apply')
  const arena = vi.spyOn(ArenaRunner.prototype, 'run')
  return { staged: () => staging.mock.calls.length, inPlace: () => arena.mock.calls.length }
}

afterEach(() => { vi.restoreAllMocks() })

describe.each(KERNELS)('zero-copy shards, %s kernel', (kernel: KernelName) => {
  it.each(SHAPES)('%i+%i of %i bytes: encode, verify, reconstruct and reconstructData equal the plain path, in place', (k, m, size) => {
    const rand = prng(0xA7E4A + k * 1000 + m * 10 + size)
    const codec = createCodec({ dataShards: k, parityShards: m, kernel })
    const { arena, plain } = twins(codec, rand, size)
    const paths = spyPaths()

    codec.encode(arena)
    expect(paths.inPlace()).toBeGreaterThan(0)
    expect(paths.staged()).toBe(0)
    codec.encode(plain)
    expectSameShards(arena, plain, 'encode')
    expect(codec.verify(arena)).toBe(true)
    if (m > 0) {
      // a wrong byte in the tail (last byte) and in the body (first byte) of a parity shard
      for (const at of [size - 1, 0]) {
        const p = k + rand.int(m)
        arena[p][at] ^= 1 + rand.int(255)
        expect(codec.verify(arena), `parity ${p} byte ${at}`).toBe(false)
        arena[p].set(plain[p])
      }
    }

    // lose up to m shards; clobber their slots so an in-place rebuild has to write them
    const lost = pickIndices(() => rand.next(), k + m, Math.min(m, rand.int(m + 1) + 1))
    const input: Array<Uint8Array | null> = arena.slice()
    for (const i of lost) { arena[i].fill(0xEE); input[i] = null }
    const staged = paths.staged()
    codec.reconstruct(input)
    expect(paths.staged()).toBe(staged)
    for (const i of lost) expect(input[i], `shard ${i} is rebuilt into its own slot`).toBe(arena[i])
    expectSameShards(input, plain, 'reconstruct')

    // data only, then the rebuild option (arrays given, bytes lost)
    const dataOnly: Array<Uint8Array | null> = arena.slice()
    for (const i of lost) { arena[i].fill(0x11); dataOnly[i] = null }
    codec.reconstructData(dataOnly)
    lost.forEach(i => { expect(dataOnly[i]).toBe(i < k ? arena[i] : null) })
    expectSameShards(dataOnly.slice(0, k), plain.slice(0, k), 'reconstructData')
    for (const i of lost) arena[i].fill(0x22)
    codec.reconstruct(arena.slice(), { rebuild: lost })
    expectSameShards(arena, plain, 'rebuild option')
    expect(paths.staged()).toBe(staged)
  })
})

describe('zero-copy shards: what they are and how they are misused', () => {
  const codec = createCodec({ dataShards: 4, parityShards: 2 })

  it('are k + m views of one shared wasm memory that never grows', () => {
    const shards = codec.allocShards(1000)
    expect(shards).toHaveLength(6)
    const buffer = shards[0].buffer
    expect(buffer).toBeInstanceOf(SharedArrayBuffer)
    expect(shards.every(s => s.buffer === buffer && s.length === 1000)).toBe(true)
    const bytes = buffer.byteLength
    codec.encode(shards)
    codec.reconstruct([null, ...shards.slice(1)])
    expect(shards[0].buffer.byteLength).toBe(bytes)
    // each call makes a new arena
    expect(codec.allocShards(1000)[0].buffer).not.toBe(buffer)
  })

  it('refuses sizes that are not positive integers or do not fit a wasm memory', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '64' as unknown as number, 2 ** 32]) {
      expect(thrown(() => codec.allocShards(bad)).name, String(bad)).toBe('InvalidArgumentError')
    }
  })

  it('keeps the usual shard checks: wrong count, wrong sizes', () => {
    const shards = codec.allocShards(100)
    expect(thrown(() => { codec.encode(shards.slice(1)) }).name).toBe('WrongShardCountError')
    const short = shards.slice()
    short[2] = short[2].subarray(0, 99)
    expect(thrown(() => { codec.encode(short) })).toMatchObject({ name: 'ShardSizeError', shardIndex: 2, expected: 100, found: 99 })
    const missing: Array<Uint8Array | null> = shards.slice()
    missing[0] = missing[1] = missing[2] = null
    expect(thrown(() => codec.reconstruct(missing))).toMatchObject({ name: 'TooFewShardsError', needed: 4, found: 3 })
  })

  it('mixed with plain arrays, or with views of another arena, work through staging with the same bytes', () => {
    const rand = prng(61)
    const { arena, plain } = twins(codec, rand, 777)
    const other = codec.allocShards(777)
    codec.encode(plain)
    const paths = spyPaths()

    const mixed = arena.slice()
    mixed[5] = new Uint8Array(777)
    codec.encode(mixed)
    expectSameShards(mixed, plain, 'arena + plain')

    other[4].set(plain[4]) // nothing: parity 4 is written
    const twoArenas = [...arena.slice(0, 4), other[4], other[5]]
    codec.encode(twoArenas)
    expectSameShards(twoArenas, plain, 'two arenas')
    expect(paths.inPlace()).toBe(0)
    expect(paths.staged()).toBe(2)

    // a missing shard among mixed arrays gets a new plain array
    const lost: Array<Uint8Array | null> = [null, arena[1], arena[2], arena[3], mixed[4], new Uint8Array(plain[5])]
    arena[0].fill(0)
    codec.reconstruct(lost)
    expect(lost[0]).not.toBe(arena[0])
    expectSameShards(lost, plain, 'reconstruct mixed')
  })

  it('work with a codec of another shape: in place when its plans fit the arena, staging otherwise', () => {
    const rand = prng(62)
    const wide = createCodec({ dataShards: 10, parityShards: 4 })
    const big = wide.allocShards(300)
    for (let i = 0; i < 4; i++) rand.fill(big[i])
    const six = big.slice(0, 6)
    const expected = six.map(s => s.slice())
    codec.encode(expected)
    const paths = spyPaths()
    codec.encode(six)
    expect(paths.inPlace()).toBe(1)
    expectSameShards(six, expected, '4+2 on a 10+4 arena')

    const tall = createCodec({ dataShards: 2, parityShards: 4 })
    const small = codec.allocShards(300) // made for 4 columns × 2 rows: a 2+4 encode has 4 rows
    rand.fill(small[0]); rand.fill(small[1])
    const plain = small.map(s => s.slice())
    tall.encode(small)
    expect(paths.staged()).toBe(1)
    tall.encode(plain)
    expectSameShards(small, plain, '2+4 on a 4+2 arena')
  })

  it('subarrays of arena shards run in place and never touch bytes outside the views', () => {
    const rand = prng(63)
    const shards = codec.allocShards(1000)
    for (const s of shards) s.fill(0x5A)
    const views = shards.map(s => s.subarray(3, 3 + 101)) // a 5-byte tail, unaligned start
    for (let i = 0; i < 4; i++) rand.fill(views[i])
    const plain = views.map(v => v.slice())
    codec.encode(plain)
    const paths = spyPaths()
    codec.encode(views)
    expect(paths.inPlace()).toBe(1)
    expectSameShards(views, plain, 'subarrays')
    for (const s of shards.slice(4)) {
      expect(s.subarray(0, 3).every(b => b === 0x5A)).toBe(true)
      expect(s.subarray(104).every(b => b === 0x5A)).toBe(true)
    }
  })

  it('a parity view that overlaps an input is not run in place (same bytes as plain arrays aliased alike)', () => {
    const rand = prng(64)
    const { arena, plain } = twins(codec, rand, 4096)
    arena[4] = arena[0] // the same memory is input 0 and output 4
    plain[4] = plain[0]
    const paths = spyPaths()
    codec.encode(arena)
    codec.encode(plain)
    expect(paths.inPlace()).toBe(0)
    expectSameShards(arena, plain, 'aliased')
  })
})
