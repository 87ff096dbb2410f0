/**
 * Loads the WebAssembly kernels and owns the only code that touches wasm memory
 * (with arena/, which runs the same kernels in place on shards that live in
 * wasm memory).
 *
 * Three builds of assembly/ exist (see asconfig.json): `relaxed-simd` (SIMD with
 * relaxed swizzle), `simd` (standard 128-bit SIMD) and `scalar` (no SIMD). All
 * export the same functions and all import their memory (`env.memory`, shared,
 * so one memory can be seen by several threads). `availableKernels()` lists
 * those this engine accepts, best first. A module is compiled once; an
 * instance costs ~0.1 ms, so there is one per memory.
 *
 * Node 20's V8 implements relaxed SIMD but keeps it behind a flag (it is on by
 * default from Node 22). shoal only uses `relaxed_swizzle` with indices 0..15,
 * where its result is fully specified, so when the engine rejects the relaxed
 * module we turn that one wasm feature on with `v8.setFlagsFromString` and
 * validate again. Set SHOAL_WASM_RELAXED_SIMD=0 to forbid that.
 *
 * Every memory starts with STATIC_BYTES for the kernel's own tables (GF(2^8)
 * log, exp and product tables, written by the module's start function; the
 * build assumes zeroed memory, so instantiating never clears them under a
 * kernel running on another thread).
 *
 * A `WasmKernel` is the staging path for ordinary arrays: one instance with a
 * memory of its own, laid out once:
 *
 *   static | coefs (rows*cols) | tables (rows*cols*32) | input ptrs | output ptrs | staging: (cols + rows) × chunk
 *
 * The memory is sized up front and never grows. Each call copies a chunk of
 * every input into staging with `Uint8Array.set`, runs the kernel on pointers,
 * and copies the outputs back: no allocation per call, and the staging area
 * stays in cache.
 */

import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import { logger } from '@libp2p/logger'
import { KERNEL_ALIGN_BYTES, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, STAGING_TARGET_BYTES } from './constants.js'
import { InvalidArgumentError, KernelUnavailableError } from './errors.js'
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

/** What an instance exports that the codec uses. */
export interface KernelExports {
  heapBase: () => number
  matMul: (coefs: number, tables: number, rows: number, cols: number, inputs: number, outputs: number, len: number) => void
}

/** Bytes at the start of every memory reserved for the kernel's static tables (the modules' declared minimum). */
export const STATIC_BYTES = 2 * 65536

const PAGE_BYTES = 65536
/** wasm32: 65536 pages of 64 KiB. */
export const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES

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
    if (valid) {
      module = new WebAssembly.Module(bytes)
      const probe = instantiateModule(module, name, createMemory(STATIC_BYTES))
      if (probe.heapBase() > STATIC_BYTES) {
        throw new KernelUnavailableError(`${name} kernel needs ${probe.heapBase()} static bytes, more than ${STATIC_BYTES}`, name)
      }
    }
  }
  modules.set(name, module)
  return module
}

function instantiateModule (module: WebAssembly.Module, name: KernelName, memory: WebAssembly.Memory): KernelExports {
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => { throw new KernelUnavailableError('wasm kernel aborted', name) }
    }
  })
  return instance.exports as unknown as KernelExports
}

/** An instance of kernel `name` working on `memory` (made by `createMemory`). */
export function instantiateKernel (name: KernelName, memory: WebAssembly.Memory): KernelExports {
  const module = compile(name)
  if (module === null) throw new KernelUnavailableError(`this engine cannot run the ${name} kernel`, name)
  return instantiateModule(module, name, memory)
}

/**
 * A shared wasm memory of at least `bytes`, with its maximum equal to its
 * size: it never grows, so views of it stay valid for its whole life.
 */
export function createMemory (bytes: number): WebAssembly.Memory {
  if (!Number.isSafeInteger(bytes) || bytes > MAX_MEMORY_BYTES) {
    throw new InvalidArgumentError(`a wasm memory holds at most ${MAX_MEMORY_BYTES} bytes, ${bytes} asked`)
  }
  const pages = Math.max(STATIC_BYTES, Math.ceil(bytes / PAGE_BYTES) * PAGE_BYTES) / PAGE_BYTES
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true })
  } catch (err) {
    // the engine's RangeError when the process cannot reserve that much
    throw new InvalidArgumentError(`could not allocate ${pages * PAGE_BYTES} bytes of wasm memory`, { cause: err })
  }
}

/** Writes a plan's coefficients and nibble tables where the kernel reads them. */
export function writePlan (u8: Uint8Array, plan: MatrixPlan, coefsPtr: number, tablesPtr: number): void {
  u8.set(plan.coefs, coefsPtr)
  u8.set(plan.tables, tablesPtr)
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
  private readonly memory: WebAssembly.Memory
  private readonly u8: Uint8Array
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
    this.name = name
    this.maxRows = maxRows
    this.maxCols = maxCols
    this.chunkBytes = chunkBytesFor(maxRows + maxCols)

    const align = (n: number): number => Math.ceil(n / 64) * 64
    let p = STATIC_BYTES
    this.coefsPtr = p; p = align(p + maxRows * maxCols)
    this.tablesPtr = p; p = align(p + maxRows * maxCols * 32)
    this.inPtrs = p; p = align(p + maxCols * 4)
    this.outPtrs = p; p = align(p + maxRows * 4)
    this.inBase = p; p += maxCols * this.chunkBytes
    this.outBase = p; p += maxRows * this.chunkBytes

    this.memory = createMemory(p)
    this.exports = instantiateKernel(name, this.memory)
    this.u8 = new Uint8Array(this.memory.buffer)
    const view = new DataView(this.memory.buffer)
    for (let c = 0; c < maxCols; c++) view.setUint32(this.inPtrs + 4 * c, this.inBase + c * this.chunkBytes, true)
    for (let r = 0; r < maxRows; r++) view.setUint32(this.outPtrs + 4 * r, this.outBase + r * this.chunkBytes, true)
  }

  private load (plan: MatrixPlan): void {
    if (this.loaded === plan) return
    if (plan.rows > this.maxRows || plan.cols > this.maxCols) {
      throw new RangeError(`plan ${plan.rows}x${plan.cols} exceeds kernel capacity ${this.maxRows}x${this.maxCols}`)
    }
    writePlan(this.u8, plan, this.coefsPtr, this.tablesPtr)
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
    const u8 = this.u8
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

/** a[aOffset, aOffset + n) equals b[bOffset, bOffset + n) (either may be shared memory). */
export function equalBytes (a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number, n: number): boolean {
  return Buffer.from(a.buffer, a.byteOffset + aOffset, n).equals(Buffer.from(b.buffer, b.byteOffset + bOffset, n))
}
