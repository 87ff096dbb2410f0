import { afterEach, describe, expect, it } from 'vitest'
import { createCodec, createCodecPool, POOL_MIN_SHARD_BYTES } from '../../src/codec/index.js'
import { prng } from '../helpers/prng.js'
import type { CodecPool } from '../../src/codec/index.js'

describe('codec worker pool', () => {
  let pool: CodecPool | undefined

  afterEach(async () => {
    await pool?.close()
    pool = undefined
  })

  const SIZE = POOL_MIN_SHARD_BYTES * 4 + 333 // large enough to be split, not a multiple of the split

  it('encodes shared shards exactly as the single-threaded codec does', async () => {
    pool = await createCodecPool({ dataShards: 6, parityShards: 3, workers: 2 })
    expect(pool.workers).toBe(2)
    const shards = pool.allocShards(SIZE)
    expect(shards.every(s => s.buffer instanceof SharedArrayBuffer)).toBe(true) // a shared wasm memory
    const random = prng(7)
    for (let i = 0; i < 6; i++) random.fill(shards[i])
    await pool.encode(shards)
    const expected = shards.map(s => s.slice())
    createCodec({ dataShards: 6, parityShards: 3 }).encode(expected)
    shards.forEach((s, i) => { expect(Buffer.compare(s, expected[i])).toBe(0) })
    expect(await pool.verify(shards)).toBe(true)
    shards[7][SIZE - 1] ^= 1
    expect(await pool.verify(shards)).toBe(false)
  })

  it('encodes ordinary (non-shared) arrays through shared staging', async () => {
    pool = await createCodecPool({ dataShards: 4, parityShards: 2, workers: 2 })
    const random = prng(8)
    const shards = Array.from({ length: 6 }, (_, i) => i < 4 ? random.bytes(SIZE) : new Uint8Array(SIZE))
    await pool.encode(shards)
    const expected = shards.map(s => s.slice())
    createCodec({ dataShards: 4, parityShards: 2 }).encode(expected)
    shards.forEach((s, i) => { expect(Buffer.compare(s, expected[i])).toBe(0) })
  })

  it('reconstructs and reconstructData fill the right shards', async () => {
    pool = await createCodecPool({ dataShards: 5, parityShards: 3, workers: 2 })
    const shards = pool.allocShards(SIZE)
    const random = prng(9)
    for (let i = 0; i < 5; i++) random.fill(shards[i])
    await pool.encode(shards)
    // allocShards' shards live in one arena: a missing entry is rebuilt into the
    // arena's own view for it, so clobber those bytes and compare with copies
    const expected = shards.map(s => s.slice())
    const lost: Array<Uint8Array | null> = shards.slice()
    for (const i of [0, 3, 6]) { shards[i].fill(0xEE); lost[i] = null }
    await pool.reconstruct(lost)
    lost.forEach((s, i) => { expect(Buffer.compare(s as Uint8Array, expected[i])).toBe(0) })

    const dataOnly: Array<Uint8Array | null> = shards.slice()
    for (const i of [1, 7]) { shards[i].fill(0xEE); dataOnly[i] = null }
    await pool.reconstructData(dataOnly)
    expect(Buffer.compare(dataOnly[1] as unknown as Uint8Array, expected[1])).toBe(0)
    expect(dataOnly[7]).toBeNull()
  })

  it('runs small calls on the calling thread with the same result', async () => {
    pool = await createCodecPool({ dataShards: 3, parityShards: 2, workers: 2 })
    const random = prng(10)
    const shards = Array.from({ length: 5 }, (_, i) => i < 3 ? random.bytes(100) : new Uint8Array(100))
    // Non-shared arrays under POOL_MIN_SHARD_BYTES: a worker could only fill
    // copies; in place means the calling thread did the work, synchronously.
    const call = pool.encode(shards)
    expect(createCodec({ dataShards: 3, parityShards: 2 }).verify(shards)).toBe(true)
    await call
  })

  it('rejects bad input with typed errors, and calls after close', async () => {
    pool = await createCodecPool({ dataShards: 3, parityShards: 2, workers: 1 })
    await expect(pool.encode([new Uint8Array(4)])).rejects.toMatchObject({ name: 'WrongShardCountError' })
    const missing: Array<Uint8Array | null> = pool.allocShards(SIZE)
    missing[0] = missing[1] = missing[2] = null
    await expect(pool.reconstruct(missing)).rejects.toMatchObject({ name: 'TooFewShardsError', needed: 3, found: 2 })
    const aborted = AbortSignal.abort()
    await expect(pool.encode(pool.allocShards(SIZE), { signal: aborted })).rejects.toMatchObject({ name: 'AbortError' })
    expect(() => pool?.allocShards(0)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
    await pool.close()
    await expect(pool.encode(pool.allocShards(SIZE))).rejects.toMatchObject({ name: 'PoolClosedError' })
    await expect(pool.encode(pool.allocShards(100))).rejects.toMatchObject({ name: 'PoolClosedError' })
  })

  it('refuses a bad worker count', async () => {
    await expect(createCodecPool({ dataShards: 3, parityShards: 2, workers: 0 })).rejects.toMatchObject({ name: 'InvalidArgumentError' })
  })
})
