/**
 * The production field (log/exp tables) against the reference field (carry-less
 * multiplication), over the whole field.
 */
import { describe, expect, it } from 'vitest'
import { GF_EXP, GF_LOG, gfInv, gfMul } from '../../src/codec/gf.js'
import { refInv, refMul, refPow } from '../../src/codec/reference.js'

describe('production GF(2^8)', () => {
  it('gfMul equals refMul for all 65,536 pairs', () => {
    const wrong: Array<[number, number]> = []
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        if (gfMul(a, b) !== refMul(a, b)) wrong.push([a, b])
      }
    }
    expect(wrong).toEqual([])
  })

  it('gfInv equals refInv for every non-zero element, and throws on 0', () => {
    const wrong: number[] = []
    for (let a = 1; a < 256; a++) if (gfInv(a) !== refInv(a)) wrong.push(a)
    expect(wrong).toEqual([])
    expect(() => gfInv(0)).toThrow()
  })

  it('the exp table holds the powers of 2 and the log table inverts it', () => {
    for (let i = 0; i < GF_EXP.length; i++) {
      if (GF_EXP[i] !== refPow(2, i % 255)) expect([i, GF_EXP[i]]).toEqual([i, refPow(2, i % 255)])
    }
    for (let a = 1; a < 256; a++) {
      if (refPow(2, GF_LOG[a]) !== a) expect([a, refPow(2, GF_LOG[a])]).toEqual([a, a])
    }
  })
})
