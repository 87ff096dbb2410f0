/**
 * ShoalNode: one peer of the network. It offers its store to other peers
 * (shard exchange and capacity protocols, announced in the DHT) and stores and
 * retrieves whole files across the network (put, get, stat).
 */

import { join } from 'node:path'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { LevelDatastore } from 'datastore-level'
import { ReedSolomonCodec } from '../codec/codec.js'
import { loadOrCreateIdentity } from '../net/identity.js'
import { createShoalLibp2p } from '../net/libp2p.js'
import { shardService } from '../net/shard-service.js'
import { createFsShardStore, createMemoryShardStore } from '../store/index.js'
import { ANNOUNCE_INTERVAL_MS, DEFAULT_CAPACITY_BYTES, EARLY_ANNOUNCE_DELAYS_MS } from './constants.js'
import { NodeNotStartedError } from './errors.js'
import { Discovery, STORAGE_PROVIDER_CID } from './discovery.js'
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
import type { StoragePeer } from './discovery.js'
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
  private discovery: Discovery | null = null
  private readonly timers: Array<ReturnType<typeof setTimeout>> = []

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
    this.discovery = new Discovery(this.node, this.log)
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
    await this.discovery?.stop()
    this.discovery = null
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

  async provide (cid: CID): Promise<void> {
    await this.discovery?.provide(cid)
  }

  async * findProviders (cid: CID, options: { signal?: AbortSignal }): AsyncGenerator<string> {
    if (this.discovery !== null) yield * this.discovery.findProviders(cid, options)
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

  async peers (options: ProgressOptions & { wanted?: number } = {}): Promise<StoragePeer[]> {
    this.requireStarted()
    return await (this.discovery as Discovery).peers(options)
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
