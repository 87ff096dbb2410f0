/**
 * Loads the WebAssembly kernels and owns the only code that touches wasm memory.
 *
 * Three builds of assembly/ exist (see asconfig.json): `relaxed-simd` (SIMD with
 * relaxed swizzle), `simd` (standard 128-bit SIMD) and `scalar` (no SIMD). All
 * export the same functions. `availableKernels()` lists those this engine
 * accepts, best first.
 *
 * Node 20's V8 implements relaxed SIMD but keeps it behind a flag (it is on by
 * default from Node 22). shoal only uses `relaxed_swizzle` with indices 0..15,
 * where its result is fully specified, so when the engine rejects the relaxed
 * module we turn that one wasm feature on with `v8.setFlagsFromString` and
 * validate again. Set SHOAL_WASM_RELAXED_SIMD=0 to forbid that.
 *
 * A `WasmKernel` is one instance with its own memory, laid out once:
 *
 *   heapBase | coefs (rows*cols) | tables (rows*cols*32) | input ptrs | output ptrs | staging: (cols + rows) × chunk
 *
 * Memory never grows after construction, but views are still re-derived when
 * `memory.buffer` changes. Each call copies a chunk of every input into staging
 * with `Uint8Array.set`, runs the kernel on pointers, and copies the outputs
 * back: no allocation per call, and the staging area stays in cache.
 */

import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import { logger } from '@libp2p/logger'
import { KERNEL_ALIGN_BYTES, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, STAGING_TARGET_BYTES } from './constants.js'
import { KernelUnavailableError } from './errors.js'
import type { MatrixPlan } from './plan.js'

const log = logger('shoal:codec:loader')

export type KernelName = 'relaxed-simd' | 'simd' | 'scalar'

const FILES: Record<KernelName, string> = {
  'relaxed-simd': 'shoal-relaxed.wasm',
  simd: 'shoal-simd.wasm',
  scalar: 'shoal-scalar.wasm'
}

/** Best first. */
export const KERNEL_NAMES: readonly KernelName[] = ['relaxed-simd', 'simd', 'scalar']

interface KernelExports {
  memory: WebAssembly.Memory
  heapBase: () => number
  matMul: (coefs: number, tables: number, rows: number, cols: number, inputs: number, outputs: number, len: number) => void
}

/** build/ sits at the package root; this file runs from src/codec/ or dist/src/codec/. */
function findBuildDir (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    try {
      readFileSync(join(dir, 'build', FILES.scalar), { flag: 'r' })
      return join(dir, 'build')
    } catch {
      dir = dirname(dir)
    }
  }
  throw new KernelUnavailableError('wasm build output not found: run `npm run build:wasm`', 'scalar')
}

let buildDir: string | undefined
const modules = new Map<KernelName, WebAssembly.Module | null>()

function relaxedAllowed (): boolean {
  return process.env.SHOAL_WASM_RELAXED_SIMD !== '0'
}

function compile (name: KernelName): WebAssembly.Module | null {
  if (modules.has(name)) return modules.get(name) ?? null
  buildDir ??= findBuildDir()
  let module: WebAssembly.Module | null = null
  if (name !== 'relaxed-simd' || relaxedAllowed()) {
    const bytes = readFileSync(join(buildDir, FILES[name]))
    let valid = WebAssembly.validate(bytes)
    if (!valid && name === 'relaxed-simd') {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd')
      valid = WebAssembly.validate(bytes)
      log('relaxed SIMD %s after enabling the V8 flag', valid ? 'accepted' : 'still rejected')
    }
    if (valid) module = new WebAssembly.Module(bytes)
  }
  modules.set(name, module)
  return module
}

/** Kernels this engine can run, best first. 'scalar' is always there. */
export function availableKernels (): KernelName[] {
  return KERNEL_NAMES.filter(name => compile(name) !== null)
}

/** The kernel to use for `simd` / `kernel` options. */
export function chooseKernel (options: { simd?: boolean, kernel?: KernelName } = {}): KernelName {
  if (options.kernel !== undefined) {
    if (!KERNEL_NAMES.includes(options.kernel)) {
      throw new KernelUnavailableError(`unknown kernel ${String(options.kernel)}`, String(options.kernel))
    }
    if (compile(options.kernel) === null) {
      throw new KernelUnavailableError(`this engine cannot run the ${options.kernel} kernel`, options.kernel)
    }
    return options.kernel
  }
  if (options.simd === false) return 'scalar'
  return availableKernels()[0]
}

/** Bytes of each shard per kernel call, so that staging for `shards` shards stays in L2. */
export function chunkBytesFor (shards: number): number {
  const target = Math.floor(STAGING_TARGET_BYTES / Math.max(1, shards))
  const clamped = Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, target))
  return clamped - (clamped % KERNEL_ALIGN_BYTES)
}

