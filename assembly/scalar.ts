// Scalar twin of the SIMD matrix kernel: same signature, same results, one byte
// at a time through the 64 KiB product table. Used where WebAssembly SIMD is not
// available and as the `simd: false` path.

import { MUL } from './gf'

/**
 * out[r] = sum over c of coefs[r * cols + c] * in[c], for r in [0, rows), over `len` bytes.
 *
 * coefs:   rows * cols bytes, row-major.
 * tables:  unused here (the SIMD kernel's nibble tables); kept for a common signature.
 * inputs:  cols u32 pointers to the input shards.
 * outputs: rows u32 pointers to the output shards (overwritten, never read).
 * len:     bytes per shard.
 */
export function matMulScalar(coefs: usize, tables: usize, rows: i32, cols: i32, inputs: usize, outputs: usize, len: i32): void {
  for (let r = 0; r < rows; r++) {
    const out = <usize>load<u32>(outputs + (<usize>r << 2))
    memory.fill(out, 0, len)
    for (let c = 0; c < cols; c++) {
      const coef = <u32>load<u8>(coefs + <usize>(r * cols + c))
      if (coef == 0) continue
      const src = <usize>load<u32>(inputs + (<usize>c << 2))
      if (coef == 1) {
        // Fast path: addition is XOR. Eight bytes at a time.
        let i = 0
        for (; i + 8 <= len; i += 8) {
          store<u64>(out + i, load<u64>(out + i) ^ load<u64>(src + i))
        }
        for (; i < len; i++) {
          store<u8>(out + i, load<u8>(out + i) ^ load<u8>(src + i))
        }
        continue
      }
      const row = MUL + (<usize>coef << 8)
      for (let i = 0; i < len; i++) {
        const p = out + i
        store<u8>(p, load<u8>(p) ^ load<u8>(row + <usize>load<u8>(src + i)))
      }
    }
  }
}
