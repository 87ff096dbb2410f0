/**
 * The simulated network: N shoal peers in this process on 127.0.0.1, each with
 * a memory store the simulation can reach (to damage blocks), and identities
 * derived from the seed so a run replays exactly.
 */

import { createHash } from 'node:crypto'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { SHARD_PROTOCOL } from '../net/shard-messages.js'
import { createNode } from '../node/node.js'
import { createMemoryShardStore } from '../store/index.js'
import type { ShoalNode } from '../node/node.js'
import type { ShardStore } from '../store/types.js'

export interface SimPeer {
  index: number
  node: ShoalNode
  store: ShardStore
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
  constructor (private readonly seed: number, private readonly capacityBytes: number, private readonly expectedPeers = 10) {}

  /** Starts peer number `peers.length`, joined through peer 0 and the last live peer. */
  async add (): Promise<SimPeer> {
    const index = this.peers.length
    const keySeed = createHash('sha256').update(`shoal-sim/${this.seed}/${index}`).digest()
    const privateKey = await generateKeyPairFromSeed('Ed25519', keySeed)
    const store = createMemoryShardStore({ capacityBytes: this.capacityBytes })
    const via = [this.peers[0], this.alive().at(-1)].filter((p): p is SimPeer => p?.alive === true)
    const node = createNode({
      privateKey,
      store,
      capacityBytes: this.capacityBytes,
      querySelfIntervalMs: Math.max(1000, this.expectedPeers * 250),
      bootstrap: [...new Set(via.flatMap(p => p.node.multiaddrs))]
    })
    await node.start()
    const peer = { index, node, store, peerId: node.peerId, alive: true }
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
   * Waits until `observer` knows every other live peer as a storage peer: a
   * cheap look at its peer store first, then one round of capacity answers.
   */
  async converge (observer: SimPeer, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (true) {
      signal?.throwIfAborted()
      const stored = await observer.node.libp2p.peerStore.all({ filters: [p => p.protocols.includes(SHARD_PROTOCOL)] })
      const ids = new Set(stored.map(p => p.id.toString()))
      const others = this.alive().filter(p => p !== observer)
      let known = new Set<string>()
      if (others.every(p => ids.has(p.peerId))) {
        known = new Set((await observer.node.peers({ signal })).map(p => p.peerId))
        if (others.every(p => known.has(p.peerId))) return
      }
      if (Date.now() > deadline) {
        throw new Error(`peers did not find each other within ${timeoutMs} ms (${Math.max(known.size, ids.size)} of ${others.length} known)`)
      }
      await new Promise(resolve => setTimeout(resolve, CONVERGE_POLL_MS))
    }
  }

  async stop (): Promise<void> {
    await Promise.allSettled(this.alive().map(async p => { await this.kill(p) }))
  }
}
