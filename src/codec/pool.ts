/**
 * A pool of worker threads that splits each large codec call's byte range
 * across cores. Bytes are independent in Reed-Solomon, so worker i simply runs
 * the same matrix over bytes [from_i, to_i) of every shard.
 *
 * Shards travel by sharing, not copying. Shards from `allocShards` live in a
 * shared wasm memory (an arena, see arena.ts): the memory is posted once to
 * each worker, which instantiates its kernel on it, and from then on a call
 * posts only addresses; each worker runs the kernel in place on its byte
 * range, in its own lane of the arena. Other arrays backed by a
 * SharedArrayBuffer are seen by every worker too, which copies its range
 * through its own staging memory. Anything else is first copied into shared
 * memory and the results copied back, a pass over the bytes on the calling
 * thread. Calls on shards under POOL_MIN_SHARD_BYTES run on the calling thread.
 */

import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { logger } from '@libp2p/logger'
import { arenaOf } from './arena.js'
import { ReedSolomonCodec } from './codec.js'
import { KERNEL_ALIGN_BYTES, POOL_CHUNKS_PER_WORKER, POOL_MIN_CHUNK_BYTES, POOL_MIN_SHARD_BYTES } from './constants.js'
import { CodecError, InvalidArgumentError, PoolClosedError } from './errors.js'
import { checkFullShards } from './validate.js'
import type { Arena, ArenaLayout, ArenaPass } from './arena.js'
import type { CodecInit, RebuildJob } from './codec.js'
import type { KernelName } from './loader.js'
import type { MatrixPlan } from './plan.js'

const log = logger('shoal:codec:pool')

export interface CodecPoolInit extends CodecInit {
  /** Worker threads. Default: os.availableParallelism(). */
  workers?: number
}

export interface CodecPoolOptions {
  /** Rejects the call when aborted; work already handed to workers still runs to its end. */
  signal?: AbortSignal
}

export interface CodecPool {
  readonly dataShards: number
  readonly parityShards: number
  readonly totalShards: number
  readonly kernel: KernelName
  readonly workers: number
  /**
   * k + m shards of `shardBytes` each in one shared wasm memory (as the codec's
   * `allocShards`, with a lane for each worker): calls on them run in place.
   */
  allocShards: (shardBytes: number) => Uint8Array[]
  encode: (shards: Uint8Array[], options?: CodecPoolOptions) => Promise<void>
  verify: (shards: Uint8Array[], options?: CodecPoolOptions) => Promise<boolean>
  reconstruct: (shards: Array<Uint8Array | null>, options?: CodecPoolOptions) => Promise<Uint8Array[]>
  reconstructData: (shards: Array<Uint8Array | null>, options?: CodecPoolOptions) => Promise<Array<Uint8Array | null>>
  /** Stops the workers; pending calls reject with PoolClosedError. */
  close: () => Promise<void>
}

/** @internal message formats between pool and workers */
export interface PoolWorkerData { dataShards: number, parityShards: number, kernel: KernelName }
export type PoolRequest =
  | { id: number, op: 'encode' | 'verify', shards: Array<Uint8Array | null>, from: number, to: number }
  | { id: number, op: 'rebuild', shards: Array<Uint8Array | null>, from: number, to: number, job: RebuildJob }
  /** `memory` and `layout` come with the first call on an arena to each worker. */
  /**
   * Claim chunks of `chunk` bytes of [0, size) from the arena's control block
   * while it holds call `seq`; only the worker finishing the last chunk answers.
   */
  | { id: number, op: 'arena', arena: number, memory?: WebAssembly.Memory, layout?: ArenaLayout, pass: ArenaPass, lane: number, seq: number, chunk: number, size: number }
  /** The arena was garbage collected on the calling thread: forget it. No response. */
  | { id: number, op: 'drop', arena: number }
export type PoolResponse =
  | { id: number, ok: true, result: boolean }
  | { id: number, ok: false, name: string, message: string }

type Op = { op: 'encode' | 'verify' } | { op: 'rebuild', job: RebuildJob }

interface Pending {
  resolve: (result: boolean) => void
  reject: (err: Error) => void
}

function isShared (a: Uint8Array | null): boolean {
  return a === null || a.buffer instanceof SharedArrayBuffer
}

function sharedBytes (size: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(size))
}

class WorkerPool implements CodecPool {
  readonly dataShards: number
  readonly parityShards: number
  readonly totalShards: number
  readonly kernel: KernelName
  readonly workers: number
  private readonly local: ReedSolomonCodec
  private readonly threads: Worker[] = []
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private closed: Error | null = null
  /** Per worker, the arenas it has the memory of. */
  private readonly known: Array<Set<number>> = []
  private readonly dropped = new FinalizationRegistry<number>((id) => { this.drop(id) })

