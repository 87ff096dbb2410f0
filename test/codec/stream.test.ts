/**
 * encodeStream / decodeStream: round trips with erasures, stripe layout, abort,
 * too many erasures, and bounded memory on a stream far larger than a stripe.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { availableKernels, createCodec } from '../../src/codec/index.js'
import type { Codec, EncodedStripe } from '../../src/codec/index.js'
import { below, pickIndices, prng, randomBytes, rejected } from './helpers.js'

const SEED = 0x57e4a
const MiB = 1024 * 1024
const DEFAULT_STRIPE = MiB

interface StripeInput { shards: Array<Uint8Array | null>, dataBytes: number }

/** Yields `data` in pieces of random length 1..maxChunk. */
async function * chunked (data: Uint8Array, rand: () => number, maxChunk = 100_000): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length;) {
    const n = Math.min(1 + below(rand, maxChunk), data.length - off)
    yield data.subarray(off, off + n)
    off += n
  }
}

/** Drops 0..m shards of each stripe at random (m half the time); `seen` receives each stripe first. */
async function * dropShards (stripes: AsyncIterable<EncodedStripe>, m: number, rand: () => number, seen?: (stripe: EncodedStripe) => void): AsyncGenerator<StripeInput> {
  for await (const stripe of stripes) {
    seen?.(stripe)
    const shards: Array<Uint8Array | null> = stripe.shards.slice()
    const count = below(rand, 2) === 0 ? m : below(rand, m + 1)
    for (const i of pickIndices(rand, shards.length, count)) shards[i] = null
    yield { shards, dataBytes: stripe.dataBytes }
  }
}

async function concat (chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of chunks) parts.push(chunk.slice())
  return new Uint8Array(Buffer.concat(parts))
}

/** Checks the stripe sequence as it goes by: indices, shard shapes, parity, byte counts. */
function stripeChecker (codec: Codec, stripeBytes: number): { see: (s: EncodedStripe) => void, done: (size: number) => void } {
  const k = codec.dataShards
  const stripes: Array<{ dataBytes: number, shardBytes: number }> = []
  return {
    see (stripe) {
      expect(stripe.index).toBe(stripes.length)
      expect(stripe.shards.length).toBe(codec.totalShards)
      expect(stripe.dataBytes).toBeGreaterThanOrEqual(1)
      expect(stripe.shardBytes).toBe(Math.ceil(stripe.dataBytes / k))
      for (const shard of stripe.shards) expect(shard.length).toBe(stripe.shardBytes)
      expect(codec.verify(stripe.shards)).toBe(true)
      stripes.push({ dataBytes: stripe.dataBytes, shardBytes: stripe.shardBytes })
    },
    done (size) {
      expect(stripes.reduce((sum, s) => sum + s.dataBytes, 0)).toBe(size)
      // Every stripe but the last is full: one size, at least stripeBytes (rounded up to a multiple of k at most).
      for (const s of stripes.slice(0, -1)) {
        expect(s.dataBytes).toBe(stripes[0].dataBytes)
        expect(s.dataBytes).toBeGreaterThanOrEqual(stripeBytes)
        expect(s.dataBytes).toBeLessThan(stripeBytes + k)
      }
      if (stripes.length > 0) expect(stripes[stripes.length - 1].dataBytes).toBeLessThanOrEqual(stripes[0].dataBytes)
      expect(stripes.length).toBe(size === 0 ? 0 : Math.ceil(size / Math.max(stripes[0].dataBytes, 1)))
    }
  }
}

const KERNELS = availableKernels()

