/** Running a pass on an arena's memory, in place: the calling thread's lane or a pool worker's. */
import { chunkBytesFor, equalBytes, instantiateKernel } from '../loader.js'
import { arenaControl, laneOffsets } from './layout.js'
import type { ArenaControl, ArenaLayout, ArenaPass } from './layout.js'
import type { KernelExports, KernelName } from '../loader.js'

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
