/**
 * Leases: how long this node keeps each block it stores for other peers.
 *
 * A remote store grants a lease; a renew (from the node that stored the block,
 * during its periodic check) pushes the expiry further; a block whose lease ran
 * out is garbage-collected, so a dead uploader does not fill the network
 * forever. A lease is only ever extended: when several peers store or renew the
 * same block, the latest expiry holds. Blocks with no lease (this node's own,
 * stored through its local holder) are never collected.
 *
 * The table lives in memory and, given a datastore (the node's LevelDB in its
 * data directory), is written through to it under /shoal/leases/<cid>, so a
 * restarted node keeps its leases. Expiries are wall-clock ms since the epoch.
 */

import { Key } from 'interface-datastore'
import { CID } from 'multiformats/cid'
import type { Datastore } from 'interface-datastore'

const PREFIX = '/shoal/leases/'

export class LeaseTable {
  private readonly expiry = new Map<string, number>()

  constructor (private readonly datastore?: Datastore) {}

  /** Loads the leases saved in the datastore. */
  async load (): Promise<void> {
    if (this.datastore === undefined) return
    for await (const { key, value } of this.datastore.query({ prefix: PREFIX })) {
      const until = Number(new TextDecoder().decode(value))
      if (Number.isSafeInteger(until)) this.expiry.set(key.toString().slice(PREFIX.length), until)
    }
  }

  get size (): number {
    return this.expiry.size
  }

  /** When the lease of `cid` runs out, or undefined when it has none. */
  expiresAt (cid: CID): number | undefined {
    return this.expiry.get(cid.toString())
  }

  /** Sets the leases of `cids` to at least `until`; writes the changed ones through in one batch. */
  async extend (cids: CID[], until: number): Promise<void> {
    const changed: string[] = []
    for (const cid of cids) {
      const key = cid.toString()
      if ((this.expiry.get(key) ?? -Infinity) < until) {
        this.expiry.set(key, until)
        changed.push(key)
      }
    }
    if (this.datastore === undefined || changed.length === 0) return
    const batch = this.datastore.batch()
    const value = new TextEncoder().encode(String(until))
    for (const key of changed) batch.put(new Key(PREFIX + key), value)
    await batch.commit()
  }

  /** Forgets the lease of `cid` (the block is gone, or is now this node's own). */
  async remove (cid: CID): Promise<void> {
    const key = cid.toString()
    if (!this.expiry.delete(key)) return
    await this.datastore?.delete(new Key(PREFIX + key))
  }

  /** Blocks whose lease ran out before `now`, at most `limit` of them. */
  expired (now: number, limit = Infinity): CID[] {
    const out: CID[] = []
    for (const [key, until] of this.expiry) {
      if (out.length >= limit) break
      if (until < now) out.push(CID.parse(key))
    }
    return out
  }
}
