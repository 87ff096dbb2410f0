/**
 * GF(2^8) arithmetic on the JavaScript side, for the small matrix work (building
 * and inverting coding matrices). The bulk byte work runs in WebAssembly.
 * Field: polynomial 0x11D, generator 2 — the same as assembly/gf.ts.
 */

/** GF_EXP[i] = 2^i, doubled to 510 entries so exp[log a + log b] needs no modulo. */
export const GF_EXP = new Uint8Array(510)
/** GF_LOG[a] = i with 2^i = a, for a != 0. */
export const GF_LOG = new Uint8Array(256)

{
  let x = 1
  for (let i = 0; i < 255; i++) {
    GF_EXP[i] = x
    GF_EXP[i + 255] = x
    GF_LOG[x] = i
    x <<= 1
    if ((x & 0x100) !== 0) x ^= 0x11D
  }
}

export function gfMul (a: number, b: number): number {
  if (a === 0 || b === 0) return 0
  return GF_EXP[GF_LOG[a] + GF_LOG[b]]
}

export function gfInv (a: number): number {
  if (a === 0) throw new RangeError('zero has no inverse in GF(2^8)')
  return GF_EXP[255 - GF_LOG[a]]
}

export function gfDiv (a: number, b: number): number {
  return gfMul(a, gfInv(b))
}

/** a^n with 0^0 = 1, as the Vandermonde construction needs. */
export function gfPow (a: number, n: number): number {
  if (n === 0) return 1
  if (a === 0) return 0
  return GF_EXP[(GF_LOG[a] * n) % 255]
}