/**
 * One kernel instance able to apply any plan of up to `maxRows` × `maxCols`.
 */
export class WasmKernel {
  readonly name: KernelName
  readonly chunkBytes: number
  private readonly exports: KernelExports
  private u8: Uint8Array
  private readonly coefsPtr: number
  private readonly tablesPtr: number
  private readonly inPtrs: number
  private readonly outPtrs: number
  private readonly inBase: number
  private readonly outBase: number
  private loaded: MatrixPlan | null = null
  private readonly maxRows: number
  private readonly maxCols: number

  constructor (name: KernelName, maxRows: number, maxCols: number) {
    const module = compile(name)
    if (module === null) throw new KernelUnavailableError(`this engine cannot run the ${name} kernel`, name)
    const instance = new WebAssembly.Instance(module, {
      env: {
        abort: () => { throw new KernelUnavailableError('wasm kernel aborted', name) }
      }
    })
    this.name = name
    this.exports = instance.exports as unknown as KernelExports
    this.maxRows = maxRows
    this.maxCols = maxCols
    this.chunkBytes = chunkBytesFor(maxRows + maxCols)

    const align = (n: number): number => Math.ceil(n / 64) * 64
    let p = align(this.exports.heapBase())
    this.coefsPtr = p; p = align(p + maxRows * maxCols)
    this.tablesPtr = p; p = align(p + maxRows * maxCols * 32)
    this.inPtrs = p; p = align(p + maxCols * 4)
    this.outPtrs = p; p = align(p + maxRows * 4)
    this.inBase = p; p += maxCols * this.chunkBytes
    this.outBase = p; p += maxRows * this.chunkBytes

    const memory = this.exports.memory
    if (memory.buffer.byteLength < p) {
      memory.grow(Math.ceil((p - memory.buffer.byteLength) / 65536))
    }
    this.u8 = new Uint8Array(memory.buffer)
    const view = new DataView(memory.buffer)
    for (let c = 0; c < maxCols; c++) view.setUint32(this.inPtrs + 4 * c, this.inBase + c * this.chunkBytes, true)
    for (let r = 0; r < maxRows; r++) view.setUint32(this.outPtrs + 4 * r, this.outBase + r * this.chunkBytes, true)
  }

  private bytes (): Uint8Array {
    if (this.u8.buffer !== this.exports.memory.buffer) this.u8 = new Uint8Array(this.exports.memory.buffer)
    return this.u8
  }

  private load (plan: MatrixPlan): void {
    if (this.loaded === plan) return
    if (plan.rows > this.maxRows || plan.cols > this.maxCols) {
      throw new RangeError(`plan ${plan.rows}x${plan.cols} exceeds kernel capacity ${this.maxRows}x${this.maxCols}`)
    }
    const u8 = this.bytes()
    u8.set(plan.coefs, this.coefsPtr)
    u8.set(plan.tables, this.tablesPtr)
    this.loaded = plan
  }

  /**
   * outputs[r][from, to) = sum_c plan(r, c) * inputs[c][from, to), with
   * `plan.inputs` / `plan.outputs` choosing which of the given arrays take part.
   * When `compare` is set, nothing is written: returns false at the first
   * chunk where an output differs from outputs[r].
   */
  apply (plan: MatrixPlan, inputs: ArrayLike<Uint8Array | null>, outputs: ArrayLike<Uint8Array | null>, from: number, to: number, compare = false): boolean {
    const { rows, cols } = plan
    if (rows === 0) return true
    this.load(plan)
    const u8 = this.bytes()
    const chunk = this.chunkBytes
    const matMul = this.exports.matMul
    const ins = plan.inputs.map(i => inputs[i] as Uint8Array)
    const outs = plan.outputs.map(i => outputs[i] as Uint8Array)
    for (let off = from; off < to; off += chunk) {
      const n = Math.min(chunk, to - off)
      for (let c = 0; c < cols; c++) {
        u8.set(ins[c].subarray(off, off + n), this.inBase + c * chunk)
      }
      matMul(this.coefsPtr, this.tablesPtr, rows, cols, this.inPtrs, this.outPtrs, (n + 15) & ~15)
      for (let r = 0; r < rows; r++) {
        const start = this.outBase + r * chunk
        if (compare) {
          if (!equalBytes(u8, start, outs[r], off, n)) return false
        } else {
          outs[r].set(u8.subarray(start, start + n), off)
        }
      }
    }
    return true
  }
}

function equalBytes (a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number, n: number): boolean {
  return Buffer.from(a.buffer, a.byteOffset + aOffset, n).equals(Buffer.from(b.buffer, b.byteOffset + bOffset, n))
}
