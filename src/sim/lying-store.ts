/**
 * A shard store the simulation can turn into a liar: once `startLying()` is
 * called it drops every block it holds yet keeps saying it has them, and it
 * acknowledges new stores without keeping the bytes. Until then it is the
 * memory store it wraps, call for call. Only the simulation uses it: it plays
 * the peer that audits exist to catch.
 */

import { ShardNotFoundError } from '../store/errors.js'
import type { CID } from 'multiformats/cid'
import type {
  DeleteOptions, GetOptions, PutOptions, ScrubOptions, ScrubReport, ShardInfo, ShardStore, StoreOptions, StoreStats
} from '../store/types.js'

export class LyingStore implements ShardStore {
  /** Blocks it claims and no longer has. */
  private readonly claimed = new Set<string>()
  private lying = false

  constructor (private readonly inner: ShardStore) {}

  get isLying (): boolean {
    return this.lying
  }

  /** Drops every block held, keeps claiming them; from now on acknowledges stores and keeps nothing. Returns the blocks dropped. */
  async startLying (): Promise<CID[]> {
    this.lying = true
    const dropped: CID[] = []
    for await (const info of this.inner.list()) dropped.push(info.cid)
    for (const cid of dropped) {
      this.claimed.add(cid.toString())
      await this.inner.delete(cid, { force: true })
    }
    return dropped
  }

  async start (): Promise<void> { await this.inner.start() }
  async stop (): Promise<void> { await this.inner.stop() }

  async put (cid: CID, bytes: Uint8Array, options?: PutOptions): Promise<void> {
    if (!this.lying) {
      await this.inner.put(cid, bytes, options)
      return
    }
    this.claimed.add(cid.toString())
  }

  async get (cid: CID, options?: GetOptions): Promise<Uint8Array> {
    if (this.claimed.has(cid.toString())) throw new ShardNotFoundError(cid)
    return await this.inner.get(cid, options)
  }

  async has (cid: CID, options?: StoreOptions): Promise<boolean> {
    return this.claimed.has(cid.toString()) || await this.inner.has(cid, options)
  }

  async stat (cid: CID, options?: StoreOptions): Promise<ShardInfo> {
    return await this.inner.stat(cid, options)
  }

  async delete (cid: CID, options?: DeleteOptions): Promise<boolean> {
    const claimed = this.claimed.delete(cid.toString())
    return await this.inner.delete(cid, options) || claimed
  }

  list (options?: StoreOptions): AsyncIterable<ShardInfo> {
    return this.inner.list(options)
  }

  async stats (options?: StoreOptions): Promise<StoreStats> {
    return await this.inner.stats(options)
  }

  async scrub (options?: ScrubOptions): Promise<ScrubReport> {
    return await this.inner.scrub(options)
  }
}
