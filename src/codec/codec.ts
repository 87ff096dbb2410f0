/**
 * The Reed-Solomon codec: k data shards, m parity shards, any k rebuild all.
 *
 * Vocabulary and behaviour follow klauspost/reedsolomon (encode, verify,
 * reconstruct, reconstructData, split, join); parity bytes match it and
 * Backblaze JavaReedSolomon (see matrix.ts).
 */

import { logger } from '@libp2p/logger'
import { allocArena, arenaOf } from './arena/index.js'
import { DEFAULT_DECODE_CACHE_ENTRIES, DEFAULT_STRIPE_BYTES } from './constants.js'
import { InvalidArgumentError, WrongShardCountError } from './errors.js'
import { chooseKernel, WasmKernel } from './loader.js'
import { encodingMatrix, invertMatrix, LruCache, multiplyMatrices } from './matrix.js'
import { preparePlan, runPlan } from './plan.js'
import { decodeStream, encodeStream } from './stream.js'
import { checkFullShards, checkShardCounts, checkShardSizes, presentIndices } from './validate.js'
import type { Arena, ArenaPass } from './arena/index.js'
import type { KernelName } from './loader.js'
import type { MatrixPlan } from './plan.js'
import type { DecodeStreamOptions, EncodedStripe, EncodeStreamOptions, StripeInput } from './stream.js'

const log = logger('shoal:codec')

export interface CodecInit {
  /** Data shards k, 1 <= k. */
  dataShards: number
  /** Parity shards m, 0 <= m, k + m <= 256. */
  parityShards: number
  /** false forces the scalar kernel. Default: true (the best SIMD kernel the engine runs). */
  simd?: boolean
  /** Pick a kernel by name; overrides `simd`. Default: the best available. */
  kernel?: KernelName
  /** Erasure patterns whose decode plans are kept (LRU). Default: 64. */
  decodeCacheSize?: number
}

export interface Codec {
  readonly dataShards: number
  readonly parityShards: number
  readonly totalShards: number
  /** True when a SIMD kernel runs. */
  readonly simd: boolean
  /** Which kernel runs. */
  readonly kernel: KernelName
  /**
   * k + m shards of `shardBytes` each that live in wasm memory (one shared
   * `WebAssembly.Memory` per call, never grown): encode, verify and reconstruct
   * run the kernel on them in place, without copying. Any codec and any pool
   * takes them; ordinary arrays keep working (copied through staging).
   */
  allocShards: (shardBytes: number) => Uint8Array[]
  /** Fills the m parity shards of `shards` (k + m equal-length arrays) in place. */
  encode: (shards: Uint8Array[]) => void
  /** True when the parity shards agree with the data shards. */
  verify: (shards: Uint8Array[]) => boolean
  /**
   * Fills every missing shard in place and returns the same array: null entries
   * get new arrays (when the other shards come from `allocShards`, the arena's
   * own view for that index, overwritten); entries listed in `options.rebuild`
   * are lost too but their arrays are reused (overwritten), so a caller can
   * rebuild without allocating.
   */
  reconstruct: (shards: Array<Uint8Array | null>, options?: ReconstructOptions) => Uint8Array[]
  /** Like reconstruct, but fills only missing data shards; missing parity stays as it was. */
  reconstructData: (shards: Array<Uint8Array | null>, options?: ReconstructOptions) => Array<Uint8Array | null>
  /** k data shards (zero padded) and m zeroed parity shards for `data`, in one allocation. */
  split: (data: Uint8Array) => Uint8Array[]
  /** The first `size` bytes of the data shards, concatenated. */
  join: (shards: ArrayLike<Uint8Array | null>, size: number) => Uint8Array
  /** Encodes a byte stream stripe by stripe; memory stays bounded by a few stripes. */
  encodeStream: (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options?: EncodeStreamOptions) => AsyncGenerator<EncodedStripe>
  /** Rebuilds the original bytes from stripes with up to m missing shards each. */
  decodeStream: (stripes: AsyncIterable<StripeInput> | Iterable<StripeInput>, options?: DecodeStreamOptions) => AsyncGenerator<Uint8Array>
}

export interface ReconstructOptions {
  /**
   * Indices of shards whose bytes are lost but whose arrays (of the shard size)
   * should receive the rebuilt bytes. Default: none.
   */
  rebuild?: readonly number[]
}

/** What a rebuild reads and writes; produced by `rebuildJob`. */
export interface RebuildJob {
  /** Shard length. */
  size: number
  /** The k shard indices decoded from. */
  inputs: number[]
  /** Missing shard indices to fill. */
  targets: number[]
}

/** The codec class; exported for the worker pool, users call `createCodec`. */
export class ReedSolomonCodec implements Codec {
  readonly dataShards: number
  readonly parityShards: number
  readonly totalShards: number
  readonly kernel: KernelName
  private readonly engine: WasmKernel
  private readonly matrix: Uint8Array
  /** @internal the encoding plan, for the pool */
  readonly parityPlan: MatrixPlan
  private readonly decodePlans: LruCache<string, MatrixPlan>

