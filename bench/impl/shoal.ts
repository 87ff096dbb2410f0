/**
 * shoal's codec, one subject per kernel, and its worker pool.
 *
 * reconstruct rebuilds the lost shards into arrays the benchmark owns
 * (`{ rebuild: lost }`), as ronomon writes into the target buffers it is given:
 * both time the coding, not an allocation.
 */
import { createCodec, createCodecPool } from '../../src/index.js'
import { BenchCheckError, expectShards, range } from '../lib/check.js'
import type { KernelName } from '../../src/index.js'
import type { Subject } from '../lib/measure.js'
import type { Workload } from '../lib/workload.js'

/** `shoal` for the best kernel, `shoal-simd` / `shoal-scalar` for the others. */
export function shoalImpl (kernel: KernelName, best: KernelName): string {
  return kernel === best ? 'shoal' : `shoal-${kernel}`
}

function withLost (shards: readonly Uint8Array[], lost: readonly number[]): Array<Uint8Array | null> {
  const input: Array<Uint8Array | null> = shards.slice()
  for (const i of lost) input[i] = null
  return input
}

export function createShoalSubject (w: Workload, data: readonly Uint8Array[], kernel: KernelName, best: KernelName): Subject {
  const impl = shoalImpl(kernel, best)
  const k = w.dataShards
  const m = w.parityShards
  const codec = createCodec({ dataShards: k, parityShards: m, kernel })
  if (codec.kernel !== kernel) throw new BenchCheckError(`${impl}: asked for kernel ${kernel}, got ${codec.kernel}`)
  const shards = [...data.map(d => d.slice()), ...range(0, m).map(() => new Uint8Array(w.shardBytes))]

  const verify = async (): Promise<Uint8Array[]> => {
    codec.encode(shards)
    const parity = shards.slice(k).map(p => p.slice())
    const rebuilt = codec.reconstruct(withLost(shards, w.lost))
    expectShards(`${impl} reconstruct`, w.lost, rebuilt, data)
    return parity
  }

  const targets = range(0, m).map(() => new Uint8Array(w.shardBytes))
  const input: Array<Uint8Array | null> = shards.slice()
  w.lost.forEach((i, j) => { input[i] = targets[j] })
  const reconstruct = (): void => {
    codec.reconstruct(input, { rebuild: w.lost })
  }
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
 * `encode` through createCodecPool({ workers: 2 }) on shards from allocShards
 * (one SharedArrayBuffer), one call at a time.
 */
export async function createPoolSubject (w: Workload, data: readonly Uint8Array[], workers = POOL_WORKERS): Promise<Subject> {
  const impl = `shoal-pool-${workers}w`
  const k = w.dataShards
  const pool = await createCodecPool({ dataShards: k, parityShards: w.parityShards, workers })
  try {
    if (pool.workers !== workers) throw new BenchCheckError(`${impl}: asked for ${workers} workers, got ${pool.workers}`)
    const shards = pool.allocShards(w.shardBytes)
    if (shards.length !== k + w.parityShards) throw new BenchCheckError(`${impl}: allocShards gave ${shards.length} shards`)
    for (let i = 0; i < k; i++) shards[i].set(data[i])

    const verify = async (): Promise<Uint8Array[]> => {
      await pool.encode(shards)
      const parity = shards.slice(k).map(p => p.slice())
      const rebuilt = await pool.reconstruct(withLost(shards, w.lost))
      expectShards(`${impl} reconstruct`, w.lost, rebuilt, data)
      return parity
    }

    return {
      impl,
      verify,
      call: { kind: 'async', run: async () => { await pool.encode(shards) } },
      close: async () => { await pool.close() }
    }
  } catch (err) {
    await pool.close()
    throw err
  }
}
