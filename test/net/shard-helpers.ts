/**
 * Shared by the shard-protocol tests: a server node whose shard service sits
 * on a memory store (adapted the way ShoalNode.start() does), seeded blocks,
 * and a raw-stream client that writes arbitrary bytes and records what the
 * server answers and how the stream ends, without the project's StreamReader
 * (which drops buffered answers once a reset arrives).
 */
import { shardCid } from '../../src/format/cid.js'
import { encodeFrameLength, writeAll } from '../../src/net/stream-io.js'
import { shardService, type ShardService, type ShardServiceInit } from '../../src/net/shard-service.js'
import { createMemoryShardStore, type ShardStore, type StoreStats } from '../../src/store/index.js'
import type { Harness } from './helpers.js'
import type { Prng } from '../helpers/prng.js'
import type { ShoalLibp2p } from '../../src/net/libp2p.js'
import type { PeerId, Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export const KiB = 1024
export const MiB = 1024 * KiB

export interface ShardServer {
  node: ShoalLibp2p<{ shard: ShardService }>
  store: ShardStore
  /** CIDs the service asked the backend to announce, in order. */
  announced: string[]
  /** Leases the service passed to the backend (store and renew), in order. */
  leases: Array<{ op: 'store' | 'renew', cids: string[], leaseMs: number | undefined }>
  stats: () => Promise<StoreStats>
}

export interface ShardServerInit extends Partial<Omit<ShardServiceInit, 'backend'>> {
  capacityBytes?: number
  /** Runs when the service announces a CID (after it is recorded in `announced`); default: resolves at once. */
  onAnnounce?: (cid: CID) => Promise<void>
}

/** A started libp2p node with the shard service over a started memory store; both are stopped by `harness.cleanup()`. */
export async function startShardServer (harness: Harness, init: ShardServerInit = {}): Promise<ShardServer> {
  const { capacityBytes, onAnnounce, ...serviceInit } = init
  const store = createMemoryShardStore({ capacityBytes: capacityBytes ?? 8 * MiB })
  await store.start()
  harness.closers.push(async () => { await store.stop() })
  const announced: string[] = []
  const leases: ShardServer['leases'] = []
  const node = await harness.node<{ shard: ShardService }>({
    services: {
      shard: shardService({
        ...serviceInit,
        backend: {
          put: async (cid, bytes, options) => {
            await store.put(cid, bytes, options)
            leases.push({ op: 'store', cids: [cid.toString()], leaseMs: options.leaseMs })
          },
          renew: async (cids, leaseMs, options) => {
            leases.push({ op: 'renew', cids: cids.map(c => c.toString()), leaseMs })
            return await Promise.all(cids.map(async cid => await store.has(cid, options)))
          },
          get: async (cid, options) => await store.get(cid, options),
          has: async (cid, options) => await store.has(cid, options),
          delete: async (cid, options) => await store.delete(cid, options),
          stats: async (options) => await store.stats(options),
          announce: async (cid) => {
            announced.push(cid.toString())
            await onAnnounce?.(cid)
          }
        }
      })
    }
  })
  return { node, store, announced, leases, stats: async () => await store.stats() }
}

export interface Block {
  cid: CID
  bytes: Uint8Array
}

export async function makeBlock (rand: Prng, size: number): Promise<Block> {
  const bytes = rand.bytes(size)
  return { cid: await shardCid(bytes), bytes }
}

export function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}

const enc = new TextEncoder()

/** One length-prefixed frame: the varint and the body, as separate chunks. */
export function frame (body: Uint8Array | string | object): Uint8Array[] {
  const bytes = body instanceof Uint8Array ? body : enc.encode(typeof body === 'string' ? body : JSON.stringify(body))
  return [encodeFrameLength(bytes.byteLength), bytes]
}

export interface RawOutcome {
  /** Whole frames the server sent, JSON-decoded. */
  frames: any[]
  /** Bytes after the last whole frame. */
  trailing: number
  /**
   * How the stream ended: 'reset' (the server aborted it), 'ended' (the server
   * closed its side cleanly), 'local' (we reset it ourselves), 'open' (nothing
   * happened within the wait).
   */
  end: 'reset' | 'ended' | 'local' | 'open'
}