  constructor (init: CodecInit) {
    checkShardCounts(init?.dataShards, init?.parityShards)
    const k = this.dataShards = init.dataShards
    const m = this.parityShards = init.parityShards
    this.totalShards = k + m
    this.kernel = chooseKernel(init)
    this.matrix = encodingMatrix(k, m)
    this.engine = new WasmKernel(this.kernel, Math.max(m, 1), k)
    this.parityPlan = preparePlan(this.matrix.subarray(k * k), range(0, k), range(k, k + m))
    const cacheSize = init.decodeCacheSize ?? DEFAULT_DECODE_CACHE_ENTRIES
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 1) {
      throw new InvalidArgumentError(`decodeCacheSize must be a positive integer, got ${String(cacheSize)}`)
    }
    this.decodePlans = new LruCache(cacheSize)
  }

  get simd (): boolean {
    return this.kernel !== 'scalar'
  }

  allocShards (shardBytes: number): Uint8Array[] {
    return this.allocArena(shardBytes).views.slice()
  }

  /** @internal an arena for this codec's shape; `workerLanes` for a pool's workers. */
  allocArena (shardBytes: number, workerLanes?: number): Arena {
    const arena = allocArena(this.dataShards, this.parityShards, shardBytes, workerLanes)
    log('arena %d: %d shards of %d bytes, %d bytes of wasm memory', arena.id, this.totalShards, shardBytes, arena.layout.bytes)
    return arena
  }

  encode (shards: Uint8Array[]): void {
    const size = checkFullShards(shards, this.totalShards)
    if (this.runInPlace(this.parityPlan, shards, size, false) !== undefined) return
    this.encodeRange(shards, 0, size)
  }

  verify (shards: Uint8Array[]): boolean {
    const size = checkFullShards(shards, this.totalShards)
    return this.runInPlace(this.parityPlan, shards, size, true) ?? this.verifyRange(shards, 0, size)
  }

  /**
   * When every shard lives in one arena that is not busy with a pool call:
   * the arena and the pass of `plan` on it (plan written into the arena).
   * Otherwise null, and the caller stages.
   */
  inPlace (plan: MatrixPlan, shards: ArrayLike<Uint8Array | null>, size: number, compare: boolean): { arena: Arena, pass: ArenaPass } | null {
    const arena = arenaOf(shards)
    if (arena === null) return null
    if (arena.busy > 0) {
      log('arena %d is busy with a pool call: staging instead', arena.id)
      return null
    }
    const pass = arena.pass(plan, shards, size, compare)
    if (pass === null) {
      log('arena %d: plan %dx%d or shard overlap rules out in place: staging instead', arena.id, plan.rows, plan.cols)
      return null
    }
    return { arena, pass }
  }

  /** Runs `plan` in place on the calling thread; undefined when it cannot (see inPlace). */
  private runInPlace (plan: MatrixPlan, shards: ArrayLike<Uint8Array | null>, size: number, compare: boolean): boolean | undefined {
    const job = this.inPlace(plan, shards, size, compare)
    if (job === null) return undefined
    return job.arena.runner(this.kernel).run(job.pass, 0, 0, size)
  }

  reconstruct (shards: Array<Uint8Array | null>, options: ReconstructOptions = {}): Uint8Array[] {
    this.rebuild(shards, false, options)
    return shards as Uint8Array[]
  }

  reconstructData (shards: Array<Uint8Array | null>, options: ReconstructOptions = {}): Array<Uint8Array | null> {
    this.rebuild(shards, true, options)
    return shards
  }

  private rebuild (shards: Array<Uint8Array | null>, dataOnly: boolean, options: ReconstructOptions): void {
    const job = this.rebuildJob(shards, dataOnly, options.rebuild)
    if (job === null) return
    this.applyJob(shards, job, size => new Uint8Array(size))
  }

  /** @internal gives the job's missing targets arrays (see fillTargets), then rebuilds them on this thread. */
  applyJob (shards: Array<Uint8Array | null>, job: RebuildJob, alloc: (size: number) => Uint8Array): void {
    this.fillTargets(shards, job, alloc)
    if (this.runInPlace(this.decodePlanFor(job), shards, job.size, false) !== undefined) return
    this.rebuildRange(shards, job, 0, job.size)
  }

  /**
   * Gives every missing target an array: the arena's own view for that index
   * when the present shards live in one arena (and that view is free),
   * otherwise `alloc(size)`.
   */
  fillTargets (shards: Array<Uint8Array | null>, job: RebuildJob, alloc: (size: number) => Uint8Array): void {
    const arena = arenaOf(shards)
    for (const i of job.targets) {
      if (shards[i] != null) continue
      shards[i] = arena?.freeSlot(i, shards, job.size) ?? alloc(job.size)
    }
  }

  // The range methods below skip argument checks: the public methods above and
  // the worker pool (which checks once for all workers) call them.

  /** Parity bytes [from, to) of already-checked shards. */
  encodeRange (shards: ArrayLike<Uint8Array | null>, from: number, to: number): void {
    runPlan(this.engine, this.parityPlan, shards, shards, from, to)
  }

  verifyRange (shards: ArrayLike<Uint8Array | null>, from: number, to: number): boolean {
    return runPlan(this.engine, this.parityPlan, shards, shards, from, to, true)
  }

  /**
   * Checks `shards` for a rebuild and says which shards to read and write, or
   * null when nothing is missing. The caller allocates the targets.
   */
  rebuildJob (shards: Array<Uint8Array | null>, dataOnly: boolean, reuse: readonly number[] = []): RebuildJob | null {
    if (!Array.isArray(shards)) throw new WrongShardCountError(this.totalShards, 0)
    if (shards.length !== this.totalShards) throw new WrongShardCountError(this.totalShards, shards.length)
    if (!Array.isArray(reuse) || reuse.some(i => !Number.isSafeInteger(i) || i < 0 || i >= this.totalShards || shards[i] == null)) {
      throw new InvalidArgumentError('rebuild lists indices of shards given as arrays to overwrite')
    }
    const size = checkShardSizes(shards, true)
    const k = this.dataShards
    const limit = dataOnly ? k : this.totalShards
    const lost = new Set(reuse)
    const targets: number[] = []
    for (let i = 0; i < limit; i++) if (shards[i] == null || lost.has(i)) targets.push(i)
    if (targets.length === 0) return null
    // Decode from the first k present shards: data shards come first, so the
    // decode matrix keeps identity rows wherever it can.
    const inputs = presentIndices(shards.map((s, i) => lost.has(i) ? null : s), k).slice(0, k)
    return { size, inputs, targets }
  }

  /** Fills bytes [from, to) of the job's (already allocated) targets. */
  rebuildRange (shards: ArrayLike<Uint8Array | null>, job: RebuildJob, from: number, to: number): void {
    runPlan(this.engine, this.decodePlanFor(job), shards, shards, from, to)
  }

  /** @internal the plan of a rebuild job (cached by erasure pattern). */
  decodePlanFor (job: RebuildJob): MatrixPlan {
    return this.decodePlan(job.inputs, job.targets)
  }

  /** Plan producing `targets` from the shards at `inputs` (k indices). */
  private decodePlan (inputs: number[], targets: number[]): MatrixPlan {
    const key = `${inputs.join(',')}>${targets.join(',')}`
    const cached = this.decodePlans.get(key)
    if (cached !== undefined) return cached
    const k = this.dataShards
    const sub = new Uint8Array(k * k)
    inputs.forEach((row, r) => sub.set(this.matrix.subarray(row * k, row * k + k), r * k))
    // data = inverse × (present shards); parity row p = E[p] × data.
    const inverse = invertMatrix(sub, k)
    const rows = new Uint8Array(targets.length * k)
    targets.forEach((target, r) => {
      const row = target < k
        ? inverse.subarray(target * k, target * k + k)
        : multiplyMatrices(this.matrix.subarray(target * k, target * k + k), inverse, 1, k, k)
      rows.set(row, r * k)
    })
    const plan = preparePlan(rows, inputs, targets)
    this.decodePlans.set(key, plan)
    return plan
  }

  split (data: Uint8Array): Uint8Array[] {
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('split takes a Uint8Array')
    const shardSize = Math.max(1, Math.ceil(data.length / this.dataShards))
    const block = new Uint8Array(shardSize * this.totalShards)
    block.set(data)
    return range(0, this.totalShards).map(i => block.subarray(i * shardSize, (i + 1) * shardSize))
  }

  join (shards: ArrayLike<Uint8Array | null>, size: number): Uint8Array {
    if (shards == null || typeof shards.length !== 'number' || shards.length < this.dataShards) {
      throw new WrongShardCountError(this.totalShards, shards?.length ?? 0)
    }
    const data = Array.from({ length: this.dataShards }, (_, i) => shards[i])
    const shardSize = checkShardSizes(data, false)
    if (!Number.isSafeInteger(size) || size < 0 || size > shardSize * this.dataShards) {
      throw new InvalidArgumentError(`join size ${size} is outside 0..${shardSize * this.dataShards}`)
    }
    const out = new Uint8Array(size)
    for (let i = 0, off = 0; off < size; i++, off += shardSize) {
      out.set((data[i] as Uint8Array).subarray(0, Math.min(shardSize, size - off)), off)
    }
    return out
  }

  encodeStream (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: EncodeStreamOptions = {}): AsyncGenerator<EncodedStripe> {
    return encodeStream(this, source, { stripeBytes: DEFAULT_STRIPE_BYTES, ...options })
  }

  decodeStream (stripes: AsyncIterable<StripeInput> | Iterable<StripeInput>, options: DecodeStreamOptions = {}): AsyncGenerator<Uint8Array> {
    return decodeStream(this, stripes, options)
  }
}

function range (from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i)
}

/** Creates a codec for `dataShards` + `parityShards` shards. Synchronous. */
export function createCodec (init: CodecInit): Codec {
  return new ReedSolomonCodec(init)
}
