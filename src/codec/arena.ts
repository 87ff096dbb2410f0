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
import { CHECK_AREA_BYTES, MAX_ARENA_WORKER_LANES } from './constants.js'
import { InvalidArgumentError } from './errors.js'
import { chunkBytesFor, createMemory, equalBytes, instantiateKernel, STATIC_BYTES, writePlan } from './loader.js'
import { SerialQueue } from './serial.js'
import type { KernelExports, KernelName } from './loader.js'
import type { MatrixPlan } from './plan.js'

/** Where everything is in an arena's memory; plain numbers, so it can be posted to a worker. */
export interface ArenaLayout {
  /** Largest plan: output rows × input columns. */
  rows: number
  cols: number
  coefs: number
  tables: number
  /** Pool call control: claim word (i64: call sequence << 32 | next chunk), chunks done (i32), failed (i32). */
  control: number
  lanes: number
  laneBase: number
  laneBytes: number
  /** Bytes per output per kernel call when comparing (verify), so all outputs fit the check area. */
  checkChunk: number
  slotBase: number
  /** Distance between slots: shardBytes rounded up to 64. */
  stride: number
  shardBytes: number
  shards: number
  bytes: number
}

interface LaneOffsets {
  inPtrs: number
  outPtrs: number
  tailIn: number
  tailOut: number
  check: number
}

/** One call's work on an arena, in addresses: what a worker needs besides the memory. */
export interface ArenaPass {
  rows: number
  cols: number
  coefs: number
  tables: number
  /** Address of each kernel input (shard start). */
  inputs: number[]
  /** Address of each kernel output (compared against when `compare`). */
  outputs: number[]
  /** [destination, source] addresses of outputs that are plain copies. */
  copies: Array<[number, number]>
  /** Addresses of outputs that are all zero. */
  zeros: number[]
  compare: boolean
}

const align64 = (n: number): number => Math.ceil(n / 64) * 64

export function arenaLayout (rows: number, cols: number, shards: number, shardBytes: number, lanes: number): ArenaLayout {
  let p = STATIC_BYTES
  const coefs = p; p = align64(p + rows * cols)
  const tables = p; p = align64(p + rows * cols * 32)
  const control = p; p += 64
  const laneBase = p
  const laneBytes = align64(cols * 4) + align64(rows * 4) + cols * 16 + rows * 16 + CHECK_AREA_BYTES
  p = align64(p + lanes * laneBytes)
  const slotBase = p
  const stride = align64(shardBytes)
  p += shards * stride
  const checkChunk = Math.max(16, Math.floor(CHECK_AREA_BYTES / rows / 16) * 16)
  return { rows, cols, coefs, tables, control, lanes, laneBase, laneBytes, checkChunk, slotBase, stride, shardBytes, shards, bytes: p }
}

function laneOffsets (layout: ArenaLayout, lane: number): LaneOffsets {
  const inPtrs = layout.laneBase + lane * layout.laneBytes
  const outPtrs = inPtrs + align64(layout.cols * 4)
  const tailIn = outPtrs + align64(layout.rows * 4)
  const tailOut = tailIn + layout.cols * 16
  const check = tailOut + layout.rows * 16
  return { inPtrs, outPtrs, tailIn, tailOut, check }
}

interface ArenaControl {
  claim: BigUint64Array
  done: Int32Array
  failed: Int32Array
}

function arenaControl (memory: WebAssembly.Memory, layout: ArenaLayout): ArenaControl {
  const buffer = memory.buffer as SharedArrayBuffer
  return {
    claim: new BigUint64Array(buffer, layout.control, 1),
    done: new Int32Array(buffer, layout.control + 8, 1),
    failed: new Int32Array(buffer, layout.control + 12, 1)
  }
}

/**
 * Runs passes on one arena's memory with one kernel instance. Used by the
 * calling thread (lane 0) and by each pool worker (its own lane); it never
 * writes the plan, only shards and its lane.
 */
export class ArenaRunner {
  private readonly exports: KernelExports
  private readonly u8: Uint8Array
  private readonly u32: Uint32Array

  private readonly control: ArenaControl

