/** The node's public types: how to create one (ShoalNodeInit) and what it offers (ShoalNode). */
import type { CheckOptions, CheckReport } from './check.js'
import type { DeleteReport } from './delete.js'
import type { StoragePeer } from './discovery.js'
import type { ProgressOptions } from './events.js'
import type { GetOptions } from './get.js'
import type { PutOptions, PutResult, PutSource } from './put.js'
import type { RepairOptions, RepairReport } from './repair.js'
import type { FileStat } from './stat.js'
import type { VerifyReport } from './verify.js'
import type { ShoalLibp2p, ShoalLibp2pInit } from '../net/libp2p.js'
import type { ShardService } from '../net/shard-service.js'
import type { ShardStore, StoreStats } from '../store/types.js'
import type { ComponentLogger, ConnectionGater, PrivateKey } from '@libp2p/interface'

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
  /** Refuses dials and connections by peer or address (libp2p's ConnectionGater): deny lists, or the simulation's partitions. */
  connectionGater?: ConnectionGater
  /** Advanced: libp2p settings passed through (transport, DHT, connection manager and monitor); see ShoalLibp2pInit. */
  libp2p?: Pick<ShoalLibp2pInit, 'transport' | 'dht' | 'connectionManager' | 'connectionMonitor'>
  /** How long holders keep this node's blocks unless the periodic check renews them. Default 30 days. */
  leaseMs?: number
  /**
   * Every this many ms, check each tracked file: audit its holders, renew their
   * leases, repair lost shards. 0 turns the timer off (`checkAll()` still works).
   * Default 1 hour; keep it well under `leaseMs`.
   */
  checkIntervalMs?: number
  /** The check repairs a file once this many of its shards have no healthy holder. Default 1. */
  repairAfterLost?: number
  /** Blocks challenged per holder and check: a count of random stripes, or 'all'. Default 1. */
  auditChallenges?: number | 'all'
  /** Blocks stored for others whose lease ran out are deleted this often; 0 turns it off. Default 10 minutes. */
  gcIntervalMs?: number
  /** Called after every check of a file, by the timer or by `checkAll()`; a throwing listener is ignored. */
  onCheck?: (outcome: CheckOutcome) => void
}

/** A file's check, or why it could not be made (its manifest not found...). */
export type CheckOutcome = CheckReport | { manifest: string, error: string }

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
  /** Audits a file's holders, renews their leases and repairs it if shards were lost (see CheckOptions). */
  check: (handle: string, options?: CheckOptions) => Promise<CheckReport>
  /** Checks every tracked file now, one after another (the periodic check, run at once). */
  checkAll: (options?: ProgressOptions) => Promise<CheckOutcome[]>
  /** Adds a file to the periodic check (a handle without '#key' is enough); ManifestNotFoundError when no peer has its manifest. Files this node puts are tracked already. */
  track: (handle: string, options?: ProgressOptions) => Promise<void>
  /** Removes a file from the periodic check: its leases are no longer renewed. */
  untrack: (handle: string) => Promise<boolean>
  /** Manifest CIDs of the tracked files. */
  tracked: () => string[]
  /** Deletes the blocks stored for others whose lease ran out; resolves with how many. */
  collectExpired: () => Promise<number>
  /** Storage peers known now, with their capacity. */
  peers: (options?: ProgressOptions) => Promise<StoragePeer[]>
  /** This node's own store. */
  capacity: (options?: ProgressOptions) => Promise<StoreStats>
}
