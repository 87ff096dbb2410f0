/**
 * A local shoal network for tests: N nodes on 127.0.0.1 with memory stores the
 * test can reach (to damage shards or check usage), joined through node 0.
 */
import { createNode } from '../../src/index.js'
import { createMemoryShardStore } from '../../src/store/index.js'
import { decodeManifest, parseHandle } from '../../src/format/index.js'
import type { ShoalNode, ShoalNodeInit } from '../../src/index.js'
import type { Manifest } from '../../src/format/index.js'
import type { ShardStore } from '../../src/store/index.js'

export interface TestPeer {
  node: ShoalNode
  store: ShardStore
}

export interface TestNetwork {
  peers: TestPeer[]
  /** The peer with this PeerId. */
  byId: (peerId: string) => TestPeer
  /** Stops every node still running. */
  stop: () => Promise<void>
}

const MiB = 1024 * 1024

export interface StartNetworkOptions {
  capacityBytes?: (i: number) => number
  init?: Partial<ShoalNodeInit>
  /** The store node i uses, given its memory store (which stays `TestPeer.store`). Default: that store. */
  wrapStore?: (i: number, store: ShardStore) => ShardStore
}

export async function startNetwork (count: number, options: StartNetworkOptions = {}): Promise<TestNetwork> {
  const peers: TestPeer[] = []
  const network: TestNetwork = {
    peers,
    byId: (peerId) => {
      const peer = peers.find(p => p.node.started && p.node.peerId === peerId)
      if (peer === undefined) throw new Error(`no running peer ${peerId}`)
      return peer
    },
    stop: async () => { await Promise.allSettled(peers.map(async p => { await p.node.stop() })) }
  }
  try {
    for (let i = 0; i < count; i++) {
      const capacityBytes = options.capacityBytes?.(i) ?? 512 * MiB
      const store = createMemoryShardStore({ capacityBytes })
      const node = createNode({
        store: options.wrapStore?.(i, store) ?? store,
        capacityBytes,
        querySelfIntervalMs: 1000,
        // every earlier peer: start-up stays quick and certain on a loaded
        // machine (DHT discovery has its own tests in test/net and test/sim)
        bootstrap: peers.flatMap(p => p.node.multiaddrs),
        ...options.init
      })
      await node.start()
      peers.push({ node, store })
    }
    await waitFor(async () => {
      const seen = await Promise.all(peers.map(async p => (await p.node.peers()).length))
      return seen.every(n => n >= count - 1)
    }, 60_000)
  } catch (err) {
    await network.stop()
    throw err
  }
  return network
}

/** Polls `check` every 200 ms until it is true; throws after `timeoutMs`. */
export async function waitFor (check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

export async function collect (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of source) parts.push(chunk)
  return Buffer.concat(parts)
}

/** The manifest of a handle, read from any running peer's store that has it. */
export async function manifestOf (network: TestNetwork, handle: string): Promise<Manifest> {
  const cid = parseHandle(handle).manifest
  for (const p of network.peers) {
    if (!p.node.started) continue
    if (await p.store.has(cid)) return decodeManifest(await p.store.get(cid))
  }
  throw new Error('no running peer stores the manifest')
}
