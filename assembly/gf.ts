// GF(2^8) arithmetic for the Reed-Solomon kernels.
//
// Field: polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), generator 2: the field of
// Backblaze JavaReedSolomon and klauspost/reedsolomon, so shoal's parity bytes
// match theirs. The tables are built once when the module is instantiated and
// live in static memory; nothing here allocates.

/** exp[i] = 2^i for i in [0, 510): doubled so exp[log a + log b] needs no modulo. */
export const EXP: usize = memory.data(512)
/** log[a] for a in [1, 256); log[0] is unused. */
export const LOG: usize = memory.data(256)
/** Full product table: MUL[(a << 8) | b] = a * b. 64 KiB, used by the scalar path. */
export const MUL: usize = memory.data(65536, 64)

function buildTables(): void {
  let x: u32 = 1
  for (let i: u32 = 0; i < 255; i++) {
    store<u8>(EXP + i, <u8>x)
    store<u8>(EXP + i + 255, <u8>x)
    store<u8>(LOG + x, <u8>i)
    x <<= 1
    if (x & 0x100) x ^= 0x11D
  }
  store<u8>(EXP + 510, load<u8>(EXP))
  store<u8>(EXP + 511, load<u8>(EXP + 1))
  for (let a: u32 = 0; a < 256; a++) {
    for (let b: u32 = 0; b < 256; b++) {
      let p: u32 = 0
      if (a != 0 && b != 0) {
        p = <u32>load<u8>(EXP + <usize>load<u8>(LOG + a) + <usize>load<u8>(LOG + b))
      }
      store<u8>(MUL + ((a << 8) | b), <u8>p)
    }
  }
}

buildTables()

/** a * b in GF(2^8). */
export function gfMul(a: u32, b: u32): u32 {
  return <u32>load<u8>(MUL + (((a & 0xFF) << 8) | (b & 0xFF)))
}

/**
 * Expands `count` coefficients at `coefs` into 32-byte nibble tables at `tables`:
 * bytes 0..15 hold c * x for x in 0..15 (the low nibble), bytes 16..31 hold
 * c * (x << 4) (the high nibble), so c * b = lo[b & 15] ^ hi[b >> 4].
 */
export function expandTables(coefs: usize, count: i32, tables: usize): void {
  for (let i = 0; i < count; i++) {
    const row = MUL + (<usize>load<u8>(coefs + i) << 8)
    const t = tables + (<usize>i << 5)
    for (let x: usize = 0; x < 16; x++) {
      store<u8>(t + x, load<u8>(row + x))
      store<u8>(t + 16 + x, load<u8>(row + (x << 4)))
    }
  }
}

/** First free byte after the static data: the JS side lays out its arena from here. */
export function heapBase(): usize {
  return (__heap_base + 63) & ~<usize>63
}
