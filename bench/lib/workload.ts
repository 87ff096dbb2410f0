/**
 * The benchmark's workloads: shard geometries, case names, and the
 * deterministic input bytes every implementation receives.
 */

export type Operation = 'encode' | 'reconstruct'

export interface Geometry {
  dataShards: number
  parityShards: number
  /** bytes per shard */
  shardBytes: number
  /** also measure the scalar kernel on this geometry (it is the slow twin, so not everywhere) */
  scalar: boolean
}

export interface Workload extends Geometry {
  op: Operation
  /** `encode 10x4 1MiB` */
  name: string
  /** indices of the shards dropped before reconstruct: the first `parityShards` data shards (worst case) */
  lost: number[]
  /** data bytes one call processes: dataShards × shardBytes */
  dataBytes: number
}

export const KiB = 1024
export const MiB = 1024 * 1024

export const GEOMETRIES: readonly Geometry[] = [
  { dataShards: 10, parityShards: 4, shardBytes: 1 * MiB, scalar: true },
  { dataShards: 4, parityShards: 2, shardBytes: 1 * MiB, scalar: false },
  { dataShards: 10, parityShards: 4, shardBytes: 64 * KiB, scalar: true },
  { dataShards: 17, parityShards: 3, shardBytes: 256 * KiB, scalar: false },
  { dataShards: 32, parityShards: 8, shardBytes: 1 * MiB, scalar: false }
]

/** `1MiB`, `64KiB`, `4096B` */
export function formatSize (bytes: number): string {
  if (bytes % MiB === 0) return `${bytes / MiB}MiB`
  if (bytes % KiB === 0) return `${bytes / KiB}KiB`
  return `${bytes}B`
}

export function workload (op: Operation, g: Geometry): Workload {
  const lost: number[] = []
  for (let i = 0; i < g.parityShards; i++) lost.push(i)
  return {
    ...g,
    op,
    name: `${op} ${g.dataShards}x${g.parityShards} ${formatSize(g.shardBytes)}`,
    lost,
    dataBytes: g.dataShards * g.shardBytes
  }
}

/** Every case, encodes first, then reconstructs, in GEOMETRIES order. */
export function allWorkloads (): Workload[] {
  const ops: Operation[] = ['encode', 'reconstruct']
  return ops.flatMap(op => GEOMETRIES.map(g => workload(op, g)))
}

/**
 * `dataShards` arrays of `shardBytes` pseudo-random bytes (mulberry32), the
 * same for a given geometry and seed on every run and machine.
 */
export function makeData (g: Geometry, seed = 0x5ea1): Uint8Array[] {
  let state = (seed ^ (g.dataShards << 24) ^ (g.parityShards << 16) ^ g.shardBytes) >>> 0
  const shards: Uint8Array[] = []
  for (let s = 0; s < g.dataShards; s++) {
    const words = new Uint32Array(Math.ceil(g.shardBytes / 4))
    for (let i = 0; i < words.length; i++) {
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      words[i] = (t ^ (t >>> 14)) >>> 0
    }
    shards.push(new Uint8Array(words.buffer, 0, g.shardBytes))
  }
  return shards
}
