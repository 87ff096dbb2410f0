/**
 * ShoalNode: one peer of the network. It offers its store to other peers
 * (shard exchange and capacity protocols, announced in the DHT) and stores and
 * retrieves whole files across the network (put, get, stat).
 */

import { setMaxListeners } from 'node:events'
import { join } from 'node:path'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { LevelDatastore } from 'datastore-level'
import { ReedSolomonCodec } from '../codec/codec.js'
import { sha256Sync, shardCidFromDigest } from '../format/cid.js'
import { loadOrCreateIdentity } from '../net/identity.js'
import { createShoalLibp2p } from '../net/libp2p.js'
import { queryCapacity } from '../net/shard-client.js'
import { ANNOUNCE_TIMEOUT_MS, SHARD_PROTOCOL } from '../net/shard-messages.js'
import { shardService } from '../net/shard-service.js'
import { createFsShardStore, createMemoryShardStore } from '../store/index.js'
import { ANNOUNCE_INTERVAL_MS, CAPACITY_GRACE_MS, CAPACITY_TIMEOUT_MS, DEFAULT_CAPACITY_BYTES, DISCOVERY_TIMEOUT_MS, EARLY_ANNOUNCE_DELAYS_MS, PROVIDER_CACHE_MS, STORAGE_PROVIDER_KEY } from './constants.js'
import { NodeNotStartedError } from './errors.js'
import { getFile } from './get.js'
import { LocalHolder, RemoteHolder } from './holders.js'
import { deleteFile } from './delete.js'
import { putFile } from './put.js'
import { repairFile } from './repair.js'
import { verifyFile } from './verify.js'
import { statFile } from './stat.js'
import type { NodeContext } from './context.js'
import type { ProgressOptions } from './events.js'
import type { GetOptions } from './get.js'
import type { Holder } from './holders.js'
import type { Candidate } from './placement.js'
import type { PutOptions, PutResult, PutSource } from './put.js'
import type { DeleteReport } from './delete.js'
import type { FileStat } from './stat.js'
import type { RepairOptions, RepairReport } from './repair.js'
import type { VerifyReport } from './verify.js'
import type { Codec } from '../codec/index.js'
import type { ShoalLibp2p } from '../net/libp2p.js'
import type { CapacityInfo } from '../net/shard-messages.js'
import type { ShardService } from '../net/shard-service.js'
import type { ShardStore, StoreStats } from '../store/types.js'
import type { ComponentLogger, Logger, PrivateKey } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export interface ShoalNodeInit {
  /**
   * Data directory: identity key, peer store and shards persist here, so a
   * restarted node keeps its PeerId, its known peers and its shards. Omit for a
   * node that lives in memory (tests, simulation).
   */
  dir?: string
  /** Bytes of shards this node stores for the network; 0 stores nothing for others. Default 10 GiB. */
  capacityBytes?: number
  /** Listen multiaddrs. Default ['/ip4/127.0.0.1/tcp/0']. */
  listen?: string[]
  /** Multiaddrs to announce instead of the listen addresses. */
  announce?: string[]
  /** Multiaddrs (with /p2p/<id>) of peers to join through. Default none. */
  bootstrap?: string[]
  /** Private network key (see createSwarmKey); peers without it cannot connect. */
  swarmKey?: Uint8Array
  /** Identity; default: loaded from (or created in) `dir`, else a new random one. */
  privateKey?: PrivateKey
  /** Use this shard store instead of the default filesystem (with `dir`) or memory one. */
  store?: ShardStore
  /** DHT self-query interval in ms (tests shorten it). Default 5 minutes. */
  querySelfIntervalMs?: number
  /** Logger for every component. Default: libp2p's, enabled with DEBUG=shoal:*. */
  logger?: ComponentLogger
}

export interface StoragePeer extends CapacityInfo {
  peerId: string
  addresses: string[]
}

