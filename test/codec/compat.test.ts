/**
 * Byte compatibility with the Backblaze / klauspost construction, checked
 * against an independent implementation: the Rust reed-solomon-erasure crate
 * (compiled to wasm, @digitaldefiance/reed-solomon-erasure.wasm), whose parity
 * bytes are identical to klauspost/reedsolomon's and Backblaze's.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { ReedSolomonErasure } from '@digitaldefiance/reed-solomon-erasure.wasm'
import { describe, expect, it } from 'vitest'
import { availableKernels, createCodec } from '../../src/codec/index.js'
import { prng } from '../helpers/prng.js'

const require = createRequire(import.meta.url)
const distDir = dirname(require.resolve('@digitaldefiance/reed-solomon-erasure.wasm'))
const rust = ReedSolomonErasure.fromBytes(readFileSync(join(distDir, 'reed_solomon_erasure_bg.wasm')))

const SHAPES: Array<[number, number, number]> = [
  [1, 1, 16], [1, 3, 33], [2, 1, 7], [3, 2, 100], [4, 2, 1000], [5, 4, 64],
  [10, 4, 4096], [17, 3, 257], [32, 8, 512], [50, 20, 48], [128, 128, 16], [200, 55, 17]
]

describe.each(availableKernels())('parity matches reed-solomon-erasure (%s kernel)', (kernel) => {
  it.each(SHAPES)('%i+%i shards of %i bytes', (k, m, size) => {
    const random = prng(k * 1000 + m * 10 + size)
    const block = new Uint8Array((k + m) * size)
    for (let i = 0; i < k * size; i++) block[i] = random.byte()
    const theirs = block.slice()
    expect(rust.encode(theirs, k, m)).toBe(ReedSolomonErasure.RESULT_OK)

    const codec = createCodec({ dataShards: k, parityShards: m, kernel })
    codec.encode(Array.from({ length: k + m }, (_, i) => block.subarray(i * size, (i + 1) * size)))
    expect(Buffer.compare(block, theirs)).toBe(0)
  })

  it('rebuilds a shard set whose parity the Rust crate wrote', () => {
    const [k, m, size] = [6, 3, 999]
    const random = prng(42)
    const block = new Uint8Array((k + m) * size)
    for (let i = 0; i < k * size; i++) block[i] = random.byte()
    expect(rust.encode(block, k, m)).toBe(ReedSolomonErasure.RESULT_OK)
    const original = Array.from({ length: k + m }, (_, i) => block.slice(i * size, (i + 1) * size))
    const shards: Array<Uint8Array | null> = original.map(s => s.slice())
    shards[0] = shards[4] = shards[7] = null
    createCodec({ dataShards: k, parityShards: m, kernel }).reconstruct(shards)
    shards.forEach((s, i) => { expect(Buffer.compare(s as Uint8Array, original[i])).toBe(0) })
  })
})
