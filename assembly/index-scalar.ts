// Entry of the scalar build (shoal-scalar.wasm), compiled without the SIMD
// feature for engines that reject SIMD modules.
export { expandTables, gfMul, heapBase } from './gf'
export { matMulScalar as matMul, matMulScalar } from './scalar'
