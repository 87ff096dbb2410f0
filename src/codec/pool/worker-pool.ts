/** The pool itself: its worker threads, the calls it hands them and their answers (see index.ts). */
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { pathToFileURL } from 'node:url'
import { MessageChannel, Worker } from 'node:worker_threads'
import { logger } from '@libp2p/logger'
import { arenaOf } from '../arena/index.js'
import { ReedSolomonCodec } from '../codec.js'
import { KERNEL_ALIGN_BYTES, POOL_CHUNKS_PER_WORKER, POOL_MIN_CHUNK_BYTES, POOL_MIN_SHARD_BYTES } from '../constants.js'
import { CodecError, InvalidArgumentError, PoolClosedError } from '../errors.js'
import { SerialQueue } from '../serial.js'
import { checkFullShards } from '../validate.js'
import { WorkerArenas } from './arenas.js'
import { createControl, doneIndex, nextCallId, notifyAllDone, previousInSlot, ring, STOP, waitAsync, writeCall } from './control.js'
import type { PoolRequest, PoolResponse, PoolWorkerData } from './messages.js'
import type { CodecPool, CodecPoolInit, CodecPoolOptions } from './types.js'
import type { Arena, ArenaPass } from '../arena/index.js'
import type { RebuildJob } from '../codec.js'
import type { KernelName } from '../loader.js'
import type { MatrixPlan } from '../plan.js'
import type { MessagePort } from 'node:worker_threads'

const log = logger('shoal:codec:pool')

type Op = { op: 'encode' | 'verify' } | { op: 'rebuild', job: RebuildJob }

interface Pending {
  resolve: (result: boolean) => void
  reject: (err: Error) => void
}

/** An arena call in the control block, until its last chunk is done. */
interface Running extends Pending {
  /** Settles with the call. */
  done: Promise<boolean>
}

function isShared (a: Uint8Array | null): boolean {
  return a === null || a.buffer instanceof SharedArrayBuffer
}

function sharedBytes (size: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(size))
}

