/**
 * The worker pool on zero-copy shards: workers run the kernel in place in the
 * arena's shared wasm memory, each on its byte range and in its own lane, and
 * every result equals the single-threaded codec on plain arrays.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { availableKernels, createCodec, createCodecPool, POOL_MIN_SHARD_BYTES } from '../../src/codec/index.js'
import { arenaOf } from '../../src/codec/arena/index.js'
import { WasmKernel } from '../../src/codec/loader.js'
import { prng } from '../helpers/prng.js'
import { expectSameShards } from './helpers.js'
import type { CodecPool, KernelName } from '../../src/codec/index.js'

// large enough to be split, with a 13-byte tail in the last worker's range
const SIZE = POOL_MIN_SHARD_BYTES * 3 + 13
const KERNELS: KernelName[] = [...new Set<KernelName>([availableKernels()[0], 'scalar'])]

describe('codec worker pool on zero-copy shards', () => {
  const pools: CodecPool[] = []
  afterEach(async () => {
    await Promise.all(pools.map(async p => { await p.close() }))
    pools.length = 0
  })
  async function start (k: number, m: number, workers: number, kernel?: KernelName): Promise<CodecPool> {
    const pool = await createCodecPool({ dataShards: k, parityShards: m, workers, kernel })
    pools.push(pool)
    return pool
  }

  it.each(KERNELS)('%s kernel: encode, verify, reconstruct and reconstructData equal the plain single-threaded path', async (kernel) => {
    const k = 6
    const m = 3
    const pool = await start(k, m, 2, kernel)
    const rand = prng(0xB00 + kernel.length)
    const shards = pool.allocShards(SIZE)
    for (let i = 0; i < k; i++) rand.fill(shards[i])
    const plain = shards.map(s => s.slice())
    createCodec({ dataShards: k, parityShards: m, kernel: 'scalar' }).encode(plain)

    await pool.encode(shards)
    expectSameShards(shards, plain, 'encode')
    expect(await pool.verify(shards)).toBe(true)
    for (const at of [0, SIZE >> 1, SIZE - 1]) { // first worker, second worker, the tail
      shards[k + 1][at] ^= 0x40
      expect(await pool.verify(shards), `byte ${at}`).toBe(false)
      shards[k + 1][at] ^= 0x40
    }

    const lost = [0, 4, 7]
    const input: Array<Uint8Array | null> = shards.slice()
    for (const i of lost) { shards[i].fill(0xEE); input[i] = null }
    await pool.reconstruct(input)
    for (const i of lost) expect(input[i], `shard ${i} rebuilt in its own slot`).toBe(shards[i])
    expectSameShards(input, plain, 'reconstruct')

    const dataOnly: Array<Uint8Array | null> = shards.slice()
    for (const i of lost) { shards[i].fill(0x11); dataOnly[i] = null }
    await pool.reconstructData(dataOnly)
    expect(dataOnly[7]).toBeNull()
    expectSameShards(dataOnly.slice(0, k), plain.slice(0, k), 'reconstructData')
  })

  it('takes arenas from a codec or from a pool with fewer workers (fewer lanes), with the same bytes', async () => {
    const rand = prng(0xB01)
    const pool = await start(4, 2, 3)
    const one = await start(4, 2, 1)
    for (const shards of [createCodec({ dataShards: 4, parityShards: 2 }).allocShards(SIZE), one.allocShards(SIZE)]) {
      for (let i = 0; i < 4; i++) rand.fill(shards[i])
      const plain = shards.map(s => s.slice())
      createCodec({ dataShards: 4, parityShards: 2 }).encode(plain)
      await pool.encode(shards)
      expectSameShards(shards, plain, 'encode')
    }
  })

  it('serializes calls on one arena, and a synchronous call on it meanwhile stages instead of touching its plan', async () => {
    const rand = prng(0xB02)
    const pool = await start(5, 3, 2)
    const codec = createCodec({ dataShards: 3, parityShards: 2 })
    // one arena: slots 0..7 for the pool's 5+3, slots 8..12 for the codec's 3+2
    const slots = createCodec({ dataShards: 10, parityShards: 4 }).allocShards(SIZE)
    const shards = slots.slice(0, 8)
    const other = slots.slice(8, 13)
    for (let i = 0; i < 5; i++) rand.fill(shards[i])
    for (let i = 0; i < 3; i++) rand.fill(other[i])
    const plain = shards.map(s => s.slice())
    createCodec({ dataShards: 5, parityShards: 3 }).encode(plain)
    const otherPlain = other.map(s => s.slice())
    codec.encode(otherPlain)

    // encode, a verify, and a rebuild with another plan, all in flight at once
    const encoded = pool.encode(shards)
    const verified = pool.verify(shards)
    const lost: Array<Uint8Array | null> = shards.slice()
    lost[1] = null
    const rebuilt = pool.reconstruct(lost)
    const staging = vi.spyOn(WasmKernel.prototype, 'apply')
    codec.encode(other)
    expect(staging).toHaveBeenCalledTimes(1)
    staging.mockRestore()
    expectSameShards(other, otherPlain, 'synchronous call on a busy arena')
    await encoded
    expect(await verified).toBe(true)
    await rebuilt
    expectSameShards(lost, plain, 'after concurrent calls')
    expect(await pool.verify(shards)).toBe(true)
  })

  it('keeps working when the call sequence in the arena wraps around 2^32', async () => {
    const pool = await start(4, 2, 2)
    const shards = pool.allocShards(SIZE)
    const rand = prng(0xB04)
    for (let i = 0; i < 4; i++) rand.fill(shards[i])
    const plain = shards.map(s => s.slice())
    createCodec({ dataShards: 4, parityShards: 2 }).encode(plain)
    ;(arenaOf(shards) as unknown as { seq: number }).seq = 0xFFFFFFFE
    for (let call = 0; call < 3; call++) {
      shards[4].fill(0)
      shards[5].fill(0)
      await pool.encode(shards)
      expectSameShards(shards, plain, `call ${call}`)
    }
  })

  it('rejects an aborted call; arena after arena works', async () => {
    const pool = await start(3, 2, 2)
    await expect(pool.encode(pool.allocShards(SIZE), { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
    for (let i = 0; i < 5; i++) await pool.encode(pool.allocShards(SIZE))
    const shards = pool.allocShards(SIZE)
    prng(0xB03).fill(shards[0])
    await pool.encode(shards)
    expect(createCodec({ dataShards: 3, parityShards: 2 }).verify(shards)).toBe(true)
  })
})
