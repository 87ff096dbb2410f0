/**
 * shoal's codec, one subject per kernel and shard kind, and its worker pool.
 *
 * Two kinds of shards:
 * - `zero-copy`: shards from `codec.allocShards`, which live in wasm memory;
 *   the kernel runs on them in place. Impl names `shoal` (best kernel),
 *   `shoal-simd`, `shoal-scalar`.
 * - `plain`: ordinary Uint8Arrays, copied into wasm memory and back on every
 *   call (the staging path). Impl name `shoal-plain` (best kernel only).
 *
 * reconstruct rebuilds the lost shards into arrays the benchmark owns
 * (`{ rebuild: lost }`), as ronomon writes into the target buffers it is given:
 * both time the coding, not an allocation.
 */
import { createCodec, createCodecPool } from '../../src/index.js'
import { BenchCheckError, expectShards, range } from '../lib/check.js'
import type { Codec, KernelName } from '../../src/index.js'
import type { Subject } from '../lib/measure.js'
import type { Workload } from '../lib/workload.js'

export type ShardKind = 'zero-copy' | 'plain'

/** `shoal` for the best kernel on zero-copy shards, `shoal-simd` / `shoal-scalar` for the others, `shoal-plain` on plain arrays. */
export function shoalImpl (kernel: KernelName, best: KernelName, kind: ShardKind = 'zero-copy'): string {
  if (kind === 'plain') return kernel === best ? 'shoal-plain' : `shoal-plain-${kernel}`
  return kernel === best ? 'shoal' : `shoal-${kernel}`
}

function withLost (shards: readonly Uint8Array[], lost: readonly number[]): Array<Uint8Array | null> {
  const input: Array<Uint8Array | null> = shards.slice()
  for (const i of lost) input[i] = null
  return input
}

/** k + m shards of the workload's size, data filled in: from allocShards, or plain arrays. */
function makeShards (codec: Pick<Codec, 'allocShards'>, w: Workload, data: readonly Uint8Array[], kind: ShardKind): Uint8Array[] {
  const shards = kind === 'zero-copy'
    ? codec.allocShards(w.shardBytes)
    : range(0, w.dataShards + w.parityShards).map(() => new Uint8Array(w.shardBytes))
  if (shards.length !== w.dataShards + w.parityShards) throw new BenchCheckError(`allocShards gave ${shards.length} shards`)
  for (let i = 0; i < w.dataShards; i++) shards[i].set(data[i])
  return shards
}

/**
 * Round trip on `shards`: encode, clobber the lost shards, reconstruct them
 * into new entries and check them against `data`. On zero-copy shards the
 * rebuilt entries must be the arena's own views (rebuilt in place).
 */
async function roundTrip (impl: string, w: Workload, data: readonly Uint8Array[], shards: Uint8Array[], kind: ShardKind,
  encode: (s: Uint8Array[]) => Promise<void> | void, reconstruct: (s: Array<Uint8Array | null>) => Promise<unknown> | unknown): Promise<Uint8Array[]> {
  await encode(shards)
  const parity = shards.slice(w.dataShards).map(p => p.slice())
  for (const i of w.lost) shards[i].fill(0xA5)
  const input = withLost(shards, w.lost)
  await reconstruct(input)
  expectShards(`${impl} reconstruct`, w.lost, input, data)
  if (kind === 'zero-copy' && w.lost.some(i => input[i] !== shards[i])) {
    throw new BenchCheckError(`${impl}: reconstruct did not rebuild into the arena's own shards`)
  }
  for (const i of w.lost) shards[i].set(data[i])
  return parity
}

export function createShoalSubject (w: Workload, data: readonly Uint8Array[], kernel: KernelName, best: KernelName, kind: ShardKind = 'zero-copy'): Subject {
  const impl = shoalImpl(kernel, best, kind)
  const codec = createCodec({ dataShards: w.dataShards, parityShards: w.parityShards, kernel })
  if (codec.kernel !== kernel) throw new BenchCheckError(`${impl}: asked for kernel ${kernel}, got ${codec.kernel}`)
  const shards = makeShards(codec, w, data, kind)

  const verify = async (): Promise<Uint8Array[]> =>
    await roundTrip(impl, w, data, shards, kind, s => { codec.encode(s) }, s => codec.reconstruct(s))

  // zero-copy: the targets are the arena's own shards, so the rebuild runs in place
  const input: Array<Uint8Array | null> = shards.slice()
  const reconstruct = (): void => { codec.reconstruct(input, { rebuild: w.lost }) }
  const encode = (): void => { codec.encode(shards) }

  return {
    impl,
    kernel: codec.kernel,
    verify,
    call: { kind: 'sync', run: w.op === 'encode' ? encode : reconstruct }
  }
}

export const POOL_WORKERS = 2

/**
 * `encode` through createCodecPool({ workers: 2 }) on zero-copy shards from the
 * pool's allocShards (one shared wasm memory the workers run in).
 * `inFlight` 1: one call at a time, each awaited before the next starts.
 * `inFlight` 2: two shard sets (two arenas) used in turn, each timed call
 * started before the previous one is awaited, as a stream of stripes would:
 * the next call waits in the pool's control block, so the workers go on to
 * it without waiting for the calling thread. Every call still splits its byte
 * range across both workers.
 */
export async function createPoolSubject (w: Workload, data: readonly Uint8Array[], workers = POOL_WORKERS, inFlight: 1 | 2 = 1): Promise<Subject> {
  const impl = `shoal-pool-${workers}w${inFlight > 1 ? `-q${inFlight}` : ''}`
  const pool = await createCodecPool({ dataShards: w.dataShards, parityShards: w.parityShards, workers })
  try {
    if (pool.workers !== workers) throw new BenchCheckError(`${impl}: asked for ${workers} workers, got ${pool.workers}`)
    const sets = range(0, inFlight).map(() => makeShards(pool, w, data, 'zero-copy'))

    const verify = async (): Promise<Uint8Array[]> => {
      const parities = await Promise.all(sets.map(async shards =>
        await roundTrip(impl, w, data, shards, 'zero-copy', async s => { await pool.encode(s) }, async s => await pool.reconstruct(s))))
      parities.slice(1).forEach((p, i) => { expectShards(`${impl} set ${i + 1} parity`, range(0, p.length), p, parities[0]) })
      return parities[0]
    }

    let turn = 0
    let previous: Promise<void> = Promise.resolve()
    const run = inFlight === 1
      ? async () => { await pool.encode(sets[0]) }
      : async () => {
        turn = (turn + 1) % sets.length
        const next = pool.encode(sets[turn])
        next.catch(() => {}) // a failure surfaces when it is awaited, one call later
        try {
          await previous
        } finally {
          previous = next
        }
      }
    return {
      impl,
      verify,
      call: { kind: 'async', run },
      close: async () => {
        await previous.catch(() => {})
        await pool.close()
      }
    }
  } catch (err) {
    await pool.close()
    throw err
  }
}
