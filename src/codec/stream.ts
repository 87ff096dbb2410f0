/**
 * Streaming encode and decode: a byte stream of any length becomes a sequence of
 * stripes, each k data shards + m parity shards, and back.
 *
 * Every stripe but the last holds exactly `k × ceil(stripeBytes / k)` data
 * bytes; the last one's shards shrink to ceil(dataBytes / k) so a small file
 * does not cost a whole stripe. Memory stays bounded by the stripe being filled
 * plus what the consumer holds on to, whatever the total size.
 */

import { InvalidArgumentError, WrongShardCountError } from './errors.js'
import type { Codec } from './codec.js'

export interface EncodeStreamOptions {
  /** Data bytes per stripe (rounded up to a multiple of k). Default: 1 MiB. */
  stripeBytes?: number
  signal?: AbortSignal
}

export interface DecodeStreamOptions {
  signal?: AbortSignal
}

export interface EncodedStripe {
  /** 0, 1, 2, ... in stream order. */
  index: number
  /** Bytes of the original stream in this stripe (the rest of the data shards is zero padding). */
  dataBytes: number
  /** Length of each shard of this stripe. */
  shardBytes: number
  /** k data shards then m parity shards, views of one allocation owned by the consumer. */
  shards: Uint8Array[]
}

export interface StripeInput {
  /** k + m entries; null (or undefined) for a missing shard. */
  shards: Array<Uint8Array | null | undefined>
  /** Bytes of the original stream in this stripe. */
  dataBytes: number
}

type Source<T> = AsyncIterable<T> | Iterable<T>

export async function * encodeStream (codec: Codec, source: Source<Uint8Array>, options: EncodeStreamOptions): AsyncGenerator<EncodedStripe> {
  const k = codec.dataShards
  const n = codec.totalShards
  const stripeBytes = options.stripeBytes ?? 0
  if (!Number.isSafeInteger(stripeBytes) || stripeBytes < 1) {
    throw new InvalidArgumentError(`stripeBytes must be a positive integer, got ${String(options.stripeBytes)}`)
  }
  const shardBytes = Math.ceil(stripeBytes / k)
  const capacity = shardBytes * k
  const signal = options.signal
  signal?.throwIfAborted()

  let block = new Uint8Array(shardBytes * n)
  let fill = 0
  let index = 0

  const full = (bytes: Uint8Array, size: number, dataBytes: number): EncodedStripe => {
    const shards = Array.from({ length: n }, (_, i) => bytes.subarray(i * size, (i + 1) * size))
    codec.encode(shards)
    return { index: index++, dataBytes, shardBytes: size, shards }
  }

  for await (const chunk of source) {
    signal?.throwIfAborted()
    if (!(chunk instanceof Uint8Array)) throw new InvalidArgumentError('encodeStream sources must yield Uint8Arrays')
    let offset = 0
    while (offset < chunk.length) {
      const take = Math.min(capacity - fill, chunk.length - offset)
      block.set(chunk.subarray(offset, offset + take), fill)
      fill += take
      offset += take
      if (fill === capacity) {
        const stripe = full(block, shardBytes, capacity)
        block = new Uint8Array(shardBytes * n)
        fill = 0
        yield stripe
        signal?.throwIfAborted()
      }
    }
  }
  if (fill > 0) {
    const size = Math.ceil(fill / k)
    const last = new Uint8Array(size * n)
    last.set(block.subarray(0, fill))
    yield full(last, size, fill)
  }
}

export async function * decodeStream (codec: Codec, stripes: Source<StripeInput>, options: DecodeStreamOptions): AsyncGenerator<Uint8Array> {
  const k = codec.dataShards
  const signal = options.signal
  signal?.throwIfAborted()
  for await (const stripe of stripes) {
    signal?.throwIfAborted()
    if (stripe == null || !Array.isArray(stripe.shards)) {
      throw new InvalidArgumentError('each stripe needs a shards array')
    }
    if (stripe.shards.length !== codec.totalShards) {
      throw new WrongShardCountError(codec.totalShards, stripe.shards.length)
    }
    // Work on a copy so the caller's array is left as given.
    const shards = stripe.shards.map(s => s ?? null)
    if (shards.slice(0, k).some(s => s === null)) codec.reconstructData(shards)
    const shardBytes = (shards[0] as Uint8Array).length
    const dataBytes = stripe.dataBytes
    if (!Number.isSafeInteger(dataBytes) || dataBytes < 1 || dataBytes > shardBytes * k) {
      throw new InvalidArgumentError(`stripe dataBytes ${String(dataBytes)} is outside 1..${shardBytes * k}`)
    }
    for (let i = 0, off = 0; off < dataBytes; i++, off += shardBytes) {
      yield (shards[i] as Uint8Array).subarray(0, Math.min(shardBytes, dataBytes - off))
    }
  }
}
