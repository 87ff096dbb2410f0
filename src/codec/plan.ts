/**
 * A coding matrix prepared for the kernel: nibble tables expanded once, and the
 * coefficient-0 and coefficient-1 fast paths taken out of the kernel's work.
 *
 * - an output row with a single coefficient 1 is a copy of that input;
 * - an output row of zeros is a fill;
 * - an input whose column is zero for every remaining row is not read at all.
 *
 * Plans are built once per matrix (the encoding matrix at codec creation, decode
 * matrices per erasure pattern behind an LRU) and reused for every call.
 */

import { gfMul } from './gf.js'
import type { WasmKernel } from './loader.js'

export interface MatrixPlan {
  /** Rows and columns the kernel multiplies (after the fast paths). */
  readonly rows: number
  readonly cols: number
  /** For each kernel column, the index of the caller's input array it reads. */
  readonly inputs: number[]
  /** For each kernel row, the index of the caller's output array it writes. */
  readonly outputs: number[]
  /** rows × cols coefficients, row-major (the scalar kernel's form). */
  readonly coefs: Uint8Array
  /** rows × cols nibble tables of 32 bytes, input-major (the SIMD kernels' form). */
  readonly tables: Uint8Array
  /** [output, input] pairs whose matrix row is a unit vector. */
  readonly copies: ReadonlyArray<readonly [number, number]>
  /** Outputs whose matrix row is all zero. */
  readonly zeros: number[]
}

/**
 * @param matrix row-major, `outputIndices.length` × `inputIndices.length`
 * @param inputIndices for each matrix column, which caller input it multiplies
 * @param outputIndices for each matrix row, which caller output it produces
 */
export function preparePlan (matrix: Uint8Array, inputIndices: number[], outputIndices: number[]): MatrixPlan {
  const width = inputIndices.length
  const copies: Array<[number, number]> = []
  const zeros: number[] = []
  const rowsKept: number[] = []
  outputIndices.forEach((out, r) => {
    const row = matrix.subarray(r * width, r * width + width)
    let nonZero = 0
    let last = -1
    for (let c = 0; c < width; c++) {
      if (row[c] !== 0) { nonZero++; last = c }
    }
    if (nonZero === 0) zeros.push(out)
    else if (nonZero === 1 && row[last] === 1) copies.push([out, inputIndices[last]])
    else rowsKept.push(r)
  })
  const colsKept: number[] = []
  for (let c = 0; c < width; c++) {
    if (rowsKept.some(r => matrix[r * width + c] !== 0)) colsKept.push(c)
  }
  const rows = rowsKept.length
  const cols = colsKept.length
  const coefs = new Uint8Array(rows * cols)
  const tables = new Uint8Array(rows * cols * 32)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const coef = matrix[rowsKept[r] * width + colsKept[c]]
      coefs[r * cols + c] = coef
      const t = (c * rows + r) * 32
      for (let x = 0; x < 16; x++) {
        tables[t + x] = gfMul(coef, x)
        tables[t + 16 + x] = gfMul(coef, x << 4)
      }
    }
  }
  return {
    rows,
    cols,
    inputs: colsKept.map(c => inputIndices[c]),
    outputs: rowsKept.map(r => outputIndices[r]),
    coefs,
    tables,
    copies,
    zeros
  }
}

/**
 * Applies a plan to bytes [from, to) of every shard. With `compare`, writes
 * nothing and returns whether every output already holds the product.
 */
export function runPlan (kernel: WasmKernel, plan: MatrixPlan, inputs: ArrayLike<Uint8Array | null>, outputs: ArrayLike<Uint8Array | null>, from: number, to: number, compare = false): boolean {
  for (const [out, input] of plan.copies) {
    const src = (inputs[input] as Uint8Array).subarray(from, to)
    const dst = outputs[out] as Uint8Array
    if (compare) {
      if (!Buffer.from(src.buffer, src.byteOffset, src.byteLength).equals(Buffer.from(dst.buffer, dst.byteOffset + from, to - from))) return false
    } else {
      dst.set(src, from)
    }
  }
  for (const out of plan.zeros) {
    const dst = (outputs[out] as Uint8Array).subarray(from, to)
    if (compare) {
      if (dst.some(b => b !== 0)) return false
    } else {
      dst.fill(0)
    }
  }
  return kernel.apply(plan, inputs, outputs, from, to, compare)
}
