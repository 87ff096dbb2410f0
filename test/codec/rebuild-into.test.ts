import { describe, expect, it } from 'vitest'
import { availableKernels, createCodec } from '../../src/codec/index.js'
import { prng } from '../helpers/prng.js'

describe.each(availableKernels())('reconstruct into caller-owned arrays (%s kernel)', (kernel) => {
  it('overwrites the arrays listed in rebuild, allocates only for null entries', () => {
    const codec = createCodec({ dataShards: 5, parityShards: 3, kernel })
    const random = prng(12)
    const shards = Array.from({ length: 8 }, (_, i) => i < 5 ? random.bytes(1000) : new Uint8Array(1000))
    codec.encode(shards)
    const original = shards.map(s => s.slice())
    const targets = [shards[0], shards[3]]
    targets.forEach(t => t.fill(0xAA)) // garbage: these bytes are lost
    const given: Array<Uint8Array | null> = shards.slice()
    given[6] = null
    codec.reconstruct(given, { rebuild: [0, 3] })
    expect(given[0]).toBe(targets[0]) // same array, rebuilt in place
    expect(given[3]).toBe(targets[1])
    given.forEach((s, i) => { expect(Buffer.compare(s as Uint8Array, original[i])).toBe(0) })
  })

  it('reconstructData leaves lost parity arrays as they are', () => {
    const codec = createCodec({ dataShards: 3, parityShards: 2, kernel })
    const random = prng(13)
    const shards = Array.from({ length: 5 }, (_, i) => i < 3 ? random.bytes(64) : new Uint8Array(64))
    codec.encode(shards)
    const original = shards.map(s => s.slice())
    shards[1].fill(0); shards[4].fill(7)
    codec.reconstructData(shards, { rebuild: [1, 4] })
    expect(Buffer.compare(shards[1], original[1])).toBe(0)
    expect(shards[4].every(b => b === 7)).toBe(true)
  })

  it('counts listed shards as lost: too many is TooFewShardsError; bad indices are InvalidArgumentError', () => {
    const codec = createCodec({ dataShards: 3, parityShards: 1, kernel })
    const shards = Array.from({ length: 4 }, () => new Uint8Array(16))
    expect(() => codec.reconstruct(shards, { rebuild: [0, 1] })).toThrow(expect.objectContaining({ name: 'TooFewShardsError', needed: 3, found: 2 }))
    expect(() => codec.reconstruct(shards, { rebuild: [4] })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
    const withNull: Array<Uint8Array | null> = shards.slice()
    withNull[2] = null
    expect(() => codec.reconstruct(withNull, { rebuild: [2] })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
  })
})
