/**
 * Arenas: shards that live inside a wasm memory, so the kernel runs on them in
 * place, with no copy in or out.
 *
 * `allocArena` makes one shared `WebAssembly.Memory` per allocation, sized up
 * front (its maximum is its size: it never grows, so the views handed out
 * never detach), laid out as
 *
 *   static | coefs (R*C) | tables (R*C*32) | control | lanes × lane | slots: (k + m) × stride
 *
 * where R × C is the largest plan it takes (m × k of the codec that made it),
 * a slot is one shard (`stride` = shard bytes rounded up to 64), and a lane is
 * the private scratch of one thread working on the arena:
 *
 *   input ptrs (C*4) | output ptrs (R*4) | tail in (C*16) | tail out (R*16) | check (CHECK_AREA_BYTES)
 *
 * Lane 0 is the calling thread's; a pool worker w uses lane w + 1. The plan
 * (coefficients and tables) is written once per call by the thread that starts
 * it, before any worker runs; workers only read it.
 *
 * A pool call cuts the byte range into chunks that the workers claim one at a
 * time through the control block (an atomic compare-exchange on a word that
 * also holds the call's sequence number, so a worker that wakes after its call
 * is over claims nothing). A worker the OS runs late leaves its share to the
 * others instead of holding the call up, and the worker that finishes the last
 * chunk answers for all.
 *
 * The kernel reads and writes 16 bytes at a time; whole 16-byte blocks of each
 * shard run in place, and a tail of < 16 bytes goes through the lane's tail
 * buffers, so nothing outside the given views is ever read or written.
 *
 * Shards are recognised by their buffer: a WeakMap from the memory's
 * SharedArrayBuffer to its Arena. Arena views anywhere inside the slots work
 * (subarrays too); plain arrays, views of two arenas, or views that overlap an
 * output take the staging path instead (see codec.ts).
 */

import { availableParallelism } from 'node:os'
import { MAX_ARENA_WORKER_LANES } from '../constants.js'
import { InvalidArgumentError } from '../errors.js'
import { createMemory, writePlan } from '../loader.js'
import { SerialQueue } from '../serial.js'
import { arenaControl, arenaLayout } from './layout.js'
import { ArenaRunner } from './runner.js'
import type { ArenaControl, ArenaLayout, ArenaPass } from './layout.js'
import type { KernelName } from '../loader.js'
import type { MatrixPlan } from '../plan.js'

export { arenaLayout } from './layout.js'
export type { ArenaLayout, ArenaPass } from './layout.js'
export { ArenaRunner } from './runner.js'

let nextArenaId = 1
const arenas = new WeakMap<object, Arena>()

/** One arena, as the thread that allocated it sees it. */
export class Arena {
  readonly id = nextArenaId++
  readonly memory: WebAssembly.Memory
  readonly layout: ArenaLayout
  /** The k + m slot views, in order. */
  readonly views: readonly Uint8Array[]
  /** Pool calls on this arena, one at a time (exclusive). */
  private readonly calls = new SerialQueue()
  private readonly u8: Uint8Array
  private loaded: MatrixPlan | null = null
  /** The last pass made, reused while the same call repeats (same plan, size and views). */
  private last: { plan: MatrixPlan, size: number, compare: boolean, shards: Array<Uint8Array | null>, pass: ArenaPass | null } | null = null
  private readonly runners = new Map<KernelName, ArenaRunner>()
  private readonly control: ArenaControl
  private seq = 0

  constructor (layout: ArenaLayout) {
    this.layout = layout
    this.memory = createMemory(layout.bytes)
    this.control = arenaControl(this.memory, layout)
    const buffer = this.memory.buffer
    this.u8 = new Uint8Array(buffer)
    this.views = Array.from({ length: layout.shards }, (_, i) => new Uint8Array(buffer, layout.slotBase + i * layout.stride, layout.shardBytes))
    arenas.set(buffer, this)
  }

  /** The calling thread's runner for `kernel`. */
  runner (kernel: KernelName): ArenaRunner {
    let runner = this.runners.get(kernel)
    if (runner === undefined) {
      runner = new ArenaRunner(kernel, this.memory, this.layout)
      this.runners.set(kernel, runner)
    }
    return runner
  }

  /**
   * The pass applying `plan` to `shards` (all views of this arena, `size`
   * bytes each), with the plan written into the arena; null when it cannot run
   * in place (plan larger than the arena was made for, or an output that
   * overlaps another shard).
   */
  pass (plan: MatrixPlan, shards: ArrayLike<Uint8Array | null>, size: number, compare: boolean): ArenaPass | null {
    const last = this.last
    let pass: ArenaPass | null
    if (last !== null && last.plan === plan && last.size === size && last.compare === compare &&
      last.shards.length === shards.length && last.shards.every((s, i) => s === shards[i])) {
      pass = last.pass
    } else {
      pass = this.buildPass(plan, shards, size, compare)
      this.last = { plan, size, compare, shards: Array.from(shards), pass }
    }
    if (pass !== null && this.loaded !== plan) {
      writePlan(this.u8, plan, this.layout.coefs, this.layout.tables)
      this.loaded = plan
    }
    return pass
  }

