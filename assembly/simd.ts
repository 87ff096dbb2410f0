// WebAssembly SIMD matrix kernel: every output shard of a GF(2^8) matrix product
// in one pass over the input shards.
//
// The scalar loop it replaces (see scalar.ts):
//
//   for r in rows:  out[r][i] = 0
//   for r in rows, c in cols, i in len:
//     out[r][i] ^= MUL[coef[r][c]][in[c][i]]
//
// That loop reads every input `rows` times and does one table lookup per byte.
// Here the byte-wise product c * b is split on nibbles,
//
//   c * b = lo_c[b & 15] ^ hi_c[b >> 4]
//
// and both 16-entry tables fit a v128, so one swizzle does sixteen lookups.
// Lane layout of one step (16 input bytes, one coefficient):
//
//   x    = [ b0     b1     ...  b15    ]   16 input bytes
//   xl   = [ b0&15  b1&15  ...  b15&15 ]   v128.and(x, 0x0F..)
//   xh   = [ b0>>4  b1>>4  ...  b15>>4 ]   i16x8.shr_u(x, 4) & 0x0F.. (no i8 shift on x86)
//   lo   = [ c*0    c*1    ...  c*15   ]   nibble tables, 32 bytes per coefficient
//   hi   = [ c*0x00 c*0x10 ...  c*0xF0 ]
//   acc ^= swizzle(lo, xl) ^ swizzle(hi, xh)
//
// Outputs go in groups of up to four: for each 32-byte column (two vectors) the
// group's eight accumulators stay in registers while the loop walks every input
// once, so a group costs one read of each input and one write of each output,
// whatever k. Each pair of nibble tables is loaded once per input and used for
// both vectors. Four outputs by two vectors measured best on this machine's V8
// (10+4: +10 %, 4+2: +20 % over one vector; x64 V8 has 16 xmm registers, and
// this uses 15); a tail of 16 bytes runs the one-vector loop.
//
// Two builds come from this file. With the relaxed-simd feature the lookup is
// `i8x16.relaxed_swizzle`, which V8 lowers to a bare `pshufb`; standard
// `i8x16.swizzle` must zero lanes whose index is >= 16, so V8 adds a saturating
// add and a constant load to each one (three instructions instead of one). Our
// indices are always masked to 0..15, where both instructions are fully
// specified and agree, so the builds give identical bytes.
//
// Nibble tables are laid out input-major: the 32 bytes for (input c, output r)
// are at tables + (c * rows + r) * 32, so a group's tables for one input are
// contiguous. `len` must be a multiple of 16: the JS side pads its staging
// buffers, and on zero-copy shards (src/codec/arena.ts) runs whole 16-byte
// blocks in place and a shorter tail through a 16-byte buffer; bytes are
// independent, so padding never affects real bytes.

@inline
function lookup(table: v128, index: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i8x16.relaxed_swizzle(table, index)
  return i8x16.swizzle(table, index)
}