  constructor (init: CodecPoolInit) {
    this.local = new ReedSolomonCodec(init)
    this.dataShards = this.local.dataShards
    this.parityShards = this.local.parityShards
    this.totalShards = this.local.totalShards
    this.kernel = this.local.kernel
    const workers = init.workers ?? availableParallelism()
    if (!Number.isSafeInteger(workers) || workers < 1 || workers > 256) {
      throw new InvalidArgumentError(`workers must be an integer in 1..256, got ${String(init.workers)}`)
    }
    this.workers = workers
  }

  async start (): Promise<void> {
    const fromSource = import.meta.url.endsWith('.ts')
    const url = new URL(fromSource ? './pool-worker.ts' : './pool-worker.js', import.meta.url)
    // Running from TypeScript sources (the test suite), the worker registers the
    // tsx loader (a devDependency) before importing its module.
    const tsxApi = fromSource ? createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs') : ''
    const bootstrap = `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then(api => { api.register(); return import(${JSON.stringify(url.href)}) })`
    const workerData: PoolWorkerData = { dataShards: this.dataShards, parityShards: this.parityShards, kernel: this.kernel }
    const online: Array<Promise<void>> = []
    for (let i = 0; i < this.workers; i++) {
      const worker = fromSource ? new Worker(bootstrap, { eval: true, workerData }) : new Worker(url, { workerData })
      worker.unref()
      worker.on('message', (msg: PoolResponse) => { this.settle(msg) })
      worker.on('error', (err) => { this.fail(new PoolClosedError(`codec worker ${i} failed: ${err.message}`, { cause: err })) })
      worker.on('exit', (code) => {
        if (this.closed === null) this.fail(new PoolClosedError(`codec worker ${i} exited with code ${code}`))
      })
      online.push(new Promise((resolve, reject) => {
        worker.once('online', resolve)
        worker.once('error', reject)
      }))
      this.threads.push(worker)
      this.known.push(new Set())
    }
    try {
      await Promise.all(online)
    } catch (err) {
      await this.close()
      throw new PoolClosedError('codec workers failed to start', { cause: err })
    }
    log('started %d workers, kernel %s', this.workers, this.kernel)
  }

  allocShards (shardBytes: number): Uint8Array[] {
    return this.local.allocArena(shardBytes, this.workers).views.slice()
  }

  async encode (shards: Uint8Array[], options: CodecPoolOptions = {}): Promise<void> {
    if (this.closed !== null) throw this.closed
    const size = checkFullShards(shards, this.totalShards)
    if (size < POOL_MIN_SHARD_BYTES) { this.local.encode(shards); return }
    if (await this.inArena(this.local.parityPlan, shards, size, false, options) !== undefined) return
    await this.run(shards, size, { op: 'encode' }, range(this.dataShards, this.totalShards), options)
  }

  async verify (shards: Uint8Array[], options: CodecPoolOptions = {}): Promise<boolean> {
    if (this.closed !== null) throw this.closed
    const size = checkFullShards(shards, this.totalShards)
    if (size < POOL_MIN_SHARD_BYTES) return this.local.verify(shards)
    return await this.inArena(this.local.parityPlan, shards, size, true, options) ??
      await this.run(shards, size, { op: 'verify' }, [], options)
  }

  async reconstruct (shards: Array<Uint8Array | null>, options: CodecPoolOptions = {}): Promise<Uint8Array[]> {
    await this.rebuild(shards, false, options)
    return shards as Uint8Array[]
  }

  async reconstructData (shards: Array<Uint8Array | null>, options: CodecPoolOptions = {}): Promise<Array<Uint8Array | null>> {
    await this.rebuild(shards, true, options)
    return shards
  }

  private async rebuild (shards: Array<Uint8Array | null>, dataOnly: boolean, options: CodecPoolOptions): Promise<void> {
    if (this.closed !== null) throw this.closed
    const job = this.local.rebuildJob(shards, dataOnly)
    if (job === null) return
    if (job.size < POOL_MIN_SHARD_BYTES) {
      this.local.applyJob(shards, job, size => new Uint8Array(size))
      return
    }
    // arena slots when the shards live in one, else shared arrays the workers can fill
    this.local.fillTargets(shards, job, sharedBytes)
    if (await this.inArena(this.local.decodePlanFor(job), shards, job.size, false, options) !== undefined) return
    await this.run(shards, job.size, { op: 'rebuild', job }, [], options)
  }

