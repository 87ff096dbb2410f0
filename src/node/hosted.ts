/**
 * The blocks this node holds for other peers: its shard store seen through
 * their leases. A remote store grants a lease, a renew extends it, a delete
 * or a collection ends it; a block this node stores for itself (through its
 * local holder) is its own and carries none, so it is never collected.
 */

import { DEFAULT_LEASE_MS } from './constants.js'
import type { LeaseTable } from '../store/leases.js'
import type { ShardStore } from '../store/types.js'
import type { Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export class HostedBlocks {
  constructor (private readonly store: ShardStore, private readonly leases: LeaseTable, private readonly log: Logger) {}

  /** A block another peer stores here: kept for its lease, unless this node already held it as its own. */
  async put (cid: CID, bytes: Uint8Array, options: { owner?: string, signal?: AbortSignal, owned?: boolean, leaseMs?: number }): Promise<void> {
    const own = this.leases.expiresAt(cid) === undefined && await this.store.has(cid, options)
    await this.store.put(cid, bytes, options)
    if (!own) this.leases.extend([cid], Date.now() + (options.leaseMs ?? DEFAULT_LEASE_MS))
  }

  /** Extends the leases of the blocks held here (own blocks keep none); says which are held. */
  async renew (cids: CID[], leaseMs: number, options: { signal?: AbortSignal }): Promise<boolean[]> {
    const held = await Promise.all(cids.map(async cid => await this.store.has(cid, options)))
    this.leases.extend(cids.filter((cid, i) => held[i] && this.leases.expiresAt(cid) !== undefined), Date.now() + leaseMs)
    return held
  }

  async delete (cid: CID, options: { owner?: string, signal?: AbortSignal }): Promise<boolean> {
    const deleted = await this.store.delete(cid, options)
    this.leases.remove(cid)
    return deleted
  }

  /** The block is this node's own now: a lease another peer's store left on it goes. */
  claim (cid: CID): void {
    this.leases.remove(cid)
  }

  /** Deletes the blocks whose lease ran out; resolves with how many. */
  async collectExpired (): Promise<number> {
    let collected = 0
    for (const cid of this.leases.expired(Date.now())) {
      try {
        if (await this.store.delete(cid, { force: true })) collected++
        this.leases.remove(cid)
      } catch (err) {
        this.log.error('collecting %s failed: %s', cid, (err as Error).message)
      }
    }
    if (collected > 0) this.log('collected %d blocks whose lease ran out', collected)
    return collected
  }
}
