/** Deterministic data and small utilities shared by the codec tests. */
import { expect } from 'vitest'

/** xorshift32: a tiny seeded generator of uint32s (never seeded with 0). */
export function prng (seed: number): () => number {
  let x = (seed >>> 0) || 0x9e3779b9
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
}

/** An integer in [0, n). */
export function below (rand: () => number, n: number): number {
  return rand() % n
}

export function randomBytes (rand: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let i = 0
  for (; i + 4 <= length; i += 4) {
    const v = rand()
    out[i] = v; out[i + 1] = v >>> 8; out[i + 2] = v >>> 16; out[i + 3] = v >>> 24
  }
  for (; i < length; i++) out[i] = rand()
  return out
}

/** k random data shards followed by m zeroed parity shards. */
export function randomShards (rand: () => number, k: number, m: number, size: number): Uint8Array[] {
  return [
    ...Array.from({ length: k }, () => randomBytes(rand, size)),
    ...Array.from({ length: m }, () => new Uint8Array(size))
  ]
}

export function copyShards<T extends Uint8Array | null> (shards: T[]): T[] {
  return shards.map((s) => (s === null ? s : s.slice()) as T)
}

/** `count` distinct indices of [0, total), in random order (partial Fisher-Yates). */
export function pickIndices (rand: () => number, total: number, count: number): number[] {
  const all = Array.from({ length: total }, (_, i) => i)
  for (let i = 0; i < count; i++) {
    const j = i + below(rand, total - i)
    ;[all[i], all[j]] = [all[j], all[i]]
  }
  return all.slice(0, count)
}

/** Byte equality with a readable failure (the first differing shard and offset) instead of a huge diff. */
export function expectSameShards (actual: Array<Uint8Array | null>, expected: Array<Uint8Array | null>, label = ''): void {
  expect(actual.length, `${label} shard count`).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]
    const e = expected[i]
    if (e === null || a === null) {
      expect(a, `${label} shard ${i} presence`).toBe(e)
      continue
    }
    expect(a instanceof Uint8Array, `${label} shard ${i} is a Uint8Array`).toBe(true)
    expect(a.length, `${label} shard ${i} length`).toBe(e.length)
    const at = firstDifference(a, e)
    expect(at, `${label} shard ${i}: first differing byte`).toBe(-1)
  }
}

export function firstDifference (a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length)
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) return -1
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i
  return -1
}

/** Runs `fn` and returns what it threw (fails the test if it returned). */
export function thrown (fn: () => unknown): Error & Record<string, unknown> {
  try {
    fn()
  } catch (err) {
    return err as Error & Record<string, unknown>
  }
  expect.fail('expected a throw')
}

/** Awaits `promise` and returns its rejection (fails the test if it resolved). */
export async function rejected (promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise
  } catch (err) {
    return err as Error & Record<string, unknown>
  }
  expect.fail('expected a rejection')
}
