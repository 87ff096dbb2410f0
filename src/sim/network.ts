/**
 * The simulated network: N shoal peers in this process on 127.0.0.1, each with
 * a memory store the simulation can reach (to damage blocks, or to make its
 * peer lie), and identities derived from the seed so a run replays exactly.
 *
 * A partition is made with libp2p's connection gater: every peer refuses to
 * dial or accept a peer of the other side, and the connections across are
 * closed; healing lifts the refusal and reconnects the sides.
 */

import { createHash } from 'node:crypto'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { SHARD_PROTOCOL } from '../net/shard-messages.js'
import { createNode } from '../node/node.js'
import { createMemoryShardStore } from '../store/index.js'
import { LyingStore } from './lying-store.js'
import type { ShoalNodeInit, ShoalNode } from '../node/types.js'
import type { ShardStore } from '../store/types.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

export interface SimPeer {
  index: number
  node: ShoalNode
  /** The memory store behind the node (blocks can be damaged here). */
  store: ShardStore
  /** The store the node uses: `store`, until told to lie. */
  liar: LyingStore
  peerId: string
  alive: boolean
}

const CONVERGE_POLL_MS = 200

export class SimNetwork {
  readonly peers: SimPeer[] = []

  /**
   * @param expectedPeers sizes the DHT self-query interval: every peer of the
   * process runs one, and at one a second twenty peers keep a core busy.
   */
  /** During a partition: the side (0 or 1) of each peer id. */
  private sides: Map<string, number> | null = null

  constructor (private readonly seed: number, private readonly capacityBytes: number, private readonly expectedPeers = 10, private readonly nodeInit: ShoalNodeInit = {}) {}

  /** True when a partition separates the two peers. */
  private cut (a: string, b: string): boolean {
    return this.sides !== null && (this.sides.get(a) ?? 0) !== (this.sides.get(b) ?? 0)
  }

  private gater (self: () => string): ConnectionGater {
    const deny = async (peer: PeerId): Promise<boolean> => this.cut(self(), peer.toString())
    return { denyDialPeer: deny, denyInboundEncryptedConnection: deny, denyOutboundEncryptedConnection: deny }
  }

  /** Whether `a` can reach `b` now: both alive and on the same side. */
  reachable (a: SimPeer, b: SimPeer): boolean {
    return a.alive && b.alive && !this.cut(a.peerId, b.peerId)
  }

  /** Cuts the network in two: `side` and everyone else. Connections across are closed. */
  async partition (side: SimPeer[]): Promise<void> {
    this.sides = new Map(this.peers.map(p => [p.peerId, side.includes(p) ? 0 : 1]))
    await Promise.all(this.alive().map(async p => {
      await Promise.allSettled(p.node.libp2p.getConnections()
        .filter(c => this.cut(p.peerId, c.remotePeer.toString()))
        .map(async c => { await c.close().catch(err => { c.abort(err) }) }))
    }))
  }

  /** Ends the partition: every live peer dials `hub` again (the DHT does the rest). */
  async heal (hub: SimPeer): Promise<void> {
    this.sides = null
    await Promise.allSettled(this.alive().filter(p => p !== hub).map(async p => {
      await p.node.libp2p.dial(hub.node.libp2p.peerId, { signal: AbortSignal.timeout(10_000) })
    }))
  }

  /** Starts peer number `peers.length`, joined through peer 0 and the last live peer. */
  async add (): Promise<SimPeer> {
    const index = this.peers.length
    const keySeed = createHash('sha256').update(`shoal-sim/${this.seed}/${index}`).digest()
    const privateKey = await generateKeyPairFromSeed('Ed25519', keySeed)
    const store = createMemoryShardStore({ capacityBytes: this.capacityBytes })
    const liar = new LyingStore(store)
    const via = [this.peers[0], this.alive().at(-1)].filter((p): p is SimPeer => p?.alive === true)
    let self = ''
    const node = createNode({
      ...this.nodeInit,
      privateKey,
      store: liar,
      connectionGater: this.gater(() => self),
      capacityBytes: this.capacityBytes,
      // Every peer of the process runs its own DHT self-query: at one a second
      // twenty peers keep a core busy; past 32 peers, once per peer-second.
      querySelfIntervalMs: this.expectedPeers > 32 ? this.expectedPeers * 1000 : Math.max(1000, this.expectedPeers * 250),
      // No ping on every connection every 10 s: simulated peers stop cleanly
      // (their connections close), and at 100 peers the pings alone cost a
      // third of a core.
      libp2p: { connectionMonitor: { enabled: false }, ...this.nodeInit.libp2p },
      bootstrap: [...new Set(via.flatMap(p => p.node.multiaddrs))]
    })
    await node.start()
    self = node.peerId
    // Join now rather than on the bootstrap timer: a hundred peers started in
    // a second would otherwise all dial peer 0 in the same instant.
    await Promise.allSettled(via.map(async p => { await node.libp2p.dial(p.node.libp2p.peerId, { signal: AbortSignal.timeout(10_000) }) }))
    const peer = { index, node, store, liar, peerId: node.peerId, alive: true }
    this.peers.push(peer)
    return peer
  }

  alive (): SimPeer[] {
    return this.peers.filter(p => p.alive)
  }

  byId (peerId: string): SimPeer | undefined {
    return this.peers.find(p => p.peerId === peerId)
  }

  async kill (peer: SimPeer): Promise<void> {
    peer.alive = false
    await peer.node.stop()
  }

  /**
   * Waits until `observer` knows `minKnown` other live peers as storage peers
   * (default: all of them; a large network asks for fewer, since a Kademlia
   * peer keeps about 20 contacts per distance bucket and nobody needs to know
   * everyone). A cheap look at the peer store first, then one round of
   * capacity answers.
   */
  async converge (observer: SimPeer, timeoutMs: number, signal?: AbortSignal, minKnown?: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (true) {
      signal?.throwIfAborted()
      const others = this.alive().filter(p => p !== observer)
      const want = Math.min(others.length, minKnown ?? others.length)
      const stored = await observer.node.libp2p.peerStore.all({ filters: [p => p.protocols.includes(SHARD_PROTOCOL)] })
      const ids = new Set(stored.map(p => p.id.toString()))
      const live = (ids: Set<string>): number => others.filter(p => ids.has(p.peerId)).length
      let known = new Set<string>()
      if (live(ids) >= want) {
        known = new Set((await observer.node.peers({ signal })).map(p => p.peerId))
        if (live(known) >= want) return
      }
      if (Date.now() > deadline) {
        throw new Error(`peers did not find each other within ${timeoutMs} ms (${Math.max(live(known), live(ids))} of ${want} wanted known)`)
      }
      await new Promise(resolve => setTimeout(resolve, CONVERGE_POLL_MS))
    }
  }

  async stop (): Promise<void> {
    await Promise.allSettled(this.alive().map(async p => { await this.kill(p) }))
  }
}
