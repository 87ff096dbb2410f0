/**
 * The reference codec is the oracle for everything else, so it is checked on its
 * own: field axioms, known answers published by other implementations of the same
 * field and code (klauspost/reedsolomon, Backblaze), and round trips.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  refAdd, refDecode, refEncode, refEncodingMatrix, refInv, refInvert, refMatMul, refMul, refPow
} from '../../src/codec/reference.js'

const SEED = 0x5e0a1
const byte = fc.integer({ min: 0, max: 255 })

describe('reference GF(2^8)', () => {
  it('known products and powers (0x11D field)', () => {
    expect(refMul(2, 3)).toBe(6)
    expect(refMul(0x80, 2)).toBe(0x1d) // x^8 reduces to x^4 + x^3 + x^2 + 1
    expect(refMul(0x80, 4)).toBe(0x3a)
    // Values published in klauspost/reedsolomon galois_test.go.
    expect(refMul(3, 4)).toBe(12)
    expect(refMul(7, 7)).toBe(21)
    expect(refMul(23, 45)).toBe(41)
    expect(refPow(2, 2)).toBe(4)
    expect(refPow(5, 20)).toBe(235)
    expect(refPow(13, 7)).toBe(43)
    const input = [0, 1, 2, 3, 4, 5, 6, 10, 50, 100, 150, 174, 201, 255, 99, 32, 67, 85, 200, 199, 198, 197, 196, 195, 194, 193, 192, 191, 190, 189, 188, 187, 186, 185]
    const times25 = [0x0, 0x19, 0x32, 0x2b, 0x64, 0x7d, 0x56, 0xfa, 0xb8, 0x6d, 0xc7, 0x85, 0xc3, 0x1f, 0x22, 0x7, 0x25, 0xfe, 0xda, 0x5d, 0x44, 0x6f, 0x76, 0x39, 0x20, 0xb, 0x12, 0x11, 0x8, 0x23, 0x3a, 0x75, 0x6c, 0x47]
    const times177 = [0x0, 0xb1, 0x7f, 0xce, 0xfe, 0x4f, 0x81, 0x9e, 0x3, 0x6, 0xe8, 0x75, 0xbd, 0x40, 0x36, 0xa3, 0x95, 0xcb, 0xc, 0xdd, 0x6c, 0xa2, 0x13, 0x23, 0x92, 0x5c, 0xed, 0x1b, 0xaa, 0x64, 0xd5, 0xe5, 0x54, 0x9a]
    expect(input.map((v) => refMul(25, v))).toEqual(times25)
    expect(input.map((v) => refMul(177, v))).toEqual(times177)
  })

  it('addition is xor, with 0 as identity and every element its own negative', () => {
    for (let a = 0; a < 256; a++) {
      expect(refAdd(a, 0)).toBe(a)
      expect(refAdd(a, a)).toBe(0)
      for (let b = 0; b < 256; b++) {
        if (refAdd(a, b) !== (a ^ b)) expect(refAdd(a, b)).toBe(a ^ b)
      }
    }
  })

  it('multiplication is closed, commutative, has identity 1 and absorbing 0 (all 65,536 pairs)', () => {
    let failures = 0
    for (let a = 0; a < 256; a++) {
      if (refMul(a, 1) !== a || refMul(1, a) !== a || refMul(a, 0) !== 0) failures++
      for (let b = 0; b < 256; b++) {
        const p = refMul(a, b)
        if (p !== refMul(b, a) || !Number.isInteger(p) || p < 0 || p > 255) failures++
        // No zero divisors: a field.
        if ((p === 0) !== (a === 0 || b === 0)) failures++
      }
    }
    expect(failures).toBe(0)
  })

  it('every non-zero element has exactly one inverse, and refInv finds it', () => {
    for (let a = 1; a < 256; a++) {
      const inverses: number[] = []
      for (let b = 1; b < 256; b++) if (refMul(a, b) === 1) inverses.push(b)
      expect(inverses).toEqual([refInv(a)])
    }
    expect(() => refInv(0)).toThrow()
  })

  it('multiplication is associative and distributes over addition (seeded sample)', () => {
    fc.assert(fc.property(byte, byte, byte, (a, b, c) => {
      expect(refMul(a, refMul(b, c))).toBe(refMul(refMul(a, b), c))
      expect(refMul(a, b ^ c)).toBe(refMul(a, b) ^ refMul(a, c))
    }), { seed: SEED, numRuns: 25_000 })
  })

  it('refPow: 0^0 = 1, a^0 = 1, a^(n+1) = a^n * a, and 2 generates all 255 non-zero elements', () => {
    expect(refPow(0, 0)).toBe(1)
    expect(refPow(0, 5)).toBe(0)
    for (let a = 0; a < 256; a++) {
      let power = 1
      for (let n = 0; n < 300; n++) {
        if (refPow(a, n) !== power) expect(refPow(a, n)).toBe(power)
        power = refMul(power, a)
      }
    }
    const seen = new Set<number>()
    for (let n = 0; n < 255; n++) seen.add(refPow(2, n))
    expect(seen.size).toBe(255)
    expect(seen.has(0)).toBe(false)
    expect(refPow(2, 255)).toBe(1)
  })
})

describe('reference matrices', () => {
  it('refInvert gives the inverse, and throws on singular matrices', () => {
    const m = [[1, 2, 3], [4, 5, 6], [7, 8, 10]]
    const inv = refInvert(m)
    expect(refMatMul(m, inv)).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    expect(refMatMul(inv, m)).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    expect(() => refInvert([[1, 2], [2, 4]])).toThrow() // row 2 = 2 * row 1
    expect(() => refInvert([[0, 0], [0, 1]])).toThrow()
    expect(() => refInvert([[3, 3], [3, 3]])).toThrow()
  })

  it('the top k rows of refEncodingMatrix are the identity', () => {
    for (const [k, m] of [[1, 0], [1, 1], [1, 5], [3, 2], [4, 4], [10, 4], [17, 3], [32, 32], [100, 28]]) {
      const e = refEncodingMatrix(k, m)
      expect(e.length).toBe(k + m)
      for (let r = 0; r < k + m; r++) expect(e[r].length).toBe(k)
      for (let r = 0; r < k; r++) {
        for (let c = 0; c < k; c++) {
          if (e[r][c] !== (r === c ? 1 : 0)) expect(e[r][c]).toBe(r === c ? 1 : 0)
        }
      }
    }
  })

  it('every k rows of small encoding matrices are independent', () => {
    const subsets = (n: number, k: number): number[][] => {
      if (k === 0) return [[]]
      if (n < k) return []
      return [...subsets(n - 1, k), ...subsets(n - 1, k - 1).map((s) => [...s, n - 1])]
    }
    for (let k = 1; k <= 5; k++) {
      for (let m = 0; m <= 5; m++) {
        const e = refEncodingMatrix(k, m)
        for (const rows of subsets(k + m, k)) expect(() => refInvert(rows.map((r) => e[r]))).not.toThrow()
      }
    }
  })

  it('rejects bad shard counts', () => {
    expect(() => refEncodingMatrix(0, 1)).toThrow()
    expect(() => refEncodingMatrix(1, -1)).toThrow()
    expect(() => refEncodingMatrix(200, 57)).toThrow()
    expect(() => refEncodingMatrix(1.5, 1)).toThrow()
  })
})

describe('reference codec', () => {
  it('known answer: 5+5 code of klauspost/reedsolomon and Backblaze', () => {
    const data = [[0, 1], [4, 5], [2, 3], [6, 7], [8, 9]].map((s) => Uint8Array.from(s))
    const parity = refEncode(5, 5, data).map((s) => [...s])
    expect(parity).toEqual([[12, 13], [10, 11], [14, 15], [90, 91], [94, 95]])
  })

  it('decodes the data from any k shards', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.integer(),
      (k, m, size, salt) => {
        const data = Array.from({ length: k }, (_, i) => Uint8Array.from({ length: size }, (_, j) => (salt * 31 + i * 97 + j * 13) & 255))
        const shards: Array<Uint8Array | null> = [...data, ...refEncode(k, m, data)]
        // Drop m shards chosen by the salt.
        const order = shards.map((_, i) => i).sort((a, b) => ((a * 7919 + salt) & 1023) - ((b * 7919 + salt) & 1023))
        for (const i of order.slice(0, m)) shards[i] = null
        expect(refDecode(k, m, shards)).toEqual(data)
      }
    ), { seed: SEED, numRuns: 300 })
  })

  it('refDecode throws when fewer than k shards are present', () => {
    const data = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]
    const shards: Array<Uint8Array | null> = [...data, ...refEncode(3, 2, data)]
    shards[0] = null
    shards[2] = null
    shards[4] = null
    expect(() => refDecode(3, 2, shards)).toThrow()
  })
})