@inline
function group(n: i32, tables: usize, rows: i32, cols: i32, inputs: usize, outputs: usize, r0: i32, len: i32): void {
  const mask = i8x16.splat(0x0F)
  const tstride = <usize>rows << 5
  const outs = outputs + (<usize>r0 << 2)
  const o0 = <usize>load<u32>(outs)
  const o1 = n > 1 ? <usize>load<u32>(outs, 4) : 0
  const o2 = n > 2 ? <usize>load<u32>(outs, 8) : 0
  const o3 = n > 3 ? <usize>load<u32>(outs, 12) : 0
  const end2 = <usize>len & ~<usize>31
  let off: usize = 0
  for (; off < end2; off += 32) {
    let a = i64x2.splat(0)
    let b = a, c = a, d = a
    let a2 = a, b2 = a, c2 = a, d2 = a
    let t = tables + (<usize>r0 << 5)
    for (let col = 0; col < cols; col++) {
      const p = <usize>load<u32>(inputs + (<usize>col << 2)) + off
      const x = v128.load(p)
      const y = v128.load(p, 16)
      const xl = v128.and(x, mask)
      const xh = v128.and(i16x8.shr_u(x, 4), mask)
      const yl = v128.and(y, mask)
      const yh = v128.and(i16x8.shr_u(y, 4), mask)
      let lo = v128.load(t), hi = v128.load(t, 16)
      a = v128.xor(a, v128.xor(lookup(lo, xl), lookup(hi, xh)))
      a2 = v128.xor(a2, v128.xor(lookup(lo, yl), lookup(hi, yh)))
      if (n > 1) {
        lo = v128.load(t, 32); hi = v128.load(t, 48)
        b = v128.xor(b, v128.xor(lookup(lo, xl), lookup(hi, xh)))
        b2 = v128.xor(b2, v128.xor(lookup(lo, yl), lookup(hi, yh)))
      }
      if (n > 2) {
        lo = v128.load(t, 64); hi = v128.load(t, 80)
        c = v128.xor(c, v128.xor(lookup(lo, xl), lookup(hi, xh)))
        c2 = v128.xor(c2, v128.xor(lookup(lo, yl), lookup(hi, yh)))
      }
      if (n > 3) {
        lo = v128.load(t, 96); hi = v128.load(t, 112)
        d = v128.xor(d, v128.xor(lookup(lo, xl), lookup(hi, xh)))
        d2 = v128.xor(d2, v128.xor(lookup(lo, yl), lookup(hi, yh)))
      }
      t += tstride
    }
    v128.store(o0 + off, a); v128.store(o0 + off, a2, 16)
    if (n > 1) { v128.store(o1 + off, b); v128.store(o1 + off, b2, 16) }
    if (n > 2) { v128.store(o2 + off, c); v128.store(o2 + off, c2, 16) }
    if (n > 3) { v128.store(o3 + off, d); v128.store(o3 + off, d2, 16) }
  }
  for (; off < <usize>len; off += 16) {
    let a = i64x2.splat(0)
    let b = a, c = a, d = a
    let t = tables + (<usize>r0 << 5)
    for (let col = 0; col < cols; col++) {
      const x = v128.load(<usize>load<u32>(inputs + (<usize>col << 2)) + off)
      const xl = v128.and(x, mask)
      const xh = v128.and(i16x8.shr_u(x, 4), mask)
      a = v128.xor(a, v128.xor(lookup(v128.load(t), xl), lookup(v128.load(t, 16), xh)))
      if (n > 1) b = v128.xor(b, v128.xor(lookup(v128.load(t, 32), xl), lookup(v128.load(t, 48), xh)))
      if (n > 2) c = v128.xor(c, v128.xor(lookup(v128.load(t, 64), xl), lookup(v128.load(t, 80), xh)))
      if (n > 3) d = v128.xor(d, v128.xor(lookup(v128.load(t, 96), xl), lookup(v128.load(t, 112), xh)))
      t += tstride
    }
    v128.store(o0 + off, a)
    if (n > 1) v128.store(o1 + off, b)
    if (n > 2) v128.store(o2 + off, c)
    if (n > 3) v128.store(o3 + off, d)
  }
}

/**
 * out[r] = sum over c of coef(r, c) * in[c], for r in [0, rows), over `len` bytes.
 * Same signature and results as `matMulScalar`; `len` must be a multiple of 16.
 *
 * coefs:   rows * cols bytes, row-major (the scalar twin's input; unused here).
 * tables:  rows * cols nibble tables, input-major (see expandTables).
 * inputs:  cols u32 pointers; outputs: rows u32 pointers (overwritten, never read).
 */
export function matMulSimd(coefs: usize, tables: usize, rows: i32, cols: i32, inputs: usize, outputs: usize, len: i32): void {
  let r0 = 0
  for (; r0 + 4 <= rows; r0 += 4) group(4, tables, rows, cols, inputs, outputs, r0, len)
  const rest = rows - r0
  if (rest == 3) group(3, tables, rows, cols, inputs, outputs, r0, len)
  else if (rest == 2) group(2, tables, rows, cols, inputs, outputs, r0, len)
  else if (rest == 1) group(1, tables, rows, cols, inputs, outputs, r0, len)
}
