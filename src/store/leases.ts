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
 * data directory), is written behind to it under /shoal/leases/<cid>: changes
 * gather for FLUSH_DELAY_MS and go out in one batch (a put of a thousand
 * blocks is one LevelDB write, not a thousand), and `flush()` at stop writes
 * what is left. A crash may lose the last changes; a block whose lease was
 * lost that way has no lease and is kept, which errs on the safe side.
 * Expiries are wall-clock ms since the epoch.
 */

import { logger } from '@libp2p/logger'
import { Key } from 'interface-datastore'
import { CID } from 'multiformats/cid'
import type { Datastore } from 'interface-datastore'

const log = logger('shoal:store:leases')
const PREFIX = '/shoal/leases/'
/** How long changes gather before they are written. */
const FLUSH_DELAY_MS = 100

export class LeaseTable {
  private readonly expiry = new Map<string, number>()
  /** Keys changed since the last write (their value in `expiry`, or gone: delete). */
  private readonly dirty = new Set<string>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private writing: Promise<void> = Promise.resolve()

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

  /** Sets the leases of `cids` to at least `until`. */
  extend (cids: CID[], until: number): void {
    for (const cid of cids) {
      const key = cid.toString()
      if ((this.expiry.get(key) ?? -Infinity) < until) {
        this.expiry.set(key, until)
        this.changed(key)
      }
    }
  }

  /** Forgets the lease of `cid` (the block is gone). */
  remove (cid: CID): void {
    const key = cid.toString()
    if (this.expiry.delete(key)) this.changed(key)
  }

  private changed (key: string): void {
    if (this.datastore === undefined) return
    this.dirty.add(key)
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.flush().catch(err => { log.error('writing %d lease changes failed: %s', this.dirty.size, (err as Error).message) })
      }, FLUSH_DELAY_MS)
      this.timer.unref()
    }
  }

  /** Writes the changes not yet written, in one batch; resolves when they are durable in the datastore. */
  async flush (): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const datastore = this.datastore
    if (datastore === undefined || this.dirty.size === 0) {
      await this.writing
      return
    }
    const keys = [...this.dirty]
    this.dirty.clear()
    const batch = datastore.batch()
    const encoder = new TextEncoder()
    for (const key of keys) {
      const until = this.expiry.get(key)
      if (until === undefined) batch.delete(new Key(PREFIX + key))
      else batch.put(new Key(PREFIX + key), encoder.encode(String(until)))
    }
    // writes go out in order, so a later batch never lands before an earlier one
    this.writing = this.writing.catch(() => {}).then(async () => {
      try {
        await batch.commit()
      } catch (err) {
        // not lost: the next change, or the flush at stop, writes them again
        for (const key of keys) this.dirty.add(key)
        throw err
      }
    })
    await this.writing
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
