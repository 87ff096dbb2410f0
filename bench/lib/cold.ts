/**
 * Cold cases: the same workload on many independent shard sets, called in
 * rotation, so that each call finds its shards in main memory rather than in
 * the caches. The plain cases reuse one set of shards, which after the first
 * call sits in the last-level cache (14 MiB for 10+4 @ 1 MiB, against 480 MiB
 * of L3 reported here); a storage node encodes bytes that have just streamed
 * in from the network or disk, and the anchors' own benchmark (ronomon's
 * benchmark.js) walks 40 sample regions of one large buffer. Each copy is a
 * subject of its own (its own codec, arena or buffers), built exactly as the
 * hot case builds it.
 */
import { BenchCheckError, expectShards, range } from './check.js'
import { MiB } from './workload.js'
import type { Call, Subject } from './measure.js'
import type { Geometry } from './workload.js'

export const COLD_CASE_PREFIX = 'cold '

/**
 * Bytes of shards (data and parity) a cold case rotates over: beyond the
 * reported L3, and small enough that every implementation's copies fit in
 * memory. A shoal copy is one wasm memory (an arena); V8 reserves address
 * space for each, so copies are also capped at COLD_MAX_COPIES.
 */
export const COLD_WORKING_SET_BYTES = 560 * MiB
export const COLD_MAX_COPIES = 96

/** Geometries measured cold: the 1 MiB ones the anchors name (64 KiB would need thousands of copies). */
export function coldGeometry (g: Geometry): boolean {
  return g.shardBytes >= MiB && g.dataShards + g.parityShards <= 16
}

export function coldCopies (g: Geometry): number {
  const setBytes = (g.dataShards + g.parityShards) * g.shardBytes
  return Math.min(COLD_MAX_COPIES, Math.max(2, Math.ceil(COLD_WORKING_SET_BYTES / setBytes)))
}

/**
 * One subject that runs `copies` in turn, one call each. Its check runs every
 * copy's own check (so every copy's pages are touched before timing) and
 * requires them to agree on the parity.
 */
export function rotating (copies: readonly Subject[]): Subject {
  if (copies.length === 0) throw new BenchCheckError('rotating: no copies')
  const first = copies[0]
  let next = 0
  const pick = (): Subject => {
    const c = copies[next]
    next = next + 1 === copies.length ? 0 : next + 1
    return c
  }
  const verify = async (): Promise<Uint8Array[] | undefined> => {
    const parity = await first.verify()
    for (let j = 1; j < copies.length; j++) {
      const p = await copies[j].verify()
      if (p !== undefined && parity !== undefined) expectShards(`${first.impl}: parity of copy ${j} vs copy 0`, range(0, parity.length), p, parity)
    }
    return parity
  }
  const call: Call = first.call.kind === 'sync'
    ? { kind: 'sync', run: () => { (pick().call.run as () => void)() } }
    : { kind: 'async', run: async () => { await pick().call.run() } }
  return {
    impl: first.impl,
    ...(first.kernel !== undefined ? { kernel: first.kernel } : {}),
    verify,
    call,
    close: async () => { for (const c of copies) await c.close?.() }
  }
}