describe.each(KERNELS)('streams (%s kernel)', (kernel) => {
  // largest: the biggest stream size tried (3 MiB + 7, except for tiny stripes, where it would take 100,000 stripes).
  const configs: Array<{ name: string, k: number, m: number, stripeBytes?: number, largest: number }> = [
    { name: '4+2, 64 KiB stripes', k: 4, m: 2, stripeBytes: 64 * 1024, largest: 3 * MiB + 7 },
    { name: '10+4, default stripes', k: 10, m: 4, largest: 3 * MiB + 7 },
    { name: '7+3, 1000-byte stripes (not a multiple of k)', k: 7, m: 3, stripeBytes: 1000, largest: 3 * MiB + 7 },
    { name: '1+0, 4 KiB stripes', k: 1, m: 0, stripeBytes: 4096, largest: 3 * MiB + 7 },
    { name: '3+5, 33-byte stripes', k: 3, m: 5, stripeBytes: 33, largest: 100_003 }
  ]

  it.each(configs)('round trip with erasures: $name', async ({ k, m, stripeBytes, largest }) => {
    const codec = createCodec({ dataShards: k, parityShards: m, kernel })
    const sb = stripeBytes ?? DEFAULT_STRIPE
    const rand = prng(SEED + k * 31 + m)
    for (const size of [0, 1, sb - 1, sb, sb + 1, largest]) {
      const input = randomBytes(rand, size)
      const check = stripeChecker(codec, sb)
      const options = stripeBytes === undefined ? {} : { stripeBytes }
      const stripes = codec.encodeStream(chunked(input, rand), options)
      const output = await concat(codec.decodeStream(dropShards(stripes, m, rand, check.see)))
      check.done(size)
      expect(output.length, `size ${size}`).toBe(size)
      expect(Buffer.from(output).equals(Buffer.from(input)), `size ${size}`).toBe(true)
    }
  })

  it('stripes stay valid after the stream moves on (collect first, decode later)', async () => {
    const codec = createCodec({ dataShards: 5, parityShards: 3, kernel })
    const rand = prng(SEED + 1)
    const input = randomBytes(rand, 10 * 4096 + 123)
    const stripes: EncodedStripe[] = []
    for await (const stripe of codec.encodeStream(chunked(input, rand, 5000), { stripeBytes: 4096 })) stripes.push(stripe)
    expect(stripes.length).toBe(11)
    for (const stripe of stripes) expect(codec.verify(stripe.shards)).toBe(true)
    const output = await concat(codec.decodeStream(dropShards((async function * () { yield * stripes })(), 3, rand)))
    expect(Buffer.from(output).equals(Buffer.from(input))).toBe(true)
  })

  it('accepts a synchronous iterable source and ignores empty chunks', async () => {
    const codec = createCodec({ dataShards: 3, parityShards: 2, kernel })
    const input = randomBytes(prng(SEED + 2), 2500)
    const pieces = [input.subarray(0, 0), input.subarray(0, 700), input.subarray(700, 700), input.subarray(700)]
    const stripes: StripeInput[] = []
    for await (const stripe of codec.encodeStream(pieces, { stripeBytes: 1000 })) stripes.push({ shards: stripe.shards, dataBytes: stripe.dataBytes })
    expect(stripes.length).toBe(3)
    expect(stripes.reduce((n, s) => n + s.dataBytes, 0)).toBe(2500)
    expect(Buffer.from(await concat(codec.decodeStream(stripes))).equals(Buffer.from(input))).toBe(true)
  })

  it('a stripe with more than m shards missing fails with TooFewShardsError', async () => {
    const k = 4
    const m = 2
    const codec = createCodec({ dataShards: k, parityShards: m, kernel })
    const input = randomBytes(prng(SEED + 3), 3000)
    const stripes: StripeInput[] = []
    for await (const stripe of codec.encodeStream([input], { stripeBytes: 1000 })) stripes.push({ shards: stripe.shards.slice(), dataBytes: stripe.dataBytes })
    stripes[1].shards[0] = null
    stripes[1].shards[2] = null
    stripes[1].shards[5] = null
    const out: Uint8Array[] = []
    const err = await rejected((async () => { for await (const chunk of codec.decodeStream(stripes)) out.push(chunk) })())
    expect(err.name).toBe('TooFewShardsError')
    expect(err.needed).toBe(k)
    expect(err.found).toBe(k + m - 3)
    // The first stripe came out whole before the failure.
    expect(out.reduce((n, c) => n + c.length, 0)).toBeGreaterThanOrEqual(1000)
  })
})