export interface RawOptions {
  /** Close our writable end after the bytes. */
  closeWrite?: boolean
  /** Reset the stream right after the bytes. */
  reset?: boolean
  /** Longest wait for the server to end the stream. Default 5 s. */
  waitMs?: number
}

/** Splits received bytes into varint-prefixed JSON frames. */
function parseFrames (bytes: Buffer): { frames: any[], trailing: number } {
  const frames: any[] = []
  let pos = 0
  while (pos < bytes.length) {
    let length = 0
    let shift = 0
    let p = pos
    let complete = false
    while (p < bytes.length && shift < 56) {
      const b = bytes[p++]
      length += (b & 0x7f) * 2 ** shift
      shift += 7
      if ((b & 0x80) === 0) { complete = true; break }
    }
    if (!complete || p + length > bytes.length) break
    const body = bytes.subarray(p, p + length).toString('utf8')
    try { frames.push(JSON.parse(body)) } catch { frames.push({ unparsable: body }) }
    pos = p + length
  }
  return { frames, trailing: bytes.length - pos }
}

/** A raw stream: write anything, close or reset when you like, and collect what the server sends. */
export class RawStream {
  private readonly chunks: Uint8Array[] = []
  private readonly ended: Promise<'reset' | 'ended'>

  constructor (readonly stream: Stream) {
    this.ended = new Promise((resolve) => {
      stream.addEventListener('message', (evt) => { this.chunks.push(evt.data.slice()) })
      stream.addEventListener('close', (evt) => { resolve(evt.error != null || stream.status === 'reset' ? 'reset' : 'ended') })
      // the server closed its side: give a reset that follows it a moment to arrive
      stream.addEventListener('end', () => { setTimeout(() => { resolve(stream.status === 'reset' ? 'reset' : 'ended') }, 100) })
    })
  }

  /** Writes the bytes; the server may reset the stream before all are out, which is an outcome, not a failure. */
  async write (chunks: Uint8Array[]): Promise<void> {
    await writeAll(this.stream, chunks, { timeoutMs: 5_000 }).catch(() => {})
  }

  async closeWrite (): Promise<void> {
    await this.stream.close({ signal: AbortSignal.timeout(5_000) }).catch(() => {})
  }

  /** What the server sent so far. */
  received (): { frames: any[], trailing: number } {
    return parseFrames(Buffer.concat(this.chunks))
  }

  /** Waits (at most `waitMs`) for the server to end the stream, then makes sure it is closed. */
  async outcome (waitMs = 5_000): Promise<RawOutcome> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<'open'>((resolve) => { timer = setTimeout(() => { resolve('open') }, waitMs) })
    try {
      const end = await Promise.race([this.ended, timeout])
      return { ...this.received(), end }
    } finally {
      clearTimeout(timer)
      this.abort()
    }
  }

  abort (): void {
    if (this.stream.status === 'open') this.stream.abort(new Error('raw stream done'))
  }
}

export async function openRaw (dialer: ShoalLibp2p<any>, peer: PeerId, protocol: string): Promise<RawStream> {
  return new RawStream(await dialer.dialProtocol(peer, protocol, { signal: AbortSignal.timeout(5_000) }))
}

/**
 * Opens a raw stream of `protocol`, writes `chunks`, optionally closes or
 * resets it, and collects every byte the server sends until the stream ends.
 * The stream is always closed or aborted before this resolves.
 */
export async function rawExchange (dialer: ShoalLibp2p<any>, peer: PeerId, protocol: string, chunks: Uint8Array[], options: RawOptions = {}): Promise<RawOutcome> {
  const raw = await openRaw(dialer, peer, protocol)
  try {
    await raw.write(chunks)
    if (options.reset === true) {
      raw.abort()
      return { ...raw.received(), end: 'local' }
    }
    if (options.closeWrite === true) await raw.closeWrite()
    return await raw.outcome(options.waitMs)
  } finally {
    raw.abort()
  }
}