  /**
   * Runs `plan` in place on the arena holding every shard, split across the
   * workers (one lane each), after any earlier pool call on that arena. The
   * result, or undefined when the shards are not in one arena or cannot run in
   * place there (the caller then takes the shared-memory path).
   */
  private async inArena (plan: MatrixPlan, shards: ArrayLike<Uint8Array | null>, size: number, compare: boolean, options: CodecPoolOptions): Promise<boolean | undefined> {
    const arena = arenaOf(shards)
    if (arena === null) return undefined
    options.signal?.throwIfAborted()
    const work = arena.exclusive(async () => {
      if (this.closed !== null) throw this.closed
      const pass = arena.pass(plan, shards, size, compare)
      if (pass === null) return undefined
      const workers = Math.min(this.workers, arena.layout.lanes - 1)
      if (workers < 1) return arena.runner(this.kernel).run(pass, 0, 0, size)
      const chunk = Math.max(POOL_MIN_CHUNK_BYTES, Math.ceil(size / (workers * POOL_CHUNKS_PER_WORKER) / KERNEL_ALIGN_BYTES) * KERNEL_ALIGN_BYTES)
      const workersUsed = Math.min(workers, Math.ceil(size / chunk))
      const seq = arena.openShared()
      const id = this.nextId++
      const done = this.expect(id)
      for (let w = 0; w < workersUsed; w++) {
        this.threads[w].postMessage(this.arenaRequest(arena, w, { id, op: 'arena', arena: arena.id, pass, lane: w + 1, seq, chunk, size }))
      }
      await done
      return !arena.sharedFailed()
    })
    return await (options.signal === undefined ? work : abortable(work, options.signal))
  }

  /** Adds the arena's memory and layout to `request` when worker `w` has not seen the arena yet. */
  private arenaRequest (arena: Arena, w: number, request: Extract<PoolRequest, { op: 'arena' }>): PoolRequest {
    if (!this.known[w].has(arena.id)) {
      if (this.known.every(set => !set.has(arena.id))) this.dropped.register(arena, arena.id)
      this.known[w].add(arena.id)
      request.memory = arena.memory
      request.layout = arena.layout
    }
    return request
  }

  /** An arena was collected here: the workers that have its memory let it go too. */
  private drop (arena: number): void {
    this.known.forEach((set, w) => {
      if (set.delete(arena) && this.closed === null) this.threads[w].postMessage({ id: -1, op: 'drop', arena } satisfies PoolRequest)
    })
  }

  /**
   * Splits [0, size) across the workers. Non-shared shards are staged through
   * shared memory; `outputs` name the ones whose bytes come back.
   */
  private async run (shards: Array<Uint8Array | null>, size: number, op: Op, outputs: number[], options: CodecPoolOptions): Promise<boolean> {
    if (this.closed !== null) throw this.closed
    options.signal?.throwIfAborted()
    const staged = shards.map((s, i) => {
      if (isShared(s)) return s
      const copy = sharedBytes(size)
      if (!outputs.includes(i)) copy.set(s as Uint8Array)
      return copy
    })
    const part = Math.ceil(size / this.workers / KERNEL_ALIGN_BYTES) * KERNEL_ALIGN_BYTES
    const calls: Array<Promise<boolean>> = []
    for (let w = 0, from = 0; from < size; w++, from += part) {
      calls.push(this.call(this.threads[w], { ...op, id: this.nextId++, shards: staged, from, to: Math.min(size, from + part) } as PoolRequest))
    }
    const all = Promise.all(calls)
    const results = await (options.signal === undefined ? all : abortable(all, options.signal))
    for (const i of outputs) {
      if (staged[i] !== shards[i]) (shards[i] as Uint8Array).set(staged[i] as Uint8Array)
    }
    return results.every(Boolean)
  }

  private async call (worker: Worker, request: PoolRequest): Promise<boolean> {
    const answer = this.expect(request.id)
    worker.postMessage(request)
    return await answer
  }

  /** The answer to request `id`, from whichever worker gives it. */
  private async expect (id: number): Promise<boolean> {
    return await new Promise<boolean>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      if (this.pending.size === 1) for (const t of this.threads) t.ref()
    })
  }

  private settle (msg: PoolResponse): void {
    const pending = this.pending.get(msg.id)
    if (pending === undefined) return
    this.pending.delete(msg.id)
    if (this.pending.size === 0) for (const t of this.threads) t.unref()
    if (msg.ok) pending.resolve(msg.result)
    else {
      const err = new CodecError(`codec worker: ${msg.message}`)
      err.name = msg.name
      pending.reject(err)
    }
  }

  private fail (err: Error): void {
    this.closed ??= err
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  async close (): Promise<void> {
    this.fail(new PoolClosedError())
    await Promise.all(this.threads.map(async t => await t.terminate()))
  }
}

async function abortable<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted()
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}

function range (from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i)
}

/** Starts a pool of codec workers; call `close()` when done. */
export async function createCodecPool (init: CodecPoolInit): Promise<CodecPool> {
  const pool = new WorkerPool(init)
  await pool.start()
  return pool
}
