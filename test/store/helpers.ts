/** Seeded shard bytes and their CIDs for the store tests. */
import { shardCid } from '../../src/format/cid.js'
import type { CID } from 'multiformats/cid'

/** mulberry32: a small seeded PRNG, so a failure replays exactly. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function seededBytes (seed: number, length: number): Uint8Array {
  const next = prng(seed)
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256)
  return out
}

export interface TestShard {
  cid: CID
  bytes: Uint8Array
}

export async function makeShard (seed: number, length: number): Promise<TestShard> {
  const bytes = seededBytes(seed, length)
  return { cid: await shardCid(bytes), bytes }
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection (p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p
  } catch (err) {
    return err as Error & Record<string, unknown>
  }
  throw new Error('expected a rejection, the call resolved')
}

export async function collect<T> (it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

/**
 * Byte equality that stays fast on MiB-sized arrays (vitest's toEqual walks them
 * element by element), reporting the first differing index.
 */
export function sameBytes (actual: Uint8Array, expected: Uint8Array): { length: number, firstDifference: number } {
  const n = Math.min(actual.byteLength, expected.byteLength)
  let firstDifference = -1
  if (!Buffer.from(actual.buffer, actual.byteOffset, n).equals(Buffer.from(expected.buffer, expected.byteOffset, n))) {
    firstDifference = actual.findIndex((b, i) => b !== expected[i])
  } else if (actual.byteLength !== expected.byteLength) {
    firstDifference = n
  }
  return { length: actual.byteLength - expected.byteLength, firstDifference }
}

/** { length: 0, firstDifference: -1 }: what sameBytes gives for equal arrays. */
export const SAME = { length: 0, firstDifference: -1 }
