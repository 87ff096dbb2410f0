/**
 * A pool of worker threads that splits each large codec call's byte range
 * across cores. Bytes are independent in Reed-Solomon, so worker i simply runs
 * the same matrix over bytes [from_i, to_i) of every shard.
 *
 * Shards travel by sharing, not copying: arrays backed by a SharedArrayBuffer
 * (as `allocShards` makes them) are seen by every worker in place. Other arrays
 * are copied into shared memory first and results copied back, which costs a
 * pass over the bytes on the calling thread: use `allocShards` for speed.
 * Calls on shards under POOL_MIN_SHARD_BYTES run on the calling thread.
 */

import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { logger } from '@libp2p/logger'
import { ReedSolomonCodec } from './codec.js'
import { KERNEL_ALIGN_BYTES, POOL_MIN_SHARD_BYTES } from './constants.js'
import { CodecError, InvalidArgumentError, PoolClosedError } from './errors.js'
import { checkFullShards } from './validate.js'
import type { CodecInit, RebuildJob } from './codec.js'
import type { KernelName } from './loader.js'

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
  /** k + m shards of `shardBytes` each, backed by one SharedArrayBuffer. */
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
    if (!Number.isSafeInteger(shardBytes) || shardBytes < 1) {
      throw new InvalidArgumentError(`shardBytes must be a positive integer, got ${String(shardBytes)}`)
    }
    const buffer = new SharedArrayBuffer(shardBytes * this.totalShards)
    return Array.from({ length: this.totalShards }, (_, i) => new Uint8Array(buffer, i * shardBytes, shardBytes))
  }

  async encode (shards: Uint8Array[], options: CodecPoolOptions = {}): Promise<void> {
    if (this.closed !== null) throw this.closed
    const size = checkFullShards(shards, this.totalShards)
    if (size < POOL_MIN_SHARD_BYTES) { this.local.encodeRange(shards, 0, size); return }
    await this.run(shards, size, { op: 'encode' }, range(this.dataShards, this.totalShards), options)
  }

  async verify (shards: Uint8Array[], options: CodecPoolOptions = {}): Promise<boolean> {
    if (this.closed !== null) throw this.closed
    const size = checkFullShards(shards, this.totalShards)
    if (size < POOL_MIN_SHARD_BYTES) return this.local.verifyRange(shards, 0, size)
    return await this.run(shards, size, { op: 'verify' }, [], options)
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
      for (const i of job.targets) shards[i] = new Uint8Array(job.size)
      this.local.rebuildRange(shards, job, 0, job.size)
      return
    }
    const block = new SharedArrayBuffer(job.size * job.targets.length)
    job.targets.forEach((t, i) => { shards[t] = new Uint8Array(block, i * job.size, job.size) })
    await this.run(shards, job.size, { op: 'rebuild', job }, [], options)
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
    return await new Promise<boolean>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject })
      if (this.pending.size === 1) for (const t of this.threads) t.ref()
      worker.postMessage(request)
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