export interface ShoalNode {
  /** PeerId string (after start). */
  readonly peerId: string
  /** Addresses others can dial, with /p2p/<id> (after start). */
  readonly multiaddrs: string[]
  /** The libp2p node (after start), for advanced use. */
  readonly libp2p: ShoalLibp2p<{ shard: ShardService }>
  readonly started: boolean
  start: () => Promise<void>
  stop: () => Promise<void>
  /** Stores a file across the network; resolves with its handle. */
  put: (source: PutSource, options?: PutOptions) => Promise<PutResult>
  /** Streams a file's bytes back. */
  get: (handle: string, options?: GetOptions) => AsyncGenerator<Uint8Array>
  /** Who holds each shard, whether it answered, how many failures the file survives. */
  stat: (handle: string, options?: ProgressOptions) => Promise<FileStat>
  /** Fetches every block of every shard and checks its hash. */
  verify: (handle: string, options?: GetOptions) => Promise<VerifyReport>
  /** Regenerates lost shards onto other peers; needs no key (a handle without '#' works). */
  repair: (handle: string, options?: RepairOptions) => Promise<RepairReport>
  /** Deletes the file's blocks and manifest copies from their holders (only what this node stored). */
  delete: (handle: string, options?: ProgressOptions) => Promise<DeleteReport>
  /** Storage peers known now, with their capacity. */
  peers: (options?: ProgressOptions) => Promise<StoragePeer[]>
  /** This node's own store. */
  capacity: (options?: ProgressOptions) => Promise<StoreStats>
}

/** The DHT key storage peers provide. */
export const STORAGE_PROVIDER_CID: CID = shardCidFromDigest(sha256Sync(new TextEncoder().encode(STORAGE_PROVIDER_KEY)))

class Node implements ShoalNode, NodeContext {
  private readonly init: ShoalNodeInit
  private readonly capacityBytes: number
  private readonly logger: ComponentLogger
  readonly log: Logger
  private node: ShoalLibp2p<{ shard: ShardService }> | null = null
  private shardStore: ShardStore | null = null
  private datastore: LevelDatastore | null = null
  private readonly holders = new Map<string, Holder>()
  private readonly codecs = new Map<string, Codec>()
  private providerCache: { ids: Set<string>, at: number } = { ids: new Set(), at: 0 }
  private readonly timers: Array<ReturnType<typeof setTimeout>> = []
  private readonly providing = new Set<Promise<void>>()
  private stopping: AbortController = new AbortController()

  constructor (init: ShoalNodeInit) {
    this.init = init
    this.capacityBytes = init.capacityBytes ?? DEFAULT_CAPACITY_BYTES
    this.logger = init.logger ?? defaultLogger()
    this.log = this.logger.forComponent('shoal:node')
  }

  get started (): boolean {
    return this.node !== null
  }

  get libp2p (): ShoalLibp2p<{ shard: ShardService }> {
    if (this.node === null) throw new NodeNotStartedError()
    return this.node
  }

  get store (): ShardStore {
    if (this.shardStore === null) throw new NodeNotStartedError()
    return this.shardStore
  }

  get peerId (): string {
    return this.libp2p.peerId.toString()
  }

  get multiaddrs (): string[] {
    return this.libp2p.getMultiaddrs().map(a => a.toString())
  }

  async start (): Promise<void> {
    if (this.node !== null) return
    this.stopping = new AbortController()
    setMaxListeners(Infinity, this.stopping.signal) // one listener per background DHT task
    const { dir } = this.init
    const store = this.init.store ?? (dir === undefined
      ? createMemoryShardStore({ capacityBytes: this.capacityBytes })
      : createFsShardStore({ dir: join(dir, 'shards'), capacityBytes: this.capacityBytes }))
    await store.start()
    this.shardStore = store
    try {
      const privateKey = this.init.privateKey ?? (dir === undefined ? undefined : await loadOrCreateIdentity(dir))
      if (dir !== undefined) {
        this.datastore = new LevelDatastore(join(dir, 'peerstore'))
        await this.datastore.open()
      }
      this.node = await createShoalLibp2p<{ shard: ShardService }>({
        privateKey,
        datastore: this.datastore ?? undefined,
        listen: this.init.listen,
        announce: this.init.announce,
        bootstrap: this.init.bootstrap,
        swarmKey: this.init.swarmKey,
        querySelfIntervalMs: this.init.querySelfIntervalMs,
        logger: this.init.logger,
        services: {
          shard: shardService({
            backend: {
              put: async (cid, bytes, options) => { await store.put(cid, bytes, options) },
              get: async (cid, options) => await store.get(cid, options),
              has: async (cid, options) => await store.has(cid, options),
              delete: async (cid, options) => await store.delete(cid, options),
              stats: async (options) => await this.offeredStats(options),
              announce: async (cid) => { await this.provide(cid) }
            }
          })
        }
      })
    } catch (err) {
      await this.datastore?.close().catch(() => {})
      this.datastore = null
      await store.stop()
      this.shardStore = null
      throw err
    }
    this.log('started %s', this.peerId)
    if (this.capacityBytes > 0) {
      const announce = (): void => { void this.provide(STORAGE_PROVIDER_CID) }
      announce()
      for (const delay of EARLY_ANNOUNCE_DELAYS_MS) this.timers.push(setTimeout(announce, delay))
      this.timers.push(setInterval(announce, ANNOUNCE_INTERVAL_MS))
      for (const t of this.timers) t.unref()
    }
  }

