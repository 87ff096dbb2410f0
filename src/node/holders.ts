/**
 * A holder is a peer that stores shards, seen through one interface whether it
 * is this node (its own store) or a remote peer (a shard session over libp2p).
 */

import { openShardSession } from '../net/shard-client.js'
import { merkleProof } from '../format/merkle.js'
import type { Announce, AuditAnswer, Dialer, FetchOptions, ShardSession } from '../net/shard-client.js'
import { STREAM_ATTEMPTS } from './constants.js'
import type { ShardStore } from '../store/types.js'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Failures of a stream under a call, as opposed to the peer's answer, a timeout or a dial. */
const RETRIABLE = new Set(['StreamResetError', 'StreamAbortedError', 'StreamClosedError', 'StreamEndedError'])

export interface HolderCallOptions {
  signal?: AbortSignal
  timeoutMs?: number
}

export interface HolderStoreOptions extends HolderCallOptions {
  announce?: Announce
  /** How long a remote holder should keep the block (its lease). */
  leaseMs?: number
}

export interface Holder {
  readonly peerId: string
  store: (cid: CID, bytes: Uint8Array, options?: HolderStoreOptions) => Promise<void>
  fetch: (cid: CID, options?: FetchOptions) => Promise<Uint8Array>
  has: (cids: CID[], options?: HolderCallOptions) => Promise<boolean[]>
  delete: (cid: CID, options?: HolderCallOptions) => Promise<boolean>
  /** Extends the leases of the blocks the holder has; says which it has. */
  renew: (cids: CID[], leaseMs: number, options?: HolderCallOptions) => Promise<boolean[]>
  /** One chunk of a block with its Merkle proof path (unchecked: see audit.ts). */
  audit: (cid: CID, chunkBytes: number, chunk: number, options?: HolderCallOptions) => Promise<AuditAnswer>
  close: () => Promise<void>
}

/** This node's own store, with this node as owner; its blocks have no lease (kept until deleted). */
export class LocalHolder implements Holder {
  /**
   * @param claim called after each store: the block is this node's own now,
   * so a lease another peer's store of the same bytes left on it must go.
   */
  constructor (readonly peerId: string, private readonly shards: ShardStore, private readonly announce: (cid: CID) => Promise<void>, private readonly claim: (cid: CID) => void = () => {}) {}

  async store (cid: CID, bytes: Uint8Array, options: HolderStoreOptions = {}): Promise<void> {
    await this.shards.put(cid, bytes, { owner: this.peerId, signal: options.signal })
    this.claim(cid)
    if (options.announce === 'wait') await this.announce(cid)
    else if (options.announce === 'background') void this.announce(cid)
  }

  async fetch (cid: CID, options: FetchOptions = {}): Promise<Uint8Array> {
    return await this.shards.get(cid, { offset: options.offset, length: options.length, signal: options.signal })
  }

  async has (cids: CID[], options: HolderCallOptions = {}): Promise<boolean[]> {
    return await Promise.all(cids.map(async cid => await this.shards.has(cid, { signal: options.signal })))
  }

  async delete (cid: CID, options: HolderCallOptions = {}): Promise<boolean> {
    return await this.shards.delete(cid, { owner: this.peerId, signal: options.signal })
  }

  async renew (cids: CID[], _leaseMs: number, options: HolderCallOptions = {}): Promise<boolean[]> {
    return await this.has(cids, options)
  }

  async audit (cid: CID, chunkBytes: number, chunk: number, options: HolderCallOptions = {}): Promise<AuditAnswer> {
    const block = await this.shards.get(cid, { signal: options.signal })
    const { chunk: bytes, path } = merkleProof(block, chunkBytes, chunk)
    return { chunk: bytes, path }
  }

  async close (): Promise<void> {}
}

/**
 * A remote peer: one shard session, opened on first use. A session that broke
 * or whose connection closed is replaced. Every operation is idempotent, so a
 * call whose stream is reset, aborted or closed under it (a restarted peer, a
 * stream dropped under load) is tried again on a fresh session, up to
 * STREAM_ATTEMPTS times. Final: the peer's failure statuses, timeouts (a
 * stalled holder should be replaced, not waited for again) and failed dials.
 */
export class RemoteHolder implements Holder {
  readonly peerId: string
  private session: Promise<ShardSession> | null = null

  constructor (private readonly dialer: Dialer, private readonly peer: PeerId) {
    this.peerId = peer.toString()
  }

  private async open (options: HolderCallOptions, fresh: boolean): Promise<{ session: ShardSession, reused: boolean }> {
    if (!fresh && this.session !== null) {
      const current = await this.session.catch(() => null)
      if (current?.usable === true) return { session: current, reused: true }
    }
    const opening = openShardSession(this.dialer, this.peer, options)
    this.session = opening
    return { session: await opening, reused: false }
  }

  private async call<T> (options: HolderCallOptions, work: (session: ShardSession) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const { session } = await this.open(options, attempt > 1)
      try {
        return await work(session)
      } catch (err) {
        if (!RETRIABLE.has((err as Error).name) || options.signal?.aborted === true || attempt >= STREAM_ATTEMPTS) throw err
        await new Promise(resolve => setTimeout(resolve, 100 * attempt))
      }
    }
  }

  async store (cid: CID, bytes: Uint8Array, options: HolderStoreOptions = {}): Promise<void> {
    await this.call(options, async s => { await s.store(cid, bytes, options) })
  }

  async renew (cids: CID[], leaseMs: number, options: HolderCallOptions = {}): Promise<boolean[]> {
    return await this.call(options, async s => await s.renew(cids, leaseMs, options))
  }

  async audit (cid: CID, chunkBytes: number, chunk: number, options: HolderCallOptions = {}): Promise<AuditAnswer> {
    return await this.call(options, async s => await s.audit(cid, chunkBytes, chunk, options))
  }

  async fetch (cid: CID, options: FetchOptions = {}): Promise<Uint8Array> {
    return await this.call(options, async s => await s.fetch(cid, options))
  }

  async has (cids: CID[], options: HolderCallOptions = {}): Promise<boolean[]> {
    return await this.call(options, async s => await s.has(cids, options))
  }

  async delete (cid: CID, options: HolderCallOptions = {}): Promise<boolean> {
    return await this.call(options, async s => await s.delete(cid, options))
  }

  async close (): Promise<void> {
    const session = await this.session?.catch(() => null)
    this.session = null
    await session?.close()
  }
}
