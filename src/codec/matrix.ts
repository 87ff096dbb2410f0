/**
 * Coding matrices over GF(2^8), stored row-major in a Uint8Array.
 *
 * The encoding matrix is the systematic Vandermonde construction used by
 * Backblaze JavaReedSolomon and klauspost/reedsolomon: V[r][c] = r^c for
 * r < k + m, c < k (with 0^0 = 1), then E = V × inverse(top k×k of V). The top
 * of E is the identity (data shards pass through) and any k rows of E are
 * invertible, so any k shards rebuild the rest. Parity bytes are identical to
 * those libraries'.
 */

import { SingularMatrixError } from './errors.js'
import { gfInv, gfMul, gfPow } from './gf.js'

/** rows × cols product of a (rows × inner) and b (inner × cols). */
export function multiplyMatrices (a: Uint8Array, b: Uint8Array, rows: number, inner: number, cols: number): Uint8Array {
  const out = new Uint8Array(rows * cols)
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inner; i++) {
      const x = a[r * inner + i]
      if (x === 0) continue
      for (let c = 0; c < cols; c++) {
        out[r * cols + c] ^= gfMul(x, b[i * cols + c])
      }
    }
  }
  return out
}

/** Inverse of an n × n matrix by Gauss-Jordan elimination; throws SingularMatrixError. */
export function invertMatrix (matrix: Uint8Array, n: number): Uint8Array {
  const w = 2 * n
  const work = new Uint8Array(n * w)
  for (let r = 0; r < n; r++) {
    work.set(matrix.subarray(r * n, r * n + n), r * w)
    work[r * w + n + r] = 1
  }
  for (let col = 0; col < n; col++) {
    let pivot = col
    while (pivot < n && work[pivot * w + col] === 0) pivot++
    if (pivot === n) throw new SingularMatrixError()
    if (pivot !== col) {
      const tmp = work.slice(pivot * w, pivot * w + w)
      work.copyWithin(pivot * w, col * w, col * w + w)
      work.set(tmp, col * w)
    }
    const scale = gfInv(work[col * w + col])
    if (scale !== 1) {
      for (let c = 0; c < w; c++) work[col * w + c] = gfMul(work[col * w + c], scale)
    }
    for (let r = 0; r < n; r++) {
      const f = work[r * w + col]
      if (r === col || f === 0) continue
      for (let c = 0; c < w; c++) work[r * w + c] ^= gfMul(f, work[col * w + c])
    }
  }
  const out = new Uint8Array(n * n)
  for (let r = 0; r < n; r++) out.set(work.subarray(r * w + n, r * w + w), r * n)
  return out
}

/** (k + m) × k systematic encoding matrix; rows k.. are the parity coefficients. */
export function encodingMatrix (dataShards: number, parityShards: number): Uint8Array {
  const k = dataShards
  const n = dataShards + parityShards
  const vandermonde = new Uint8Array(n * k)
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) vandermonde[r * k + c] = gfPow(r, c)
  }
  const topInverse = invertMatrix(vandermonde.subarray(0, k * k), k)
  return multiplyMatrices(vandermonde, topInverse, n, k, k)
}

/** A small least-recently-used map, for decode matrices keyed by erasure pattern. */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>()
  constructor (private readonly capacity: number) {}

  get (key: K): V | undefined {
    const value = this.entries.get(key)
    if (value !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, value)
    }
    return value
  }

  set (key: K, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as K
      this.entries.delete(oldest)
    }
  }

  get size (): number {
    return this.entries.size
  }
}