export class WorkerPool implements CodecPool {
  readonly dataShards: number
  readonly parityShards: number
  readonly totalShards: number
  readonly kernel: KernelName
  readonly workers: number
  private readonly local: ReedSolomonCodec
  private readonly threads: Worker[] = []
  private readonly ports: MessagePort[] = []
  private readonly control = createControl()
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private closed: Error | null = null
  /** What each worker has been told of arenas and passes. */
  private readonly arenas: WorkerArenas
  /** Writing arena calls into the control block's slots, one at a time, in id order. */
  private readonly issuing = new SerialQueue()
  /** Arena calls in the control block, by id, until their last chunk is done. */
  private readonly running = new Map<number, Running>()
  private lastCall = 0
  /** Whether the workers are ref'd (a call is waiting for them). */
  private refd = false

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
    this.arenas = new WorkerArenas(this.ports, workers, this.control, () => this.closed !== null)
  }

  async start (): Promise<void> {
    const fromSource = import.meta.url.endsWith('.ts')
    const url = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url)
    // Running from TypeScript sources (the test suite), the worker registers the
    // tsx loader (a devDependency) before importing its module.
    const tsxApi = fromSource ? createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs') : ''
    const bootstrap = `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then(api => { api.register(); return import(${JSON.stringify(url.href)}) })`
    const online: Array<Promise<void>> = []
    for (let i = 0; i < this.workers; i++) {
      const { port1, port2 } = new MessageChannel()
      const workerData: PoolWorkerData = { dataShards: this.dataShards, parityShards: this.parityShards, kernel: this.kernel, control: this.control.buffer as SharedArrayBuffer, port: port2, index: i }
      const options = { workerData, transferList: [port2] }
      const worker = fromSource ? new Worker(bootstrap, { eval: true, ...options }) : new Worker(url, options)
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
      this.ports.push(port1)
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
      await this.onWorkers(arena, pass, Math.min(workers, Math.ceil(size / chunk)), chunk, size, options.signal)
      return !arena.sharedFailed()
    })
    return await (options.signal === undefined ? work : abortable(work, options.signal))
  }

  /**
   * Runs `pass` on the first `workers` workers, in chunks they claim from the
   * arena's control block. Calls are written into the control block's slots in
   * turn, each once the call before it in its slot is done, so up to
   * CALL_SLOTS calls (on different arenas) wait there and workers go from one
   * to the next. A call aborted before it is written never reaches the workers.
   */
  private async onWorkers (arena: Arena, pass: ArenaPass, workers: number, chunk: number, size: number, signal?: AbortSignal): Promise<void> {
    const issued = await this.issuing.run(async () => {
      const call = nextCallId(this.lastCall)
      const before = this.running.get(previousInSlot(call))
      if (before !== undefined) await before.done.then(() => {}, () => {})
      if (this.closed !== null) throw this.closed
      signal?.throwIfAborted()
      this.lastCall = call
      const passId = this.arenas.introduce(arena, pass, workers)
      const seq = arena.openShared()
      let settle!: Pending // set by the executor, which runs at once
      const done = new Promise<boolean>((resolve, reject) => { settle = { resolve, reject } })
      this.running.set(call, { ...settle, done })
      this.busyChanged()
      writeCall(this.control, { call, arena: arena.id, pass: passId, seq, chunk, size, workers })
      ring(this.control)
      void this.watch(call)
      return { done } // wrapped: returned bare, the queue would wait for it
    })
    await issued.done
  }

  /** Settles the running call `call` once a worker marks it done. */
  private async watch (call: number): Promise<void> {
    const index = doneIndex(call)
    while (this.running.has(call)) {
      const done = Atomics.load(this.control, index)
      if (done === call) {
        this.finish(call, null)
        return
      }
      await waitAsync(this.control, index, done)
    }
  }

  /** Ends the running arena call `call`: resolved, or rejected with `err`. */
  private finish (call: number, err: Error | null): void {
    const running = this.running.get(call)
    if (running === undefined) return
    this.running.delete(call)
    this.busyChanged()
    if (err === null) running.resolve(true)
    else running.reject(err)
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
      const request = { ...op, id: this.nextId++, shards: staged, from, to: Math.min(size, from + part) } as PoolRequest & { id: number }
      calls.push(this.expect(request.id))
      this.ports[w].postMessage(request)
    }
    ring(this.control)
    const all = Promise.all(calls)
    const results = await (options.signal === undefined ? all : abortable(all, options.signal))
    for (const i of outputs) {
      if (staged[i] !== shards[i]) (shards[i] as Uint8Array).set(staged[i] as Uint8Array)
    }
    return results.every(Boolean)
  }

  /** The answer to request `id`, from whichever worker gives it. */
  private async expect (id: number): Promise<boolean> {
    return await new Promise<boolean>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.busyChanged()
    })
  }

  /**
   * Workers keep the process alive while a call waits for them (neither
   * Atomics.waitAsync nor a blocked worker does), and only then.
   */
  private busyChanged (): void {
    const busy = this.pending.size > 0 || this.running.size > 0
    if (busy === this.refd) return
    this.refd = busy
    for (const t of this.threads) {
      if (busy) t.ref()
      else t.unref()
    }
  }

  private settle (msg: PoolResponse): void {
    if ('call' in msg) {
      log('arena call %d failed in a worker: %s: %s', msg.call, msg.name, msg.message)
      this.finish(msg.call, workerError(msg))
      return
    }
    const pending = this.pending.get(msg.id)
    if (pending === undefined) return
    this.pending.delete(msg.id)
    this.busyChanged()
    if (msg.ok) pending.resolve(msg.result)
    else pending.reject(workerError(msg))
  }

  private fail (err: Error): void {
    this.closed ??= err
    const pending = [...this.pending.values()]
    this.pending.clear()
    for (const call of [...this.running.keys()]) this.finish(call, err)
    this.busyChanged()
    for (const p of pending) p.reject(err)
    // workers leave their loop; the watchers of running calls stop
    Atomics.store(this.control, STOP, 1)
    ring(this.control)
    notifyAllDone(this.control)
  }

  async close (): Promise<void> {
    this.fail(new PoolClosedError())
    await Promise.all(this.threads.map(async t => await t.terminate()))
    for (const p of this.ports) p.close()
  }
}

function workerError (msg: { name: string, message: string }): Error {
  const err = new CodecError(`codec worker: ${msg.message}`)
  err.name = msg.name
  return err
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
