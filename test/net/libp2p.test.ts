/**
 * createShoalLibp2p on real TCP (127.0.0.1): bootstrap and DHT convergence,
 * provide/findProviders, private networks, and a peer store that survives a
 * restart in a LevelDatastore.
 */
import { join } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, describe, expect, it } from 'vitest'
import { KAD_PROTOCOL } from '../../src/net/constants.js'
import { loadOrCreateIdentity } from '../../src/net/identity.js'
import { createShoalLibp2p } from '../../src/net/libp2p.js'
import { createSwarmKey } from '../../src/net/swarm-key.js'
import { Harness, prng, randomBytes, waitFor } from './helpers.js'
import type { ShoalLibp2p } from '../../src/net/libp2p.js'
import type { SingleKadDHT } from '@libp2p/kad-dht'
import type { PeerId } from '@libp2p/interface'

const SEED = 0xd47

const tableSize = (node: ShoalLibp2p): number => (node.services.dht as unknown as SingleKadDHT).routingTable.size

async function findsProvider (finder: ShoalLibp2p, cid: CID, provider: PeerId): Promise<boolean> {
  for await (const peer of finder.contentRouting.findProviders(cid, { signal: AbortSignal.timeout(10_000) })) {
    if (peer.id.equals(provider)) return true
  }
  return false
}

describe('createShoalLibp2p', () => {
  const harness = new Harness()
  afterEach(async () => { await harness.cleanup() })

  it(`5 nodes bootstrap from node 0, fill their DHT routing tables, and provide/findProviders works (seed ${SEED})`, async () => {
    const first = await harness.node({ querySelfIntervalMs: 1_000 })
    expect(first.getProtocols()).toContain(KAD_PROTOCOL)
    expect(first.getProtocols()).not.toContain('/ipfs/kad/1.0.0')
    const bootstrap = first.getMultiaddrs().map(ma => ma.toString())
    expect(bootstrap[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
    const others = await Promise.all([1, 2, 3, 4].map(async () => await harness.node({ bootstrap, querySelfIntervalMs: 1_000 })))
    for (const node of others) {
      const result = await node.services.bootstrap.whenDialed()
      expect(result.connected.length).toBe(1)
    }
    const nodes = [first, ...others]
    const ms = await waitFor(() => nodes.every(node => tableSize(node) >= 2), 15_000, 'every routing table to hold >= 2 peers')
    console.log(`5 nodes: routing tables ${nodes.map(tableSize).join(', ')} after ${ms} ms`)

    const cid = CID.create(1, raw.code, await sha256.digest(randomBytes(prng(SEED), 1024)))
    const provider = others[2]
    const start = Date.now()
    await provider.contentRouting.provide(cid, { signal: AbortSignal.timeout(15_000) })
    const provideMs = Date.now() - start
    for (const finder of [others[0], others[3], first]) {
      expect(await findsProvider(finder, cid, provider.peerId)).toBe(true)
    }
    console.log(`provide ${provideMs} ms, 3 findProviders ${Date.now() - start - provideMs} ms`)
  }, 40_000)

  it('a bootstrap address that does not answer is reported, not thrown', async () => {
    const node = await harness.node({ bootstrap: ['/ip4/127.0.0.1/tcp/1/p2p/12D3KooWGC6TvWhfapngX6wvJHMYvKpDMXPb3ZnCZ6dMoaMtimQ5'], bootstrapDialTimeoutMs: 2_000 })
    const result = await node.services.bootstrap.whenDialed()
    expect(result.connected).toEqual([])
    expect(result.failed.length).toBe(1)
    expect(node.status).toBe('started')
  })

  it('private network: the same swarm key connects, another key or none is refused', async () => {
    const key = createSwarmKey()
    const a1 = await harness.node({ swarmKey: key })
    const a2 = await harness.node({ swarmKey: key })
    const other = await harness.node({ swarmKey: createSwarmKey() })
    const open = await harness.node()

    const connection = await a1.dial(a2.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) })
    expect(connection.status).toBe('open')
    expect(await a1.services.ping.ping(a2.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) })).toBeGreaterThanOrEqual(0)

    const refusals: Array<[ShoalLibp2p, ShoalLibp2p]> = [[other, a1], [a1, other], [open, a1], [a1, open]]
    for (const [from, to] of refusals) {
      const start = Date.now()
      const err = await from.dial(to.getMultiaddrs(), { signal: AbortSignal.timeout(8_000) }).then(() => undefined, (e: Error) => e)
      expect(err, 'dial should be refused').toBeInstanceOf(Error)
      expect(err?.name).not.toBe('AbortError') // refused during the handshake, not timed out by our signal
      expect(Date.now() - start).toBeLessThan(8_000)
      expect(from.getConnections(to.peerId)).toHaveLength(0)
    }
  }, 40_000)

  it('a malformed swarm key is refused at creation', async () => {
    await expect(createShoalLibp2p({ swarmKey: new TextEncoder().encode('/key/swarm/psk/1.0.0/\n/base16/\nabc') })).rejects.toMatchObject({ name: 'InvalidSwarmKeyError' })
  })

  it('the same identity directory gives the same PeerId after a restart', async () => {
    const dir = await harness.tempDir()
    const first = await harness.node({ privateKey: await loadOrCreateIdentity(dir) })
    const id = first.peerId.toString()
    await first.stop()
    const second = await harness.node({ privateKey: await loadOrCreateIdentity(dir) })
    expect(second.peerId.toString()).toBe(id)
    const stranger = await harness.node({ privateKey: await loadOrCreateIdentity(await harness.tempDir()) })
    expect(stranger.peerId.toString()).not.toBe(id)
  })

  it('a LevelDatastore keeps known peers across a restart', async () => {
    const dir = await harness.tempDir()
    const privateKey = await loadOrCreateIdentity(dir)
    const path = join(dir, 'datastore')
    const store1 = new LevelDatastore(path)
    await store1.open()
    harness.closers.push(async () => { await store1.close() })

    const peer = await harness.node()
    const node1 = await harness.node({ privateKey, datastore: store1 })
    await node1.dial(peer.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) })
    // identify has run once the peer's protocols are known
    await waitFor(async () => (await node1.peerStore.has(peer.peerId)) &&
      (await node1.peerStore.get(peer.peerId)).protocols.includes(KAD_PROTOCOL), 5_000, 'identify')
    const peerAddress = peer.getMultiaddrs()[0].decapsulateCode(421).toString() // without /p2p/<id>
    await node1.stop()
    await store1.close()

    const store2 = new LevelDatastore(path)
    await store2.open()
    harness.closers.push(async () => { await store2.close() })
    await peer.stop() // the peer is gone: what node2 knows comes from disk
    const node2 = await harness.node({ privateKey, datastore: store2 })
    expect(await node2.peerStore.has(peer.peerId)).toBe(true)
    const known = await node2.peerStore.get(peer.peerId)
    expect(known.addresses.map(a => a.multiaddr.toString())).toContain(peerAddress)
    expect(known.protocols).toContain(KAD_PROTOCOL)
  })
})