  constructor (kernel: KernelName, memory: WebAssembly.Memory, private readonly layout: ArenaLayout) {
    this.exports = instantiateKernel(kernel, memory)
    this.u8 = new Uint8Array(memory.buffer)
    this.u32 = new Uint32Array(memory.buffer)
    this.control = arenaControl(memory, layout)
  }

  /**
   * Claims and runs chunks of a pool call until none is left (or the call is
   * no longer `seq`). Returns 'last' when this thread finished the call's last
   * chunk, and so must answer for it; 'more' otherwise.
   */
  runShared (pass: ArenaPass, lane: number, seq: number, chunk: number, size: number): 'last' | 'more' {
    const { claim, done, failed } = this.control
    const chunks = Math.ceil(size / chunk)
    const tag = BigInt(seq) << 32n
    for (;;) {
      const word = Atomics.load(claim, 0)
      if ((word & ~0xFFFFFFFFn) !== tag) return 'more'
      const i = Number(word & 0xFFFFFFFFn)
      if (i >= chunks) return 'more'
      if (Atomics.compareExchange(claim, 0, word, word + 1n) !== word) continue
      // after a failed compare the rest only needs counting
      if (Atomics.load(failed, 0) === 0 && !this.run(pass, lane, i * chunk, Math.min(size, (i + 1) * chunk))) {
        Atomics.store(failed, 0, 1)
      }
      if (Atomics.add(done, 0, 1) + 1 === chunks) return 'last'
    }
  }

  /** Bytes [from, to) of every shard of the pass; with `compare`, true when every output already holds them. */
  run (pass: ArenaPass, lane: number, from: number, to: number): boolean {
    if (lane < 0 || lane >= this.layout.lanes) throw new RangeError(`lane ${lane} outside 0..${this.layout.lanes - 1}`)
    const { u8, u32, layout } = this
    const n = to - from
    const compare = pass.compare
    for (const [dst, src] of pass.copies) {
      if (compare) {
        if (!equalBytes(u8, src + from, u8, dst + from, n)) return false
      } else {
        u8.copyWithin(dst + from, src + from, src + to)
      }
    }
    for (const z of pass.zeros) {
      if (compare) {
        for (let i = z + from; i < z + to; i++) if (u8[i] !== 0) return false
      } else {
        u8.fill(0, z + from, z + to)
      }
    }
    const { rows, cols, inputs, outputs } = pass
    if (rows === 0) return true
    const lanes = laneOffsets(layout, lane)
    const ip = lanes.inPtrs >>> 2
    const op = lanes.outPtrs >>> 2
    const matMul = this.exports.matMul
    // In place, a group of four outputs reads each input once whatever the
    // chunk; with more rows, chunks keep the inputs in cache between groups.
    const chunk = compare ? layout.checkChunk : rows <= 4 ? n : chunkBytesFor(rows + cols)
    const body = from + (n & ~15)
    for (let off = from; off < body; off += chunk) {
      const len = Math.min(chunk, body - off)
      for (let c = 0; c < cols; c++) u32[ip + c] = inputs[c] + off
      for (let r = 0; r < rows; r++) u32[op + r] = compare ? lanes.check + r * chunk : outputs[r] + off
      matMul(pass.coefs, pass.tables, rows, cols, lanes.inPtrs, lanes.outPtrs, len)
      if (compare) {
        for (let r = 0; r < rows; r++) if (!equalBytes(u8, lanes.check + r * chunk, u8, outputs[r] + off, len)) return false
      }
    }
    const tail = to - body
    if (tail > 0) {
      for (let c = 0; c < cols; c++) {
        const t = lanes.tailIn + c * 16
        u8.copyWithin(t, inputs[c] + body, inputs[c] + to)
        u32[ip + c] = t
      }
      for (let r = 0; r < rows; r++) u32[op + r] = lanes.tailOut + r * 16
      matMul(pass.coefs, pass.tables, rows, cols, lanes.inPtrs, lanes.outPtrs, 16)
      for (let r = 0; r < rows; r++) {
        const t = lanes.tailOut + r * 16
        if (compare) {
          if (!equalBytes(u8, t, u8, outputs[r] + body, tail)) return false
        } else {
          u8.copyWithin(outputs[r] + body, t, t + tail)
        }
      }
    }
    return true
  }
}

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
