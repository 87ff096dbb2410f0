/**
 * Production coding matrices against the reference, and the MDS property: every
 * k rows of an encoding matrix are invertible, checked exhaustively for small codes.
 */
import { describe, expect, it } from 'vitest'
import { encodingMatrix, invertMatrix } from '../../src/codec/matrix.js'
import { refEncodingMatrix, refInvert, refMul } from '../../src/codec/reference.js'

const flat = (rows: number[][]): number[] => rows.flat()

function isSingular (matrix: Uint8Array, n: number): boolean {
  try {
    invertMatrix(matrix, n)
    return false
  } catch {
    return true
  }
}

describe('encodingMatrix', () => {
  it('equals the reference for every k + m <= 32', () => {
    const wrong: string[] = []
    for (let k = 1; k <= 32; k++) {
      for (let m = 0; k + m <= 32; m++) {
        const e = encodingMatrix(k, m)
        const expected = flat(refEncodingMatrix(k, m))
        if (e.length !== expected.length || !e.every((v, i) => v === expected[i])) wrong.push(`${k}+${m}`)
      }
    }
    expect(wrong).toEqual([])
  })

  it.each([[200, 56], [255, 1], [1, 255], [128, 128], [17, 239]])('equals the reference for %i + %i', (k, m) => {
    expect([...encodingMatrix(k, m)]).toEqual(flat(refEncodingMatrix(k, m)))
  })

  it('every k-subset of the rows is invertible, for every k >= 1, m >= 0, k + m <= 16', () => {
    const singular: string[] = []
    let checked = 0
    for (let n = 1; n <= 16; n++) {
      const matrices: Uint8Array[] = [new Uint8Array(0)]
      for (let k = 1; k <= n; k++) matrices.push(encodingMatrix(k, n - k))
      const rows = new Array<number>(n)
      // Each non-empty subset of the n rows, as a bit mask, is a k-subset for k = its size.
      for (let mask = 1; mask < (1 << n); mask++) {
        let k = 0
        for (let r = 0; r < n; r++) if ((mask & (1 << r)) !== 0) rows[k++] = r
        const e = matrices[k]
        const sub = new Uint8Array(k * k)
        for (let i = 0; i < k; i++) sub.set(e.subarray(rows[i] * k, rows[i] * k + k), i * k)
        if (isSingular(sub, k)) singular.push(`k=${k} m=${n - k} rows=${rows.slice(0, k).join(',')}`)
        checked++
      }
    }
    expect(checked).toBe(2 ** 17 - 2 - 16) // sum over n = 1..16 of (2^n - 1)
    expect(singular.slice(0, 10)).toEqual([])
  })
})

describe('invertMatrix', () => {
  it('agrees with the reference inverse and gives A × A^-1 = I (rows of 10+6)', () => {
    const k = 10
    const e = encodingMatrix(k, 6)
    // A few deterministic 10-subsets of the 16 rows.
    for (let shift = 0; shift < 16; shift++) {
      const rows = Array.from({ length: k }, (_, i) => (i * 3 + shift) % 16).sort((a, b) => a - b)
      if (new Set(rows).size !== k) continue
      const sub = new Uint8Array(k * k)
      rows.forEach((r, i) => sub.set(e.subarray(r * k, r * k + k), i * k))
      const inv = invertMatrix(sub, k)
      const asRows = Array.from({ length: k }, (_, r) => [...sub.subarray(r * k, r * k + k)])
      expect([...inv]).toEqual(flat(refInvert(asRows)))
      for (let r = 0; r < k; r++) {
        for (let c = 0; c < k; c++) {
          let sum = 0
          for (let i = 0; i < k; i++) sum ^= refMul(sub[r * k + i], inv[i * k + c])
          expect(sum).toBe(r === c ? 1 : 0)
        }
      }
    }
  })

  it('throws on singular matrices', () => {
    expect(isSingular(new Uint8Array([0, 0, 0, 0]), 2)).toBe(true)
    expect(isSingular(new Uint8Array([1, 2, 2, 4]), 2)).toBe(true)
    expect(isSingular(new Uint8Array([5, 7, 9, 5, 7, 9, 1, 1, 1]), 3)).toBe(true)
    expect(isSingular(new Uint8Array([1, 0, 0, 1]), 2)).toBe(false)
  })

  it('throws SingularMatrixError by name', () => {
    let caught: unknown
    try { invertMatrix(new Uint8Array(9), 3) } catch (err) { caught = err }
    expect((caught as Error).name).toBe('SingularMatrixError')
  })
})
