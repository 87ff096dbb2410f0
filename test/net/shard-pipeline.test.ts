/**
 * The shard service works on several requests of one stream at once (a store's
 * body is read while the previous block is written; fetches overlap), and
 * still answers in request order. A backend over a memory store whose put and
 * get can be held shows the overlap; real libp2p nodes on 127.0.0.1.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openShardSession } from '../../src/net/shard-client.js'
import { Status } from '../../src/net/shard-messages.js'
import { shardService, type ShardService } from '../../src/net/shard-service.js'
import { createMemoryShardStore, type ShardStore } from '../../src/store/index.js'
import { prng } from '../helpers/prng.js'
import { rejection } from '../store/helpers.js'
import { Harness, waitFor } from './helpers.js'
import { makeBlock, sameBytes, type Block } from './shard-helpers.js'
import type { ShoalLibp2p } from '../../src/net/libp2p.js'

const SEED = 0x919e

/** A gate per CID: calls on a held CID wait until it is let go. */
class Gates {
  private readonly held = new Map<string, { promise: Promise<void>, open: () => void }>()
  /** CIDs whose call started, in order. */
  readonly started: string[] = []

  hold (block: Block): void {
    let open: () => void = () => {}
    const promise = new Promise<void>(resolve => { open = resolve })
    this.held.set(block.cid.toString(), { promise, open })
  }

  release (block: Block): void {
    this.held.get(block.cid.toString())?.open()
  }

  async pass (cid: string): Promise<void> {
    this.started.push(cid)
    await this.held.get(cid)?.promise
  }
}

describe('shard service: pipelined requests on one stream', () => {
  const harness = new Harness()
  let store: ShardStore
  let server: ShoalLibp2p<{ shard: ShardService }>
  let client: ShoalLibp2p
  let puts: Gates
  let gets: Gates
  const rand = prng(SEED)

  async function start (maxInflightStoreBytes?: number): Promise<void> {
    store = createMemoryShardStore({ capacityBytes: 64 * 1024 * 1024 })
    await store.start()
    harness.closers.push(async () => { await store.stop() })
    puts = new Gates()
    gets = new Gates()
    server = await harness.node<{ shard: ShardService }>({
      services: {
        shard: shardService({
          maxInflightStoreBytes,
          backend: {
            put: async (cid, bytes, options) => { await puts.pass(cid.toString()); await store.put(cid, bytes, options) },
            get: async (cid, options) => { await gets.pass(cid.toString()); return await store.get(cid, options) },
            has: async (cid, options) => await store.has(cid, options),
            delete: async (cid, options) => await store.delete(cid, options),
            stats: async (options) => await store.stats(options)
          }
        })
      }
    })
    client = await harness.node()
    await client.dial(server.getMultiaddrs())
  }

  beforeEach(async () => { await start() })

  afterEach(async () => {
    for (const node of harness.nodes) for (const connection of node.getConnections()) connection.abort(new Error('test over'))
    await harness.cleanup()
  })

  it('the next store is read and started while the previous one is held; answers keep request order', async () => {
    const a = await makeBlock(rand, 200_000)
    const b = await makeBlock(rand, 300_000)
    const s = await openShardSession(client, server.peerId, { timeoutMs: 5_000 })
    puts.hold(a)
    const order: string[] = []
    const storedA = s.store(a.cid, a.bytes).then(() => { order.push('a') })
    const storedB = s.store(b.cid, b.bytes).then(() => { order.push('b') })
    // b's body was read and its put ran to the end while a's put is still held
    await waitFor(async () => await store.has(b.cid), 5_000, 'b to be stored while a is held')
    expect(puts.started).toEqual([a.cid.toString(), b.cid.toString()])
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(order).toEqual([])
    puts.release(a)
    await Promise.all([storedA, storedB])
    expect(order).toEqual(['a', 'b'])
    expect(sameBytes(await store.get(a.cid), a.bytes)).toBe(true)
    await s.close()
  })

  it('fetches overlap too, answered in order with the right bytes; a fetch waits for the stores sent before it', async () => {
    const a = await makeBlock(rand, 100_000)
    const b = await makeBlock(rand, 150_000)
    const s = await openShardSession(client, server.peerId, { timeoutMs: 5_000 })
    puts.hold(a)
    const stores = Promise.all([s.store(a.cid, a.bytes), s.store(b.cid, b.bytes)])
    // sent behind a held store: must see it stored, not NOT_FOUND
    const fetchedA = s.fetch(a.cid)
    await waitFor(() => puts.started.length === 2, 5_000, 'both stores to start')
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(gets.started).toEqual([])
    gets.hold(a)
    puts.release(a)
    await stores
    const fetchedB = s.fetch(b.cid)
    await waitFor(() => gets.started.length === 2, 5_000, 'the second fetch to start while the first is held')
    gets.release(a)
    const [bytesA, bytesB] = await Promise.all([fetchedA, fetchedB])
    expect(sameBytes(bytesA, a.bytes)).toBe(true)
    expect(sameBytes(bytesB, b.bytes)).toBe(true)
    await s.close()
  })

  it('a stream\'s own stores in flight do not make its next store BUSY: it waits for them', async () => {
    for (const node of harness.nodes) for (const connection of node.getConnections()) connection.abort(new Error('restart'))
    await harness.cleanup()
    await start(500_000)
    const a = await makeBlock(rand, 300_000)
    const b = await makeBlock(rand, 300_000)
    const s = await openShardSession(client, server.peerId, { timeoutMs: 5_000 })
    puts.hold(a)
    const both = Promise.all([s.store(a.cid, a.bytes), s.store(b.cid, b.bytes)])
    await waitFor(() => puts.started.length === 1, 5_000, 'a to start')
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(puts.started.length).toBe(1) // b waits for the budget a holds
    puts.release(a)
    await both
    expect(await store.has(b.cid)).toBe(true)
    // another stream is still refused while the budget is held
    const c = await makeBlock(rand, 300_000)
    const d = await makeBlock(rand, 300_000)
    puts.hold(c)
    const first = s.store(c.cid, c.bytes)
    await waitFor(() => puts.started.length === 3, 5_000, 'c to start')
    const other = await openShardSession(client, server.peerId, { timeoutMs: 5_000 })
    expect(await rejection(other.store(d.cid, d.bytes))).toMatchObject({ name: 'RemoteError', status: Status.BUSY })
    puts.release(c)
    await first
    await s.close()
  })
})
