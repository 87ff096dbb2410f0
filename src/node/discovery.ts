/**
 * How a node finds storage peers and is found: DHT announcements (provide),
 * DHT lookups (findProviders), the set of storage peers (identify's protocol
 * lists plus providers of the storage key), and their capacity answers.
 */

import { setMaxListeners } from 'node:events'
import { peerIdFromString } from '@libp2p/peer-id'
import { sha256Sync, shardCidFromDigest } from '../format/cid.js'
import { queryCapacity } from '../net/shard-client.js'
import { ANNOUNCE_TIMEOUT_MS, SHARD_PROTOCOL } from '../net/shard-messages.js'
import { CAPACITY_GRACE_MS, CAPACITY_TIMEOUT_MS, DISCOVERY_TIMEOUT_MS, PROVIDER_CACHE_MS, STORAGE_PROVIDER_KEY } from './constants.js'
import type { ProgressOptions } from './events.js'
import type { ShoalLibp2p } from '../net/libp2p.js'
import type { CapacityInfo } from '../net/shard-messages.js'
import type { ShardService } from '../net/shard-service.js'
import type { Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** The DHT key storage peers provide. */
export const STORAGE_PROVIDER_CID: CID = shardCidFromDigest(sha256Sync(new TextEncoder().encode(STORAGE_PROVIDER_KEY)))

export interface StoragePeer extends CapacityInfo {
  peerId: string
  addresses: string[]
}

export class Discovery {
  private readonly providing = new Set<Promise<void>>()
  private readonly stopping = new AbortController()
  private providerCache: { ids: Set<string>, at: number } = { ids: new Set(), at: 0 }

  constructor (private readonly libp2p: ShoalLibp2p<{ shard: ShardService }>, private readonly log: Logger) {
    setMaxListeners(Infinity, this.stopping.signal) // one listener per background DHT task
  }

  /** Ends background announcements and waits for them. */
  async stop (): Promise<void> {
    this.stopping.abort()
    await Promise.allSettled([...this.providing])
  }

  private get peerId (): string {
    return this.libp2p.peerId.toString()
  }

  /**
   * Provides `cid` in the DHT. The promise never rejects and settles when that
   * is done, or after ANNOUNCE_TIMEOUT_MS (the query then goes on in the background).
   */
  async provide (cid: CID): Promise<void> {
    // Alone (no DHT peer yet), a provide has nowhere to go: the early
    // re-announcements of the storage key cover the peers that come later.
    if (this.dhtPeers() === 0) return
    const dht = this.libp2p.services.dht
    const signal = this.stopping.signal
    const task = (async () => {
      try {
        for await (const _ of dht.provide(cid, { signal })) { /* drain the query */ }
      } catch (err) {
        this.log('providing %s failed: %s', cid, (err as Error).message)
      }
    })()
    this.providing.add(task)
    void task.finally(() => this.providing.delete(task))
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([task, new Promise<void>(resolve => { timer = setTimeout(resolve, ANNOUNCE_TIMEOUT_MS) })])
    clearTimeout(timer)
  }

  /** Peers in the DHT routing table (kad-dht keeps it on the SingleKadDHT it returns). */
  private dhtPeers (): number {
    const table = (this.libp2p.services.dht as unknown as { routingTable?: { size: number } }).routingTable
    return table?.size ?? 1
  }

  async * findProviders (cid: CID, options: { signal?: AbortSignal }): AsyncGenerator<string> {
    if (this.dhtPeers() === 0) return
    const seen = new Set<string>()
    for await (const event of this.libp2p.services.dht.findProviders(cid, { signal: options.signal })) {
      if (event.name !== 'PROVIDER') continue
      for (const p of event.providers) {
        const id = p.id.toString()
        if (seen.has(id)) continue
        seen.add(id)
        yield id
      }
    }
  }

  /**
   * Storage peers: those identify told us speak the shard protocol, and DHT
   * providers of the storage key; the DHT is asked only when fewer than
   * `wanted` are known and its answer is older than PROVIDER_CACHE_MS.
   */
  private async storagePeerIds (wanted: number, signal?: AbortSignal): Promise<Set<string>> {
    const ids = new Set<string>()
    const known = await this.libp2p.peerStore.all({ filters: [p => p.protocols.includes(SHARD_PROTOCOL)] })
    for (const p of known) ids.add(p.id.toString())
    for (const id of this.providerCache.ids) ids.add(id)
    ids.delete(this.peerId)
    if (ids.size >= wanted || Date.now() - this.providerCache.at < PROVIDER_CACHE_MS) return ids
    const found = new Set<string>()
    const deadline = AbortSignal.timeout(DISCOVERY_TIMEOUT_MS)
    try {
      for await (const id of this.findProviders(STORAGE_PROVIDER_CID, { signal: signal === undefined ? deadline : AbortSignal.any([signal, deadline]) })) {
        found.add(id)
        ids.add(id)
        if (ids.size > wanted) break
      }
    } catch (err) {
      signal?.throwIfAborted()
      this.log('storage provider lookup ended: %s', (err as Error).message)
    }
    this.providerCache = { ids: found, at: Date.now() }
    ids.delete(this.peerId)
    return ids
  }

  private async capacityOf (peerId: string, signal?: AbortSignal): Promise<CapacityInfo | null> {
    try {
      return await queryCapacity(this.libp2p, peerIdFromString(peerId), { signal, timeoutMs: CAPACITY_TIMEOUT_MS })
    } catch (err) {
      signal?.throwIfAborted()
      this.log('capacity of %s unknown: %s', peerId, (err as Error).message)
      return null
    }
  }


  /**
   * Storage peers and their capacity. Without `wanted`, waits for every
   * answer (or its timeout). With `wanted`, returns once that many have
   * answered and CAPACITY_GRACE_MS more have passed, so one slow peer does not
   * hold up a put.
   */
  async peers (options: ProgressOptions & { wanted?: number } = {}): Promise<StoragePeer[]> {
    const wanted = options.wanted
    const ids = await this.storagePeerIds(wanted ?? 16, options.signal)
    const found: StoragePeer[] = []
    await new Promise<void>((resolve, reject) => {
      let pending = ids.size
      let grace: ReturnType<typeof setTimeout> | undefined
      const settle = (): void => {
        pending--
        if (pending === 0) { clearTimeout(grace); resolve() }
        else if (wanted !== undefined && found.length >= wanted && grace === undefined) grace = setTimeout(resolve, CAPACITY_GRACE_MS)
      }
      if (pending === 0) { resolve(); return }
      for (const peerId of ids) {
        this.capacityOf(peerId, options.signal).then(info => {
          if (info !== null) {
            const addresses = this.libp2p.getConnections(peerIdFromString(peerId)).map(c => c.remoteAddr.toString())
            found.push({ peerId, addresses, ...info })
          }
          settle()
        }, reject)
      }
    })
    return [...found]
  }

}
