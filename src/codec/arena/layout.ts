/**
 * Where everything is in an arena's memory (see index.ts for the picture):
 * the layout, each lane's scratch, and the pool call's control words.
 */
import { CHECK_AREA_BYTES } from '../constants.js'
import { STATIC_BYTES } from '../loader.js'

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

export interface LaneOffsets {
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

export function laneOffsets (layout: ArenaLayout, lane: number): LaneOffsets {
  const inPtrs = layout.laneBase + lane * layout.laneBytes
  const outPtrs = inPtrs + align64(layout.cols * 4)
  const tailIn = outPtrs + align64(layout.rows * 4)
  const tailOut = tailIn + layout.cols * 16
  const check = tailOut + layout.rows * 16
  return { inPtrs, outPtrs, tailIn, tailOut, check }
}

export interface ArenaControl {
  claim: BigUint64Array
  done: Int32Array
  failed: Int32Array
}

export function arenaControl (memory: WebAssembly.Memory, layout: ArenaLayout): ArenaControl {
  const buffer = memory.buffer as SharedArrayBuffer
  return {
    claim: new BigUint64Array(buffer, layout.control, 1),
    done: new Int32Array(buffer, layout.control + 8, 1),
    failed: new Int32Array(buffer, layout.control + 12, 1)
  }
}