  async stop (): Promise<void> {
    if (this.node === null) return
    for (const t of this.timers.splice(0)) clearTimeout(t)
    this.stopping.abort()
    await Promise.allSettled([...this.providing])
    await Promise.allSettled([...this.holders.values()].map(async h => { await h.close() }))
    this.holders.clear()
    await this.node.stop()
    this.node = null
    await this.datastore?.close().catch(() => {})
    this.datastore = null
    await this.shardStore?.stop()
    this.shardStore = null
    this.log('stopped')
  }

  /** What this node offers others: its store, or nothing when capacity is 0. */
  private async offeredStats (options: { signal?: AbortSignal }): Promise<CapacityInfo> {
    const s = await this.store.stats(options)
    return { capacityBytes: s.capacityBytes, usedBytes: s.usedBytes, freeBytes: this.capacityBytes > 0 ? s.freeBytes : 0, shardCount: s.shardCount }
  }

  codec (dataShards: number, parityShards: number): Codec {
    const key = `${dataShards}+${parityShards}`
    let codec = this.codecs.get(key)
    if (codec === undefined) {
      codec = new ReedSolomonCodec({ dataShards, parityShards })
      this.codecs.set(key, codec)
    }
    return codec
  }

  holder (peerId: string): Holder {
    let holder = this.holders.get(peerId)
    if (holder === undefined) {
      holder = peerId === this.peerId
        ? new LocalHolder(peerId, this.store, async (cid) => { await this.provide(cid) })
        : new RemoteHolder(this.libp2p, peerIdFromString(peerId))
      this.holders.set(peerId, holder)
    }
    return holder
  }

  /**
   * Provides `cid` in the DHT. The promise never rejects and settles when that
   * is done, or after ANNOUNCE_TIMEOUT_MS (the query then goes on in the background).
   */
  async provide (cid: CID): Promise<void> {
    if (this.node === null) return
    // Alone (no DHT peer yet), a provide has nowhere to go: the early
    // re-announcements of the storage key cover the peers that come later.
    if (this.dhtPeers() === 0) return
    const dht = this.node.services.dht
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

  connectedPeers (): string[] {
    const out: string[] = []
    for (const conn of this.libp2p.getConnections()) {
      const id = conn.remotePeer.toString()
      if (!out.includes(id)) out.push(id)
    }
    return out
  }

  async discover (options: { signal?: AbortSignal, wanted?: number } = {}): Promise<Candidate[]> {
    const peers = await this.peers(options)
    const candidates: Candidate[] = peers.map(p => ({ peerId: p.peerId, freeBytes: p.freeBytes }))
    if (this.capacityBytes > 0) {
      candidates.push({ peerId: this.peerId, freeBytes: (await this.store.stats(options)).freeBytes })
    }
    return candidates
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

  async capacity (options: ProgressOptions = {}): Promise<StoreStats> {
    return await this.store.stats(options)
  }

  private requireStarted (): void {
    if (this.node === null) throw new NodeNotStartedError()
  }

  async put (source: PutSource, options: PutOptions = {}): Promise<PutResult> {
    this.requireStarted()
    return await putFile(this, source, options)
  }

  async * get (handle: string, options: GetOptions = {}): AsyncGenerator<Uint8Array> {
    this.requireStarted()
    yield * getFile(this, handle, options)
  }

  async stat (handle: string, options: ProgressOptions = {}): Promise<FileStat> {
    this.requireStarted()
    return await statFile(this, handle, options)
  }

  async verify (handle: string, options: GetOptions = {}): Promise<VerifyReport> {
    this.requireStarted()
    return await verifyFile(this, handle, options)
  }

  async repair (handle: string, options: RepairOptions = {}): Promise<RepairReport> {
    this.requireStarted()
    return await repairFile(this, handle, options)
  }

  async delete (handle: string, options: ProgressOptions = {}): Promise<DeleteReport> {
    this.requireStarted()
    return await deleteFile(this, handle, options)
  }
}

/** Creates a node; call `start()` to join the network. */
export function createNode (init: ShoalNodeInit = {}): ShoalNode {
  return new Node(init)
}
