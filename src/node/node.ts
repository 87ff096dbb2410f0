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
import { parseHandle } from '../format/handle.js'
import { LeaseTable } from '../store/leases.js'
import { AuditLedger } from './audit.js'
import { checkFile, TrackedFiles } from './check.js'
import { HostedBlocks } from './hosted.js'
import { loadManifest } from './manifest-lookup.js'
import { ANNOUNCE_INTERVAL_MS, DEFAULT_CAPACITY_BYTES, DEFAULT_CHECK_INTERVAL_MS, DEFAULT_GC_INTERVAL_MS, EARLY_ANNOUNCE_DELAYS_MS } from './constants.js'
import { NodeNotStartedError } from './errors.js'
import { Discovery, STORAGE_PROVIDER_CID } from './discovery.js'
import { getFile } from './get.js'
import { LocalHolder, RemoteHolder } from './holders.js'
import { deleteFile } from './delete.js'
import { putFile } from './put.js'
import { repairFile } from './repair.js'
import { verifyFile } from './verify.js'
import { statFile } from './stat.js'
import type { CheckOptions, CheckReport } from './check.js'
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
import type { CheckOutcome, ShoalNode, ShoalNodeInit } from './types.js'
import type { Codec } from '../codec/index.js'
import type { ShoalLibp2p } from '../net/libp2p.js'
import type { CapacityInfo } from '../net/shard-messages.js'
import type { ShardService } from '../net/shard-service.js'
import type { ShardStore, StoreStats } from '../store/types.js'
import type { ComponentLogger, Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

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
  ledger = new AuditLedger()
  private leases = new LeaseTable()
  private hosted: HostedBlocks | null = null
  private trackedFiles = new TrackedFiles()
  /** The periodic check in progress; checks never overlap. */
  private checking: Promise<unknown> = Promise.resolve()
  /** Rounds of checkAll running or waiting their turn. */
  private checkRounds = 0
  /** Aborted by stop(): ends a periodic check in progress. */
  private stopping = new AbortController()

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
      this.leases = new LeaseTable(this.datastore ?? undefined)
      this.trackedFiles = new TrackedFiles(this.datastore ?? undefined)
      this.ledger = new AuditLedger(this.datastore ?? undefined)
      await this.leases.load()
      const hosted = new HostedBlocks(store, this.leases, this.log)
      this.hosted = hosted
      await this.trackedFiles.load()
      await this.ledger.load()
      this.node = await createShoalLibp2p<{ shard: ShardService }>({
        privateKey,
        datastore: this.datastore ?? undefined,
        listen: this.init.listen,
        announce: this.init.announce,
        bootstrap: this.init.bootstrap,
        swarmKey: this.init.swarmKey,
        querySelfIntervalMs: this.init.querySelfIntervalMs,
        logger: this.init.logger,
        connectionGater: this.init.connectionGater,
        ...this.init.libp2p,
        services: {
          shard: shardService({
            backend: {
              put: async (cid, bytes, options) => { await hosted.put(cid, bytes, options) },
              get: async (cid, options) => await store.get(cid, options),
              has: async (cid, options) => await store.has(cid, options),
              delete: async (cid, options) => await hosted.delete(cid, options),
              renew: async (cids, leaseMs, options) => await hosted.renew(cids, leaseMs, options),
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
    this.stopping = new AbortController()
    this.discovery = new Discovery(this.node, this.log)
    this.log('started %s', this.peerId)
    if (this.capacityBytes > 0) {
      const announce = (): void => { void this.provide(STORAGE_PROVIDER_CID) }
      announce()
      for (const delay of EARLY_ANNOUNCE_DELAYS_MS) this.timers.push(setTimeout(announce, delay))
      this.timers.push(setInterval(announce, ANNOUNCE_INTERVAL_MS))
    }
    const checkEvery = this.init.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS
    if (checkEvery > 0) {
      this.timers.push(setInterval(() => {
        // a round still going when the next is due: skip this one rather than queue it
        if (this.checkRounds > 0) return
        void this.checkAll({ signal: this.stopping.signal }).catch(err => {
          if (!this.stopping.signal.aborted) this.log.error('periodic check failed: %s', (err as Error).message)
        })
      }, checkEvery))
    }
    const gcEvery = this.init.gcIntervalMs ?? DEFAULT_GC_INTERVAL_MS
    if (gcEvery > 0) this.timers.push(setInterval(() => { void this.collectExpired().catch(err => { this.log.error('collecting expired blocks failed: %s', (err as Error).message) }) }, gcEvery))
    for (const t of this.timers) t.unref()
  }

  async collectExpired (): Promise<number> {
    this.requireStarted()
    return await (this.hosted as HostedBlocks).collectExpired()
  }

  private checkOptions (): CheckOptions {
    return { leaseMs: this.init.leaseMs, repairAfterLost: this.init.repairAfterLost, challenges: this.init.auditChallenges }
  }

  async check (handle: string, options: CheckOptions = {}): Promise<CheckReport> {
    this.requireStarted()
    return await checkFile(this, handle, { ...this.checkOptions(), ...options })
  }

  async checkAll (options: ProgressOptions = {}): Promise<CheckOutcome[]> {
    this.requireStarted()
    this.checkRounds++
    const run = this.checking.catch(() => {}).then(async () => {
      const outcomes: CheckOutcome[] = []
      for (const manifest of this.trackedFiles.list()) {
        if (this.node === null) break
        let outcome: CheckOutcome
        try {
          outcome = await checkFile(this, `shoal:${manifest}`, { ...this.checkOptions(), ...options })
        } catch (err) {
          options.signal?.throwIfAborted()
          outcome = { manifest, error: `${(err as Error).name}: ${(err as Error).message}` }
          this.log('check %s failed: %s', manifest, outcome.error)
        }
        try { this.init.onCheck?.(outcome) } catch {}
        outcomes.push(outcome)
      }
      return outcomes
    }).finally(() => { this.checkRounds-- })
    this.checking = run
    return await run
  }

  async track (handle: string, options: ProgressOptions = {}): Promise<void> {
    this.requireStarted()
    const manifest = parseHandle(handle).manifest
    await loadManifest(this, manifest, options) // ManifestNotFoundError for a file nobody has
    await this.trackedFiles.add(manifest.toString())
  }

  async untrack (handle: string): Promise<boolean> {
    return await this.trackedFiles.remove(parseHandle(handle).manifest.toString())
  }

  tracked (): string[] {
    return this.trackedFiles.list()
  }

  async stop (): Promise<void> {
    if (this.node === null) return
    for (const t of this.timers.splice(0)) clearTimeout(t)
    this.stopping.abort()
    await this.checking.catch(() => {})
    await this.discovery?.stop()
    this.discovery = null
    await Promise.allSettled([...this.holders.values()].map(async h => { await h.close() }))
    this.holders.clear()
    await this.node.stop()
    this.node = null
    await this.leases.flush().catch(err => { this.log.error('writing leases failed: %s', (err as Error).message) })
    this.hosted = null
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
        ? new LocalHolder(peerId, this.store, async (cid) => { await this.provide(cid) }, (cid) => { this.hosted?.claim(cid) })
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
    // A peer that failed an audit is not given new shards.
    const candidates: Candidate[] = peers.filter(p => this.ledger.trusted(p.peerId)).map(p => ({ peerId: p.peerId, freeBytes: p.freeBytes }))
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
    const result = await putFile(this, source, { leaseMs: this.init.leaseMs, ...options })
    if (options.track !== false) await this.trackedFiles.add(result.manifest)
    return result
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
    return await repairFile(this, handle, { leaseMs: this.init.leaseMs, challenges: this.init.auditChallenges, ...options })
  }

  async delete (handle: string, options: ProgressOptions = {}): Promise<DeleteReport> {
    this.requireStarted()
    const report = await deleteFile(this, handle, options)
    await this.trackedFiles.remove(parseHandle(handle).manifest.toString())
    return report
  }
}

/** Creates a node; call `start()` to join the network. */
export function createNode (init: ShoalNodeInit = {}): ShoalNode {
  return new Node(init)
}