  private buildPass (plan: MatrixPlan, shards: ArrayLike<Uint8Array | null>, size: number, compare: boolean): ArenaPass | null {
    if (plan.rows > this.layout.rows || plan.cols > this.layout.cols) return null
    const at = (i: number): number => (shards[i] as Uint8Array).byteOffset
    const { slotBase, stride, shards: slots } = this.layout
    for (let i = 0; i < shards.length; i++) {
      const s = shards[i]
      // views into the arena's own tables or lanes are not shards
      if (s != null && (s.byteOffset < slotBase || s.byteOffset + s.length > slotBase + slots * stride)) return null
    }
    const written = [...plan.outputs, ...plan.copies.map(([out]) => out), ...plan.zeros]
    if (!compare) {
      const touched = [...new Set([...written, ...plan.inputs, ...plan.copies.map(([, input]) => input)])]
      for (const w of written) {
        const start = at(w)
        for (const other of touched) {
          if (other !== w && at(other) < start + size && start < at(other) + size) return null
        }
      }
    }
    return {
      rows: plan.rows,
      cols: plan.cols,
      coefs: this.layout.coefs,
      tables: this.layout.tables,
      inputs: plan.inputs.map(at),
      outputs: plan.outputs.map(at),
      copies: plan.copies.map(([out, input]) => [at(out), at(input)]),
      zeros: plan.zeros.map(at),
      compare
    }
  }

  /** Opens a pool call on this arena's control block; returns its sequence number. */
  openShared (): number {
    this.seq = (this.seq + 1) >>> 0
    const { claim, done, failed } = this.control
    Atomics.store(done, 0, 0)
    Atomics.store(failed, 0, 0)
    Atomics.store(claim, 0, BigInt(this.seq) << 32n)
    return this.seq
  }

  /** After a pool call: whether a compare found a difference. */
  sharedFailed (): boolean {
    return Atomics.load(this.control.failed, 0) !== 0
  }

  /**
   * The slot view for index `i` to receive a rebuilt shard, when it has the
   * right size and no present shard overlaps it; otherwise null.
   */
  freeSlot (i: number, shards: ArrayLike<Uint8Array | null>, size: number): Uint8Array | null {
    const slot = this.views[i]
    if (slot === undefined || slot.length !== size) return null
    const start = slot.byteOffset
    for (let j = 0; j < shards.length; j++) {
      const s = shards[j]
      if (s != null && s.byteOffset < start + size && start < s.byteOffset + s.length) return null
    }
    return slot
  }

  /**
   * Runs `fn` after every earlier exclusive call on this arena has settled;
   * the arena counts as busy from this call until `fn` settles.
   */
  async exclusive<T> (fn: () => Promise<T>): Promise<T> {
    return await this.calls.run(fn)
  }

  /** Pool calls queued or running on this arena: while > 0, synchronous calls stay off it (they would overwrite the plan). */
  get busy (): number {
    return this.calls.pending
  }
}

/**
 * Allocates an arena for a codec of `dataShards` + `parityShards` and returns
 * it; its `views` are the shards. `workerLanes` is how many pool workers can
 * share one call on it (default: the machine's parallelism, at most
 * MAX_ARENA_WORKER_LANES).
 */
export function allocArena (dataShards: number, parityShards: number, shardBytes: number, workerLanes?: number): Arena {
  if (!Number.isSafeInteger(shardBytes) || shardBytes < 1) {
    throw new InvalidArgumentError(`shardBytes must be a positive integer, got ${String(shardBytes)}`)
  }
  const workers = workerLanes ?? Math.min(availableParallelism(), MAX_ARENA_WORKER_LANES)
  const layout = arenaLayout(Math.max(parityShards, 1), dataShards, dataShards + parityShards, shardBytes, 1 + workers)
  return new Arena(layout)
}

/**
 * The arena every present shard lives in, or null when one is a plain array,
 * or shards come from different arenas.
 */
export function arenaOf (shards: ArrayLike<Uint8Array | null | undefined>): Arena | null {
  let arena: Arena | undefined
  for (let i = 0; i < shards.length; i++) {
    const s = shards[i]
    if (s == null) continue
    const a = arenas.get(s.buffer)
    if (a === undefined || (arena !== undefined && a !== arena)) return null
    arena = a
  }
  return arena ?? null
}