describe('stream abort', () => {
  /** An endless deterministic source. */
  async function * endless (chunkBytes: number): AsyncGenerator<Uint8Array> {
    const rand = prng(SEED + 4)
    for (;;) yield randomBytes(rand, chunkBytes)
  }

  it('encodeStream: an already aborted signal rejects the first step with AbortError', async () => {
    const codec = createCodec({ dataShards: 4, parityShards: 2 })
    const controller = new AbortController()
    controller.abort()
    const err = await rejected(codec.encodeStream(endless(100), { stripeBytes: 1000, signal: controller.signal }).next())
    expect(err.name).toBe('AbortError')
  })

  it('encodeStream: aborting mid-stream stops it with AbortError', async () => {
    const codec = createCodec({ dataShards: 4, parityShards: 2 })
    const controller = new AbortController()
    let afterAbort = 0
    const err = await rejected((async () => {
      let seen = 0
      for await (const _stripe of codec.encodeStream(endless(3000), { stripeBytes: 4096, signal: controller.signal })) {
        if (controller.signal.aborted) afterAbort++
        if (++seen === 3) controller.abort()
        if (seen > 1000) break
      }
    })())
    expect(err.name).toBe('AbortError')
    expect(afterAbort).toBeLessThanOrEqual(1)
  })

  it('decodeStream: an already aborted signal rejects with AbortError', async () => {
    const codec = createCodec({ dataShards: 4, parityShards: 2 })
    const controller = new AbortController()
    controller.abort()
    const err = await rejected(codec.decodeStream([], { signal: controller.signal }).next())
    expect(err.name).toBe('AbortError')
  })

  it('decodeStream: aborting mid-stream stops it with AbortError within one stripe', async () => {
    const k = 4
    const codec = createCodec({ dataShards: k, parityShards: 2 })
    const stripeBytes = 4096
    const controller = new AbortController()
    let bytesAfterAbort = 0
    async function * stripes (): AsyncGenerator<StripeInput> {
      for await (const stripe of codec.encodeStream(endless(5000), { stripeBytes })) {
        const shards: Array<Uint8Array | null> = stripe.shards.slice()
        shards[1] = null
        yield { shards, dataBytes: stripe.dataBytes }
      }
    }
    const err = await rejected((async () => {
      let bytes = 0
      for await (const chunk of codec.decodeStream(stripes(), { signal: controller.signal })) {
        if (controller.signal.aborted) bytesAfterAbort += chunk.length
        bytes += chunk.length
        if (bytes >= 3 * stripeBytes) controller.abort()
        if (bytes > 1000 * stripeBytes) break
      }
    })())
    expect(err.name).toBe('AbortError')
    expect(bytesAfterAbort).toBeLessThanOrEqual(stripeBytes + k)
  })
})

describe('bounded memory', () => {
  it('streams 256 MiB through encode, erasures and decode with peak RSS growth under 200 MiB', async () => {
    const total = 256 * MiB
    const k = 10
    const m = 4
    const codec = createCodec({ dataShards: k, parityShards: m })

    // Warm up: instantiate the kernel and touch the code paths once.
    await concat(codec.decodeStream(dropShards(codec.encodeStream([new Uint8Array(3 * MiB)], { stripeBytes: MiB }), m, prng(1))))

    const sourceHash = createHash('sha256')
    async function * source (): AsyncGenerator<Uint8Array> {
      const rand = prng(SEED + 5)
      for (let sent = 0; sent < total;) {
        const n = Math.min(1 + below(rand, 100_000), total - sent)
        const chunk = randomBytes(rand, n)
        sourceHash.update(chunk)
        sent += n
        yield chunk
      }
    }

    const startRss = process.memoryUsage.rss()
    let peakRss = startRss
    const outputHash = createHash('sha256')
    let outputBytes = 0
    const stripes = codec.encodeStream(source(), { stripeBytes: MiB })
    for await (const chunk of codec.decodeStream(dropShards(stripes, m, prng(SEED + 6)))) {
      outputHash.update(chunk)
      outputBytes += chunk.length
      const rss = process.memoryUsage.rss()
      if (rss > peakRss) peakRss = rss
    }

    expect(outputBytes).toBe(total)
    expect(outputHash.digest('hex')).toBe(sourceHash.digest('hex'))
    const growthMiB = (peakRss - startRss) / MiB
    expect(growthMiB, `peak RSS growth ${growthMiB.toFixed(1)} MiB`).toBeLessThan(200)
  }, 180_000)
})
