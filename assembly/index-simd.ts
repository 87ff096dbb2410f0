// Entry of the SIMD builds (shoal-simd.wasm, and shoal-relaxed.wasm when compiled
// with the relaxed-simd feature). Every build exports the same names, so the
// loader treats them alike; here `matMul` is the SIMD kernel.
export { expandTables, gfMul, heapBase } from './gf'
export { matMulSimd as matMul } from './simd'
export { matMulScalar } from './scalar'
