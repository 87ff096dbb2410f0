/**
 * Anchor: @ronomon/reed-solomon, a native C addon (Cauchy bit-matrix XOR).
 * Each call runs on libuv's threadpool and calls back; like its own
 * benchmark.js, we issue one call at a time and await it.
 *
 * Its matrix differs from shoal's, so its parity is checked only against its
 * own decode, never against shoal.
 */
import { createRequire } from 'node:module'
import { expectShards, range } from '../lib/check.js'
import type { Subject, Unsupported } from '../lib/measure.js'
import type { Workload } from '../lib/workload.js'

type Context = Buffer

interface RonomonBinding {
  readonly MAX_K: number
  readonly MAX_M: number
  create: (k: number, m: number) => Context
  encode: (
    context: Context, sources: number, targets: number,
    buffer: Buffer, bufferOffset: number, bufferSize: number,
    parity: Buffer, parityOffset: number, paritySize: number,
    callback: (error?: Error | null) => void
  ) => void
}

const require = createRequire(import.meta.url)
const PACKAGE = '@ronomon/reed-solomon'

export const IMPL = 'ronomon'

let binding: RonomonBinding | undefined

function load (): RonomonBinding {
  binding ??= require(PACKAGE) as RonomonBinding
  return binding
}

export function ronomonVersion (): string {
  return (require(`${PACKAGE}/package.json`) as { version: string }).version
}

function mask (indices: readonly number[]): number {
  let bits = 0
  for (const i of indices) bits |= 1 << i
  return bits
}

export function createRonomonSubject (w: Workload, data: readonly Uint8Array[]): Subject | Unsupported {
  const RS = load()
  const k = w.dataShards
  const m = w.parityShards
  const size = w.shardBytes
  if (k > RS.MAX_K) return { impl: IMPL, unsupported: `k = ${k} > MAX_K = ${RS.MAX_K}` }
  if (m > RS.MAX_M) return { impl: IMPL, unsupported: `m = ${m} > MAX_M = ${RS.MAX_M}` }
  if (size % 8 !== 0) return { impl: IMPL, unsupported: 'shard size is not a multiple of 8' }

  const context = RS.create(k, m)
  // data shards contiguous in one buffer, parity shards in another
  const buffer = Buffer.alloc(k * size)
  const parity = Buffer.alloc(m * size)
  for (let i = 0; i < k; i++) buffer.set(data[i], i * size)
  const shardView = (i: number): Buffer => i < k
    ? buffer.subarray(i * size, (i + 1) * size)
    : parity.subarray((i - k) * size, (i - k + 1) * size)

  const encodeMasks = { sources: mask(range(0, k)), targets: mask(range(k, k + m)) }
  const lostMask = mask(w.lost)
  const decodeMasks = { sources: mask(range(0, k + m)) & ~lostMask, targets: lostMask }

  const run = async (masks: { sources: number, targets: number }): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      RS.encode(context, masks.sources, masks.targets, buffer, 0, k * size, parity, 0, m * size, (error) => {
        if (error != null) reject(error)
        else resolve()
      })
    })
  }

  const verify = async (): Promise<undefined> => {
    await run(encodeMasks)
    for (const i of w.lost) shardView(i).fill(0)
    await run(decodeMasks)
    expectShards(`${IMPL} decode`, w.lost, range(0, k).map(shardView), data)
    return undefined
  }

  const masks = w.op === 'encode' ? encodeMasks : decodeMasks
  return {
    impl: IMPL,
    verify,
    call: { kind: 'async', run: async () => { await run(masks) } }
  }
}
