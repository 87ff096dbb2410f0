/**
 * What bench/network.ts (the orchestrator) and bench/lib/net-peer.ts (one
 * peer process) share: the command/answer lines between them, the bench-only
 * raw stream protocol, the deterministic file bytes and size parsing.
 */
import { createCipheriv, createHash } from 'node:crypto'
import { KiB, MiB } from './workload.js'

export { KiB, MiB }
export const GiB = 1024 * MiB

/**
 * Bench-only protocol registered by every storage peer: one stream carries
 * one JSON frame `{ op: 'pull' | 'push', bytes, timeoutMs }`, then `pull`
 * makes the peer send `bytes` bytes (writeAll, then close); `push` makes it
 * answer a frame `{ ready: true }` once its reader is attached, read to the
 * end, and answer one frame `{ bytes }` with what it received.
 */
export const RAW_PROTOCOL = '/shoal-bench/raw/1.0.0'

/** Chunks of the generated file, handed to `put` one by one. */
export const SOURCE_CHUNK_BYTES = 1 * MiB

/** How a child is configured: one JSON argument on its command line. */
export interface PeerConfig {
  /** 'storage' offers its store and serves the raw protocol; 'client' (putter, getter) stores nothing. */
  role: 'storage' | 'client'
  /** Name in messages and errors: `peer-0`, `putter`, ... */
  name: string
  /** Data directory (storage peers: filesystem store). */
  dir?: string
  capacityBytes: number
  bootstrap: string[]
}

export type Command =
  | { cmd: 'wait-peers', count: number, timeoutMs: number }
  /** One stream to each of `peers`, all at once, moving `bytes` in total split evenly among them. */
  | { cmd: 'raw-pull', peers: string[], bytes: number, timeoutMs: number }
  | { cmd: 'raw-push', peers: string[], bytes: number, timeoutMs: number }
  | { cmd: 'put', size: number, seed: number, dataShards: number, parityShards: number, encrypt: boolean, stripeBytes?: number, timeoutMs: number }
  | { cmd: 'get', handle: string, timeoutMs: number }
  | { cmd: 'hash', size: number, seed: number }
  | { cmd: 'usage' }
  | { cmd: 'exit' }

/** CPU seconds (user + system) a process spent during an operation. */
export interface CpuSeconds {
  user: number
  system: number
}

/** What every timed operation reports. */
export interface OpReport {
  /** wall time of the operation, seconds */
  seconds: number
  /** bytes moved (file bytes for put/get) */
  bytes: number
  cpu: CpuSeconds
  /** largest RSS sampled every 50 ms during the operation, bytes */
  peakRss: number
  /** RSS just before the operation, bytes */
  startRss: number
  /** start and end on the monotonic clock in µs (the time base of --cpu-prof profiles), to cut a profile to the operation */
  clockUs: [number, number]
}

export interface PutReport extends OpReport {
  handle: string
  holders: string[]
  /** seconds from the start of put to the placement event (peer discovery + capacity queries) */
  placementSeconds?: number
  /** seconds from the start of put to the manifest event (all shards stored) */
  shardsSeconds?: number
}

export interface GetReport extends OpReport {
  sha256: string
  /** seconds spent in hash.update on the received bytes (bench overhead inside the get loop) */
  hashSeconds: number
  /** seconds from the start of get to the manifest event */
  manifestSeconds?: number
  /** seconds from the start of get to its first byte */
  firstByteSeconds?: number
}

export interface UsageReport {
  /** process.resourceUsage().maxRSS, in bytes: the peak of the whole process life */
  maxRss: number
  rss: number
  cpu: CpuSeconds
}

export type Answer =
  | { type: 'ready', name: string, peerId: string, addrs: string[], pid: number }
  | { type: 'ok', cmd: string, result: unknown }
  | { type: 'error', cmd: string, name: string, message: string }

/**
 * The file: AES-128-CTR keystream under a key derived from `seed`, cut into
 * SOURCE_CHUNK_BYTES chunks. Deterministic, incompressible, a few GB/s to
 * generate, and never more than one chunk in memory.
 */
export function * fileBytes (size: number, seed: number, chunkBytes = SOURCE_CHUNK_BYTES): Generator<Uint8Array> {
  const key = createHash('sha256').update(`shoal-bench-file:${seed}`).digest().subarray(0, 16)
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  const zeros = Buffer.alloc(Math.min(chunkBytes, Math.max(size, 1)))
  for (let left = size; left > 0; left -= chunkBytes) {
    const n = Math.min(left, chunkBytes)
    yield cipher.update(n === zeros.length ? zeros : zeros.subarray(0, n))
  }
}

/** sha256 (hex) of fileBytes(size, seed). */
export function fileSha256 (size: number, seed: number): string {
  const hash = createHash('sha256')
  for (const chunk of fileBytes(size, seed)) hash.update(chunk)
  return hash.digest('hex')
}

/** `256MiB`, `2GiB`, `32M`, `1000000` (bytes). */
export function parseSize (text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(text)
  if (m === null) throw new Error(`not a size: ${JSON.stringify(text)} (examples: 256MiB, 2GiB, 1000000)`)
  const unit = (m[2] ?? 'b').toLowerCase()
  const scale = unit.startsWith('k') ? KiB : unit.startsWith('m') ? MiB : unit.startsWith('g') ? GiB : 1
  const bytes = Math.round(Number(m[1]) * scale)
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new Error(`size must be positive: ${JSON.stringify(text)}`)
  return bytes
}

/** `256 MiB`, `2 GiB`, `1.5 MiB`. */
export function formatBytes (bytes: number): string {
  if (bytes >= GiB && bytes % (GiB / 4) === 0) return `${bytes / GiB} GiB`
  if (bytes >= MiB) return `${Number((bytes / MiB).toFixed(1))} MiB`
  if (bytes >= KiB) return `${Number((bytes / KiB).toFixed(1))} KiB`
  return `${bytes} B`
}

/** MiB/s of `bytes` in `seconds`. */
export function mibps (bytes: number, seconds: number): number {
  return bytes / MiB / seconds
}
