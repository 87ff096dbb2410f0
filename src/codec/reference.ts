/**
 * A slow reference Reed-Solomon codec, written straight from the definitions.
 * The test suite checks the fast codec (tables, SIMD, scalar kernels) against it.
 *
 * It shares no code with the production codec: field multiplication here is
 * carry-less multiplication reduced by the polynomial, without log/exp tables, and
 * every matrix is a plain `number[][]`. Speed is not a goal; obviousness is.
 *
 * Field: GF(2^8) = GF(2)[x] / (x^8 + x^4 + x^3 + x^2 + 1), that is 0x11D, with
 * generator 2 (the same field as klauspost/reedsolomon and Backblaze).
 */

/** The reducing polynomial x^8 + x^4 + x^3 + x^2 + 1. */
const POLY = 0x11d

function checkByte (a: number): void {
  if (!Number.isInteger(a) || a < 0 || a > 255) throw new RangeError(`not a field element: ${a}`)
}

/** Addition (and subtraction) in characteristic 2 is xor of the coefficient bits. */
export function refAdd (a: number, b: number): number {
  checkByte(a)
  checkByte(b)
  return a ^ b
}

/**
 * Multiplication: schoolbook multiplication of the two polynomials, one bit of `b`
 * at a time, with `a` multiplied by x after each bit. Whenever `a` reaches degree 8
 * it is reduced by subtracting (xoring) the polynomial, so it always stays a byte.
 */
export function refMul (a: number, b: number): number {
  checkByte(a)
  checkByte(b)
  let product = 0
  while (b !== 0) {
    if ((b & 1) !== 0) product ^= a
    b >>= 1
    a <<= 1
    if ((a & 0x100) !== 0) a ^= POLY
  }
  return product
}

/** a^n for an integer n >= 0 by repeated multiplication; 0^0 = 1 by convention. */
export function refPow (a: number, n: number): number {
  checkByte(a)
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`exponent must be a non-negative integer: ${n}`)
  let result = 1
  for (let i = 0; i < n; i++) result = refMul(result, a)
  return result
}

/**
 * Multiplicative inverse. The non-zero elements form a group of order 255, so
 * a^255 = 1 and a^254 is the inverse. Zero has none.
 */
export function refInv (a: number): number {
  checkByte(a)
  if (a === 0) throw new RangeError('zero has no multiplicative inverse')
  return refPow(a, 254)
}

/** Product of two matrices over the field (rows × shared × cols). */
export function refMatMul (left: number[][], right: number[][]): number[][] {
  const shared = right.length
  const cols = shared === 0 ? 0 : right[0].length
  return left.map((row) => {
    if (row.length !== shared) throw new RangeError('matrix shapes do not match')
    const out = new Array<number>(cols).fill(0)
    for (let c = 0; c < cols; c++) {
      let sum = 0
      for (let i = 0; i < shared; i++) sum ^= refMul(row[i], right[i][c])
      out[c] = sum
    }
    return out
  })
}

/**
 * Inverse of a square matrix by Gauss-Jordan elimination on [A | I]: for each
 * column find a row with a non-zero pivot, swap it up, scale it so the pivot is 1,
 * and clear that column from every other row. When A has become I, the right half
 * is A^-1. No pivot in some column means A is singular.
 */
export function refInvert (matrix: number[][]): number[][] {
  const n = matrix.length
  const work = matrix.map((row, r) => {
    if (row.length !== n) throw new RangeError('matrix is not square')
    const identity = new Array<number>(n).fill(0)
    identity[r] = 1
    return [...row, ...identity]
  })
  for (let col = 0; col < n; col++) {
    let pivot = col
    while (pivot < n && work[pivot][col] === 0) pivot++
    if (pivot === n) throw new Error('matrix is singular')
    ;[work[col], work[pivot]] = [work[pivot], work[col]]
    const scale = refInv(work[col][col])
    work[col] = work[col].map((v) => refMul(v, scale))
    for (let r = 0; r < n; r++) {
      const factor = work[r][col]
      if (r === col || factor === 0) continue
      work[r] = work[r].map((v, c) => v ^ refMul(factor, work[col][c]))
    }
  }
  return work.map((row) => row.slice(n))
}

function checkCounts (k: number, m: number): void {
  if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 0 || k + m > 256) {
    throw new RangeError(`bad shard counts: k=${k}, m=${m}`)
  }
}

/**
 * The systematic encoding matrix, (k+m) rows × k columns. Start from the
 * Vandermonde matrix V[r][c] = r^c over the distinct field elements r = 0..k+m-1
 * (any k of its rows are independent), then multiply on the right by the inverse of
 * its top k×k block. That keeps every k rows independent and makes the top block
 * the identity, so data shards pass through unchanged and the rest are parity.
 */
export function refEncodingMatrix (k: number, m: number): number[][] {
  checkCounts(k, m)
  // Building a big matrix takes seconds here, so each is built once and copied out.
  let matrix = matrixCache.get(`${k}+${m}`)
  if (matrix === undefined) {
    matrix = buildEncodingMatrix(k, m)
    matrixCache.set(`${k}+${m}`, matrix)
  }
  return matrix.map((row) => row.slice())
}

const matrixCache = new Map<string, number[][]>()

function buildEncodingMatrix (k: number, m: number): number[][] {
  const vandermonde: number[][] = []
  for (let r = 0; r < k + m; r++) {
    const row: number[] = []
    for (let c = 0; c < k; c++) row.push(refPow(r, c))
    vandermonde.push(row)
  }
  return refMatMul(vandermonde, refInvert(vandermonde.slice(0, k)))
}

/** out[j] = sum over i of coefficients[i] * inputs[i][j], one byte at a time. */
function combine (coefficients: number[], inputs: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let j = 0; j < size; j++) {
    let sum = 0
    for (let i = 0; i < inputs.length; i++) sum ^= refMul(coefficients[i], inputs[i][j])
    out[j] = sum
  }
  return out
}

function commonSize (shards: Array<Uint8Array | null>): number {
  let size = -1
  for (const shard of shards) {
    if (shard == null) continue
    if (size === -1) size = shard.length
    else if (shard.length !== size) throw new RangeError('shards differ in length')
  }
  return size
}

/** The m parity shards of k equal-length data shards: rows k..k+m-1 of the encoding matrix. */
export function refEncode (k: number, m: number, data: Uint8Array[]): Uint8Array[] {
  checkCounts(k, m)
  if (data.length !== k) throw new RangeError(`expected ${k} data shards, got ${data.length}`)
  const size = commonSize(data)
  const matrix = refEncodingMatrix(k, m)
  return matrix.slice(k).map((row) => combine(row, data, size))
}

/**
 * The k data shards from any k of the k+m shards (null = missing). The present
 * shards are the encoding-matrix rows of their indices times the data, so the data
 * is the inverse of that k×k sub-matrix times the present shards.
 */
export function refDecode (k: number, m: number, shards: Array<Uint8Array | null>): Uint8Array[] {
  checkCounts(k, m)
  if (shards.length !== k + m) throw new RangeError(`expected ${k + m} shards, got ${shards.length}`)
  const present: number[] = []
  shards.forEach((shard, i) => { if (shard != null) present.push(i) })
  if (present.length < k) throw new RangeError(`too few shards: need ${k}, have ${present.length}`)
  const chosen = present.slice(0, k)
  const size = commonSize(shards)
  const matrix = refEncodingMatrix(k, m)
  const decode = refInvert(chosen.map((i) => matrix[i]))
  const inputs = chosen.map((i) => shards[i] as Uint8Array)
  return decode.map((row) => combine(row, inputs, size))
}
