/** Correctness guards run before timing: a fast wrong codec must not get a number. */

export class BenchCheckError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BenchCheckError'
  }
}

/** Index of the first differing byte, or -1 when equal (lengths must match too). */
export function firstDifference (a: Uint8Array, b: Uint8Array): number {
  if (a.byteLength !== b.byteLength) return Math.min(a.byteLength, b.byteLength)
  if (Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))) return -1
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return i
  return -1
}

/** Throws unless `actual[i]` equals `expected[i]` for each listed index. */
export function expectShards (what: string, indices: readonly number[], actual: ArrayLike<Uint8Array | null | undefined>, expected: ArrayLike<Uint8Array>): void {
  for (const i of indices) {
    const a = actual[i]
    if (a == null) throw new BenchCheckError(`${what}: shard ${i} is missing from the result`)
    const at = firstDifference(a, expected[i])
    if (at !== -1) {
      throw new BenchCheckError(`${what}: shard ${i} differs at byte ${at} (length ${a.byteLength}, expected ${expected[i].byteLength})`)
    }
  }
}

/** A copy that shares nothing with the source (safe against later in-place writes). */
export function copyShards (shards: readonly Uint8Array[]): Uint8Array[] {
  return shards.map(s => s.slice())
}

export function range (from: number, to: number): number[] {
  const out: number[] = []
  for (let i = from; i < to; i++) out.push(i)
  return out
}
