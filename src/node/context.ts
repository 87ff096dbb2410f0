/**
 * What put, get and stat need from the node: kept as an interface so those
 * pipelines stay small files that do not know how the node is assembled.
 */

import type { AuditLedger } from './audit.js'
import type { Candidate } from './placement.js'
import type { Holder } from './holders.js'
import type { Codec } from '../codec/index.js'
import type { ShardStore } from '../store/types.js'
import type { Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export interface NodeContext {
  /** This node's PeerId string. */
  readonly peerId: string
  readonly store: ShardStore
  readonly log: Logger
  /** A codec for (k, m), shared between calls. */
  codec: (dataShards: number, parityShards: number) => Codec
  /** The holder object for a peer (this node's own store for its own id). */
  holder: (peerId: string) => Holder
  /** Storage peers with their free bytes, this node included when it offers storage. */
  discover: (options: { signal?: AbortSignal, wanted?: number }) => Promise<Candidate[]>
  /** Peers connected now (some may not store shards: asking them fails fast). */
  connectedPeers: () => string[]
  /** Peers that provide `cid` in the DHT, as they are found. */
  findProviders: (cid: CID, options: { signal?: AbortSignal }) => AsyncIterable<string>
  /** Audit failures seen by this node (a peer that failed is not chosen for new shards). */
  readonly ledger?: AuditLedger
  /** Provide `cid` in the DHT; settles (never rejects) when done. */
  provide: (cid: CID) => Promise<void>
}
