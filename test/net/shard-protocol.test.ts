/**
 * The shard exchange (`/shoal/shard/1.0.0`) and capacity (`/shoal/capacity/1.0.0`)
 * protocols between real libp2p nodes on 127.0.0.1: a server whose shard
 * service sits on an 8 MiB memory store, and clients that either go through
 * ShardSession / queryCapacity (good paths) or write raw bytes by hand (hostile
 * peers). After every hostile stream the server must still be running, must
 * have stored nothing, and must answer a good request on a new stream.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { sha256 as mfSha256 } from 'multiformats/hashes/sha2'
import { openShardSession, queryCapacity, type ShardSession } from '../../src/net/shard-client.js'
import {
  CAPACITY_PROTOCOL, DEFAULT_LEASE_MS, MAX_BLOCK_BYTES, MAX_HAS_CIDS, MAX_HEADER_BYTES, MAX_LEASE_MS, MIN_LEASE_MS, SHARD_PROTOCOL, Status
} from '../../src/net/shard-messages.js'
import { merkleRoot, verifyMerkleProof } from '../../src/format/merkle.js'
import { encodeFrameLength } from '../../src/net/stream-io.js'
import { damageMemoryShard } from '../../src/store/testing.js'
import { prng, type Prng } from '../helpers/prng.js'
import { rejection } from '../store/helpers.js'
import { Harness, waitFor } from './helpers.js'
import { frame, KiB, makeBlock, MiB, openRaw, rawExchange, sameBytes, startShardServer, type Block, type RawOptions, type ShardServer } from './shard-helpers.js'
import type { ShoalLibp2p } from '../../src/net/libp2p.js'

const SEED = 0x5_4a2d
const QUOTA = 8 * MiB
/** Small enough that a few 15 MiB stores show whether the budget is released. */
const INFLIGHT = 20 * MiB

describe('shard exchange and capacity protocols over libp2p', () => {
  const harness = new Harness()
  let server: ShardServer
  let client: ShoalLibp2p
  let rand: Prng
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }

  beforeEach(async () => {
    unhandled.length = 0
    process.on('unhandledRejection', onUnhandled)
    rand = prng(SEED)
    server = await startShardServer(harness, { capacityBytes: QUOTA, maxInflightStoreBytes: INFLIGHT })
    client = await harness.node()
    await client.dial(server.node.getMultiaddrs())
  })

  afterEach(async () => {
    // a graceful stop waits ~500 ms on open connections: cut them first (streams of a failed test included)
    for (const node of harness.nodes) for (const connection of node.getConnections()) connection.abort(new Error('test over'))
    await harness.cleanup()
    process.off('unhandledRejection', onUnhandled)
    // nothing a peer sent may escape the handlers
    expect(unhandled).toEqual([])
  })

  async function session (from: ShoalLibp2p = client, to: ShardServer = server): Promise<ShardSession> {
    return await openShardSession(from, to.node.peerId, { timeoutMs: 5_000 })
  }

  /** The server is up and a good request on a new stream succeeds (and leaves the store as it was). */
  async function expectHealthy (to: ShardServer = server): Promise<void> {
    expect(to.node.status).toBe('started')
    expect(to.node.services.shard.isStarted()).toBe(true)
    const block = await makeBlock(prng(SEED + 99), 3000)
    const s = await session(client, to)
    try {
      await s.store(block.cid, block.bytes)
      expect(sameBytes(await s.fetch(block.cid), block.bytes)).toBe(true)
      expect(await s.delete(block.cid)).toBe(true)
    } finally {
      await s.close()
    }
    const capacity = await queryCapacity(client, to.node.peerId, { timeoutMs: 5_000 })
    expect(capacity.capacityBytes).toBe((await to.stats()).capacityBytes)
  }

  describe('good paths through ShardSession', () => {
    it('store, fetch (whole and ranged), has and delete round trip', async () => {
      const a = await makeBlock(rand, 100_000)
      const b = await makeBlock(rand, 1)
      const unknown = await makeBlock(rand, 10)
      const s = await session()
      await s.store(a.cid, a.bytes, { announce: 'background' })
      await s.store(b.cid, b.bytes)
      expect(server.announced).toEqual([a.cid.toString()])

      expect(sameBytes(await s.fetch(a.cid), a.bytes)).toBe(true)
      expect(sameBytes(await s.fetch(b.cid), b.bytes)).toBe(true)
      const ranges: Array<{ offset?: number, length?: number }> = [
        { offset: 0, length: 1 }, { offset: 99_999, length: 1 }, { offset: 5_000, length: 70_000 },
        { offset: 40_000 }, { length: 10 }, { offset: 100_000 }, { offset: 100_000, length: 0 }
      ]
      for (const range of ranges) {
        const start = range.offset ?? 0
        const end = range.length === undefined ? a.bytes.length : start + range.length
        expect(sameBytes(await s.fetch(a.cid, range), a.bytes.subarray(start, end)), JSON.stringify(range)).toBe(true)
      }
      // a range past the end is refused, and the session goes on
      expect(await rejection(s.fetch(a.cid, { offset: 99_000, length: 2_000 }))).toMatchObject({ name: 'RemoteError', status: Status.INVALID_REQUEST })
      expect(s.usable).toBe(true)

      expect(await s.has([a.cid, b.cid, unknown.cid])).toEqual([true, true, false])
      expect(await s.has([])).toEqual([])
      // storing again is a no-op
      await s.store(a.cid, a.bytes)
      expect(await server.stats()).toMatchObject({ shardCount: 2, usedBytes: 100_001, freeBytes: QUOTA - 100_001 })

      expect(await s.delete(a.cid)).toBe(true)
      expect(await s.delete(a.cid)).toBe(false)
      expect(await s.has([a.cid, b.cid])).toEqual([false, true])
      expect(await rejection(s.fetch(a.cid))).toMatchObject({ name: 'RemoteError', status: Status.NOT_FOUND, peerId: server.node.peerId.toString() })
      expect(await server.stats()).toMatchObject({ shardCount: 1, usedBytes: 1 })
      expect(s.usable).toBe(true)
      await s.close()
    })

    it('a store that asks to wait for its announcement is answered only once it is done; later requests wait their turn', async () => {
      let release: () => void = () => {}
      const gate = new Promise<void>(resolve => { release = resolve })
      let hold = gate
      const gated = await startShardServer(harness, { onAnnounce: async () => { await hold } })
      await client.dial(gated.node.getMultiaddrs())
      const a = await makeBlock(rand, 1000)
      const b = await makeBlock(rand, 1000)
      const s = await session(client, gated)
      const order: string[] = []
      const announced = s.store(a.cid, a.bytes, { announce: 'wait' }).then(() => { order.push('a') })
      const plain = s.store(b.cid, b.bytes).then(() => { order.push('b') })
      await waitFor(() => gated.announced.length === 1, 5_000, 'the announcement to start')
      await new Promise(resolve => setTimeout(resolve, 200))
      // stored, but not answered while the announcement runs; the pipelined store behind it waits too
      expect(order).toEqual([])
      expect(await gated.store.has(a.cid)).toBe(true)
      release()
      await Promise.all([announced, plain])
      expect(order).toEqual(['a', 'b'])
      expect(gated.announced).toEqual([a.cid.toString()])
      // a background announcement does not hold the answer
      let reopen: () => void = () => {}
      const again = new Promise<void>(resolve => { reopen = resolve })
      hold = again
      const c = await makeBlock(rand, 1000)
      await s.store(c.cid, c.bytes, { announce: 'background' })
      expect(gated.announced).toEqual([a.cid.toString(), c.cid.toString()])
      reopen()
      await s.close()
    })

    it('has accepts exactly MAX_HAS_CIDS CIDs', async () => {
      const stored = await makeBlock(rand, 100)
      const cids = [stored.cid]
      for (let i = 1; i < MAX_HAS_CIDS; i++) cids.push((await makeBlock(rand, 8)).cid)
      const s = await session()
      await s.store(stored.cid, stored.bytes)
      const flags = await s.has(cids)
      expect(flags).toHaveLength(MAX_HAS_CIDS)
      expect(flags.filter(Boolean)).toHaveLength(1)
      expect(flags[0]).toBe(true)
      await s.close()
    })

    it(`pipelined: 20 concurrent stores and fetches on one session all come back right (seed ${SEED})`, async () => {
      const blocks: Block[] = []
      for (let i = 0; i < 20; i++) blocks.push(await makeBlock(rand, 1 + rand.int(256 * KiB)))
      const missing = await makeBlock(rand, 5)
      const s = await session()
      // every request goes out before any answer is awaited
      const stores = blocks.map(async (block, i) => { await s.store(block.cid, block.bytes, { announce: i % 5 === 0 ? 'background' : undefined }) })
      const fetches = blocks.map(async block => await s.fetch(block.cid))
      const ranged = blocks.map(async block => await s.fetch(block.cid, { offset: Math.floor(block.bytes.length / 2) }))
      const notFound = s.fetch(missing.cid).then(() => 'resolved', (err) => err)
      const has = s.has(blocks.map(b => b.cid))
      await Promise.all(stores)
      const whole = await Promise.all(fetches)
      const halves = await Promise.all(ranged)
      for (let i = 0; i < blocks.length; i++) {
        expect(sameBytes(whole[i], blocks[i].bytes), `block ${i}`).toBe(true)
        expect(sameBytes(halves[i], blocks[i].bytes.subarray(Math.floor(blocks[i].bytes.length / 2))), `half of block ${i}`).toBe(true)
      }
      expect(await notFound).toMatchObject({ name: 'RemoteError', status: Status.NOT_FOUND })
      expect(await has).toEqual(blocks.map(() => true))
      expect(s.usable).toBe(true)
      const total = blocks.reduce((sum, b) => sum + b.bytes.length, 0)
      expect(await server.stats()).toMatchObject({ shardCount: 20, usedBytes: total })
      expect(server.announced).toEqual([0, 5, 10, 15].map(i => blocks[i].cid.toString()))
      // and the pipelined deletes too
      expect(await Promise.all(blocks.map(async b => await s.delete(b.cid)))).toEqual(blocks.map(() => true))
      expect(await server.stats()).toMatchObject({ shardCount: 0, usedBytes: 0 })
      await s.close()
    })

    it('delete is owner-checked: a peer that did not store the block gets NOT_OWNER and the block stays', async () => {
      const block = await makeBlock(rand, 4096)
      const owner = await session()
      await owner.store(block.cid, block.bytes)

      const third = await harness.node()
      await third.dial(server.node.getMultiaddrs())
      const other = await session(third)
      expect(await rejection(other.delete(block.cid))).toMatchObject({ name: 'RemoteError', status: Status.NOT_OWNER })
      expect(other.usable).toBe(true)
      // the block is still there, for everyone
      expect(await other.has([block.cid])).toEqual([true])
      expect(sameBytes(await other.fetch(block.cid), block.bytes)).toBe(true)
      expect(await server.store.stat(block.cid)).toMatchObject({ owner: client.peerId.toString(), size: 4096 })
      // a store by the other peer does not take the block over
      await other.store(block.cid, block.bytes)
      expect(await rejection(other.delete(block.cid))).toMatchObject({ name: 'RemoteError', status: Status.NOT_OWNER })
      // the owner may delete it
      expect(await owner.delete(block.cid)).toBe(true)
      expect(await other.has([block.cid])).toEqual([false])
      await other.close()
      await owner.close()
    })

    it('a store over the quota is QUOTA_EXCEEDED, stores nothing, and the session goes on', async () => {
      const big = await makeBlock(rand, 6 * MiB)
      const tooMuch = await makeBlock(rand, 3 * MiB)
      const s = await session()
      await s.store(big.cid, big.bytes)
      const before = await server.stats()
      expect(await rejection(s.store(tooMuch.cid, tooMuch.bytes))).toMatchObject({ name: 'RemoteError', status: Status.QUOTA_EXCEEDED })
      expect(await server.stats()).toEqual(before)
      expect(s.usable).toBe(true)
      expect(await s.has([tooMuch.cid])).toEqual([false])
      const small = await makeBlock(rand, 1000)
      await s.store(small.cid, small.bytes)
      expect(await server.stats()).toMatchObject({ shardCount: 2, usedBytes: 6 * MiB + 1000 })
      await s.close()
    })

    it('a store whose bytes do not hash to its CID, or whose CID is not a shard CID, is INVALID_REQUEST and stores nothing', async () => {
      const a = await makeBlock(rand, 2000)
      const b = await makeBlock(rand, 2000)
      const s = await session()
      const before = await server.stats()
      expect(await rejection(s.store(a.cid, b.bytes))).toMatchObject({ name: 'RemoteError', status: Status.INVALID_REQUEST })
      // one byte off
      const off = a.bytes.slice()
      off[1999] ^= 1
      expect(await rejection(s.store(a.cid, off))).toMatchObject({ name: 'RemoteError', status: Status.INVALID_REQUEST })
      // CIDs of another kind: v0, dag-pb
      const digest = await mfSha256.digest(a.bytes)
      for (const cid of [CID.createV0(digest), CID.createV1(0x70, digest)]) {
        expect(await rejection(s.store(cid, a.bytes)), cid.toString()).toMatchObject({ name: 'RemoteError', status: Status.INVALID_REQUEST })
        expect(await rejection(s.fetch(cid)), cid.toString()).toMatchObject({ name: 'RemoteError', status: Status.INVALID_REQUEST })
      }
      expect(await server.stats()).toEqual(before)
      expect(await s.has([a.cid, b.cid])).toEqual([false, false])
      expect(s.usable).toBe(true)
      await s.store(a.cid, a.bytes)
      expect(await s.has([a.cid])).toEqual([true])
      await s.close()
    })

    it('fetch of an unknown CID is NOT_FOUND and the session serves the next request', async () => {
      const known = await makeBlock(rand, 777)
      const unknown = await makeBlock(rand, 777)
      const s = await session()
      await s.store(known.cid, known.bytes)
      expect(await rejection(s.fetch(unknown.cid))).toMatchObject({ name: 'RemoteError', status: Status.NOT_FOUND })
      expect(await rejection(s.fetch(unknown.cid, { offset: 0, length: 1 }))).toMatchObject({ name: 'RemoteError', status: Status.NOT_FOUND })
      expect(s.usable).toBe(true)
      expect(sameBytes(await s.fetch(known.cid), known.bytes)).toBe(true)
      expect(await s.delete(unknown.cid)).toBe(false)
      await s.close()
    })

    it('a corrupted stored block is answered CORRUPT, never with its bytes, and is quarantined', async () => {
      const flipped = await makeBlock(rand, 50_000)
      const cut = await makeBlock(rand, 50_000)
      const good = await makeBlock(rand, 50_000)
      const s = await session()
      for (const b of [flipped, cut, good]) await s.store(b.cid, b.bytes)
      damageMemoryShard(server.store, flipped.cid, { flipByte: 40_000 })
      damageMemoryShard(server.store, cut.cid, { truncateTo: 49_999 })

      // whole, and a range that does not include the damaged byte: both refused
      expect(await rejection(s.fetch(flipped.cid, { offset: 0, length: 100 }))).toMatchObject({ name: 'RemoteError', status: Status.CORRUPT })
      expect(await rejection(s.fetch(cut.cid))).toMatchObject({ name: 'RemoteError', status: Status.CORRUPT })
      // no stray body followed the answers: the session still reads the right bytes
      expect(s.usable).toBe(true)
      expect(sameBytes(await s.fetch(good.cid), good.bytes)).toBe(true)
      // quarantined: gone from the store
      expect(await rejection(s.fetch(flipped.cid))).toMatchObject({ name: 'RemoteError', status: Status.NOT_FOUND })
      expect(await s.has([flipped.cid, cut.cid, good.cid])).toEqual([false, false, true])
      expect(await server.stats()).toMatchObject({ shardCount: 1, usedBytes: 50_000, quarantinedCount: 2, quarantinedBytes: 100_000 })
      await s.close()
    })

    it('audit: any chunk of a stored block comes with a Merkle path that verifies against the block\'s root', async () => {
      const a = await makeBlock(rand, 100_000) // 25 chunks of 4 KiB, the last one 1,696 bytes
      const s = await session()
      await s.store(a.cid, a.bytes)
      for (const [chunkBytes, chunk] of [[4096, 0], [4096, 12], [4096, 24], [64, 1562], [1024 * 1024, 0]]) {
        const answer = await s.audit(a.cid, chunkBytes, chunk)
        expect(sameBytes(answer.chunk, a.bytes.subarray(chunk * chunkBytes, (chunk + 1) * chunkBytes)), `${chunkBytes}/${chunk}`).toBe(true)
        expect(verifyMerkleProof(merkleRoot(a.bytes, chunkBytes), a.bytes.length, chunkBytes, chunk, answer.chunk, answer.path)).toBe(true)
      }
      // a chunk past the end is INVALID_REQUEST, an unknown block NOT_FOUND; the session goes on
      expect(await rejection(s.audit(a.cid, 4096, 25))).toMatchObject({ name: 'RemoteError', status: Status.INVALID_REQUEST })
      const unknown = await makeBlock(rand, 10)
      expect(await rejection(s.audit(unknown.cid, 4096, 0))).toMatchObject({ name: 'RemoteError', status: Status.NOT_FOUND })
      expect(s.usable).toBe(true)
      // a corrupted block is answered CORRUPT, whichever chunk is asked for (the holder re-hashes the whole block)
      damageMemoryShard(server.store, a.cid, { flipByte: 99_999 })
      expect(await rejection(s.audit(a.cid, 4096, 0))).toMatchObject({ name: 'RemoteError', status: Status.CORRUPT })
      expect(s.usable).toBe(true)
      await s.close()
    })

    it('leases: a store carries its lease, clamped; renew extends held blocks and says which are held', async () => {
      const a = await makeBlock(rand, 1000)
      const b = await makeBlock(rand, 1000)
      const c = await makeBlock(rand, 1000)
      const unknown = await makeBlock(rand, 10)
      const s = await session()
      await s.store(a.cid, a.bytes, { leaseMs: 5_000 })
      await s.store(b.cid, b.bytes) // no lease asked: the holder's default
      await s.store(c.cid, c.bytes, { leaseMs: 1 }) // below the minimum
      expect(server.leases).toEqual([
        { op: 'store', cids: [a.cid.toString()], leaseMs: 5_000 },
        { op: 'store', cids: [b.cid.toString()], leaseMs: DEFAULT_LEASE_MS },
        { op: 'store', cids: [c.cid.toString()], leaseMs: MIN_LEASE_MS }
      ])
      expect(await s.renew([a.cid, unknown.cid, c.cid], 60_000)).toEqual([true, false, true])
      expect(await s.renew([b.cid], Number.MAX_SAFE_INTEGER)).toEqual([true])
      expect(server.leases.slice(3)).toEqual([
        { op: 'renew', cids: [a.cid.toString(), unknown.cid.toString(), c.cid.toString()], leaseMs: 60_000 },
        { op: 'renew', cids: [b.cid.toString()], leaseMs: MAX_LEASE_MS }
      ])
      expect(await s.renew([], 1000)).toEqual([])
      await s.close()
    })

    it('the capacity query returns the store\'s numbers', async () => {
      const empty = await queryCapacity(client, server.node.peerId, { timeoutMs: 5_000 })
      expect({ ...empty }).toMatchObject({ capacityBytes: QUOTA, usedBytes: 0, freeBytes: QUOTA, shardCount: 0 })
      const s = await session()
      for (const size of [1000, 200_000]) {
        const b = await makeBlock(rand, size)
        await s.store(b.cid, b.bytes)
      }
      await s.close()
      const stats = await server.stats()
      const filled = await queryCapacity(client, server.node.peerId, { timeoutMs: 5_000 })
      expect(filled).toMatchObject({ capacityBytes: stats.capacityBytes, usedBytes: stats.usedBytes, freeBytes: stats.freeBytes, shardCount: stats.shardCount })
      expect(filled).toMatchObject({ usedBytes: 201_000, freeBytes: QUOTA - 201_000, shardCount: 2 })
    })
  })

  describe('hostile peers on raw streams', () => {
    const CID_TEXT = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'

    async function raw (protocol: string, chunks: Uint8Array[], options: RawOptions = {}): ReturnType<typeof rawExchange> {
      return await rawExchange(client, server.node.peerId, protocol, chunks, options)
    }

    /** Status of a store announced with `size` whose body never comes (the stream is closed after the header): BUSY, or INVALID_REQUEST once the budget let the server wait for the body. */
    async function probeStore (size: number): Promise<number> {
      const out = await raw(SHARD_PROTOCOL, frame({ op: 'store', cid: CID_TEXT, size }), { closeWrite: true })
      expect(out.frames).toHaveLength(1)
      expect(out.end).toBe('ended')
      return out.frames[0].status
    }

    interface HostileCase {
      name: string
      chunks: () => Uint8Array[]
      options?: RawOptions
      /** Statuses of the frames the server answers with, in order. */
      statuses: number[]
      end: 'reset' | 'ended'
    }

    const textBytes = (s: string): Uint8Array => new TextEncoder().encode(s)
    const shardCases: HostileCase[] = [
      { name: 'garbage bytes', chunks: () => [new Uint8Array(12).fill(0xff)], statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a length prefix one past MAX_HEADER_BYTES', chunks: () => [encodeFrameLength(MAX_HEADER_BYTES + 1)], statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a length prefix of 2^53 - 1', chunks: () => [encodeFrameLength(Number.MAX_SAFE_INTEGER)], statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a length prefix of 10 continuation bytes', chunks: () => [new Uint8Array(10).fill(0x80)], statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a length prefix not minimally encoded', chunks: () => [Uint8Array.of(0x82, 0x00), textBytes('{}')], statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a length prefix cut short, then close', chunks: () => [Uint8Array.of(0x80)], options: { closeWrite: true }, statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a header cut short, then close', chunks: () => [encodeFrameLength(100), textBytes('{"op":"has"')], options: { closeWrite: true }, statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a store with its body cut short, then close', chunks: () => [...frame({ op: 'store', cid: CID_TEXT, size: 1000 }), new Uint8Array(999)], options: { closeWrite: true }, statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a store announcing MAX_BLOCK_BYTES + 1', chunks: () => frame({ op: 'store', cid: CID_TEXT, size: MAX_BLOCK_BYTES + 1 }), statuses: [Status.TOO_LARGE], end: 'ended' },
      { name: 'a store announcing 0 bytes', chunks: () => frame({ op: 'store', cid: CID_TEXT, size: 0 }), statuses: [Status.TOO_LARGE], end: 'ended' },
      { name: 'a non-JSON header', chunks: () => frame('not json at all'), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a header that is not UTF-8', chunks: () => frame(Uint8Array.of(0x7b, 0xc3, 0x28, 0x7d)), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'an empty header', chunks: () => frame(new Uint8Array(0)), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'JSON that is not an object (array)', chunks: () => frame('[{"op":"has","cids":[]}]'), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'JSON that is not an object (null)', chunks: () => frame('null'), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'an unknown op', chunks: () => frame({ op: 'steal', cid: CID_TEXT }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'no op', chunks: () => frame({ cid: CID_TEXT }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'store with a string size', chunks: () => frame({ op: 'store', cid: CID_TEXT, size: '10' }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'store with a fractional size', chunks: () => frame({ op: 'store', cid: CID_TEXT, size: 1.5 }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'store with a non-boolean announce', chunks: () => frame({ op: 'store', cid: CID_TEXT, size: 10, announce: 'yes' }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'fetch with a numeric cid', chunks: () => frame({ op: 'fetch', cid: 123 }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'fetch with a negative offset', chunks: () => frame({ op: 'fetch', cid: CID_TEXT, offset: -1 }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'fetch with a 201-character cid', chunks: () => frame({ op: 'fetch', cid: 'b'.repeat(201) }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'delete without a cid', chunks: () => frame({ op: 'delete' }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'store with a negative lease', chunks: () => frame({ op: 'store', cid: CID_TEXT, size: 10, leaseMs: -5 }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'renew without a lease', chunks: () => frame({ op: 'renew', cids: [CID_TEXT] }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'renew with a string lease', chunks: () => frame({ op: 'renew', cids: [CID_TEXT], leaseMs: '1000' }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'renew with MAX_HAS_CIDS + 1 entries', chunks: () => frame({ op: 'renew', cids: Array(MAX_HAS_CIDS + 1).fill(CID_TEXT), leaseMs: 1000 }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'audit with a chunk size that is not a power of two', chunks: () => frame({ op: 'audit', cid: CID_TEXT, chunkBytes: 4000, chunk: 0 }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'audit with a chunk size below the minimum', chunks: () => frame({ op: 'audit', cid: CID_TEXT, chunkBytes: 32, chunk: 0 }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'audit with a chunk size above the maximum', chunks: () => frame({ op: 'audit', cid: CID_TEXT, chunkBytes: 2 ** 21, chunk: 0 }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'audit with a negative chunk', chunks: () => frame({ op: 'audit', cid: CID_TEXT, chunkBytes: 4096, chunk: -1 }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'audit without a chunk', chunks: () => frame({ op: 'audit', cid: CID_TEXT, chunkBytes: 4096 }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'has with a string instead of a list', chunks: () => frame({ op: 'has', cids: CID_TEXT }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'has with a number in the list', chunks: () => frame({ op: 'has', cids: [CID_TEXT, 7] }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'has with MAX_HAS_CIDS + 1 entries', chunks: () => frame({ op: 'has', cids: Array(MAX_HAS_CIDS + 1).fill(CID_TEXT) }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      // 10,000 short entries fit under the header limit and are refused by count; 10,000 real CIDs are refused by size
      { name: 'has with 10,000 short entries', chunks: () => frame({ op: 'has', cids: Array(10_000).fill('x') }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'has with 10,000 CIDs', chunks: () => frame({ op: 'has', cids: Array(10_000).fill(CID_TEXT) }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      {
        name: 'a good request, then garbage on the same stream',
        chunks: () => [...frame({ op: 'has', cids: [CID_TEXT] }), new Uint8Array(12).fill(0xff)],
        statuses: [Status.OK, Status.INVALID_REQUEST],
        end: 'ended'
      }
    ]

    it.each(shardCases)('shard protocol: $name → answered, server side ended, nothing stored, server healthy', async (c) => {
      const before = await server.stats()
      const out = await raw(SHARD_PROTOCOL, c.chunks(), c.options)
      expect(out.frames.map(f => f.status)).toEqual(c.statuses)
      expect(out.trailing).toBe(0)
      expect(out.end).toBe(c.end)
      expect(await server.stats()).toEqual(before)
      await expectHealthy()
    })

    it('shard protocol: a bad CID string inside a well-formed request is answered and the stream goes on', async () => {
      const before = await server.stats()
      const out = await raw(SHARD_PROTOCOL, [
        ...frame({ op: 'fetch', cid: 'not-a-cid' }),
        ...frame({ op: 'has', cids: ['not-a-cid'] }),
        ...frame({ op: 'store', cid: 'not-a-cid', size: 5 }), new Uint8Array(5),
        ...frame({ op: 'has', cids: [CID_TEXT] })
      ], { closeWrite: true })
      // the body of the refused store was consumed: the last request is answered normally
      expect(out.frames.map(f => f.status)).toEqual([Status.INVALID_REQUEST, Status.INVALID_REQUEST, Status.INVALID_REQUEST, Status.OK])
      expect(out.frames[3].has).toEqual([false])
      expect(out.end).toBe('ended')
      expect(await server.stats()).toEqual(before)
      await expectHealthy()
    })

    it('shard protocol: a request and then an immediate reset leaves the server healthy and the store unchanged', async () => {
      const kept = await makeBlock(rand, 20_000)
      const s = await session()
      await s.store(kept.cid, kept.bytes)
      await s.close()
      const before = await server.stats()
      const requests: Uint8Array[][] = [
        frame({ op: 'fetch', cid: kept.cid.toString() }),
        frame({ op: 'has', cids: [kept.cid.toString()] }),
        [...frame({ op: 'store', cid: CID_TEXT, size: 1 * MiB }), new Uint8Array(100 * KiB)],
        [...frame({ op: 'store', cid: CID_TEXT, size: 15 * MiB }), new Uint8Array(1 * MiB)]
      ]
      for (const chunks of requests) {
        const out = await raw(SHARD_PROTOCOL, chunks, { reset: true })
        expect(out.end).toBe('local')
      }
      expect(await server.stats()).toEqual(before)
      // the reset stores gave their budget back (a 16 MiB store would be BUSY next to a leaked 15 MiB)
      await waitFor(async () => await probeStore(MAX_BLOCK_BYTES) === Status.INVALID_REQUEST, 5_000, 'the in-flight budget to be released')
      await expectHealthy()
    })

    it('shard protocol: a store past the in-flight budget is BUSY; truncated stores give their budget back', async () => {
      const before = await server.stats()
      expect(await probeStore(MAX_BLOCK_BYTES)).toBe(Status.INVALID_REQUEST)
      // a stalled 15 MiB store holds 15 of the 20 MiB
      const held = await openRaw(client, server.node.peerId, SHARD_PROTOCOL)
      try {
        await held.write([...frame({ op: 'store', cid: CID_TEXT, size: 15 * MiB }), new Uint8Array(MiB)])
        await waitFor(async () => await probeStore(6 * MiB) === Status.BUSY, 5_000, 'the stalled store to hold its budget')
        expect(await probeStore(5 * MiB)).toBe(Status.INVALID_REQUEST) // 15 + 5 fits exactly
        expect(await probeStore(5 * MiB + 1)).toBe(Status.BUSY)
        // the stalled store's body ends short: refused, and its budget comes back before the answer
        await held.closeWrite()
        const out = await held.outcome()
        expect(out.frames.map(f => f.status)).toEqual([Status.INVALID_REQUEST])
        expect(out.end).toBe('ended')
      } finally {
        held.abort()
      }
      expect(await probeStore(MAX_BLOCK_BYTES)).toBe(Status.INVALID_REQUEST)

      // several truncated 15 MiB stores in a row (one of them a byte short): each would be BUSY had an earlier one leaked
      for (const sent of [15 * MiB - 1, MiB, 0, 64 * KiB]) {
        const out = await raw(SHARD_PROTOCOL, [...frame({ op: 'store', cid: CID_TEXT, size: 15 * MiB }), new Uint8Array(sent)], { closeWrite: true })
        expect(out.frames.map(f => f.status), `${sent} bytes sent`).toEqual([Status.INVALID_REQUEST])
      }
      expect(await server.stats()).toEqual(before)
      // a normal 6 MiB store fits only if none of the 15 MiB leaked
      const block = await makeBlock(rand, 6 * MiB)
      const s = await session()
      await s.store(block.cid, block.bytes)
      expect(sameBytes(await s.fetch(block.cid), block.bytes)).toBe(true)
      await s.close()
      expect(await server.stats()).toMatchObject({ shardCount: 1, usedBytes: 6 * MiB })
    })

    it('shard protocol: a store whose body stalls is given up after requestTimeoutMs (500 ms) and its budget released', async () => {
      const slow = await startShardServer(harness, { capacityBytes: QUOTA, maxInflightStoreBytes: INFLIGHT, requestTimeoutMs: 500 })
      await client.dial(slow.node.getMultiaddrs())
      const before = await slow.stats()
      const started = Date.now()
      const out = await rawExchange(client, slow.node.peerId, SHARD_PROTOCOL, [...frame({ op: 'store', cid: CID_TEXT, size: 15 * MiB }), new Uint8Array(MiB)])
      expect(Date.now() - started).toBeLessThan(4_000)
      expect(out.frames.map(f => f.status)).toEqual([Status.INVALID_REQUEST])
      expect(out.end).toBe('ended')
      expect(await slow.stats()).toEqual(before)
      const probe = await rawExchange(client, slow.node.peerId, SHARD_PROTOCOL, frame({ op: 'store', cid: CID_TEXT, size: MAX_BLOCK_BYTES }), { closeWrite: true })
      expect(probe.frames.map(f => f.status)).toEqual([Status.INVALID_REQUEST])
      await expectHealthy(slow)
    })

    const capacityCases: HostileCase[] = [
      { name: 'garbage bytes', chunks: () => [new Uint8Array(12).fill(0xff)], statuses: [], end: 'reset' },
      { name: 'a length prefix one past MAX_HEADER_BYTES', chunks: () => [encodeFrameLength(MAX_HEADER_BYTES + 1)], statuses: [], end: 'reset' },
      { name: 'a length prefix of 10 continuation bytes', chunks: () => [new Uint8Array(10).fill(0x80)], statuses: [], end: 'reset' },
      { name: 'a frame cut short, then close', chunks: () => [encodeFrameLength(100), textBytes('{"op":"capa')], options: { closeWrite: true }, statuses: [], end: 'reset' },
      { name: 'nothing, then close', chunks: () => [], options: { closeWrite: true }, statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a non-JSON frame', chunks: () => frame('capacity please'), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a frame that is not UTF-8', chunks: () => frame(Uint8Array.of(0x7b, 0xc3, 0x28, 0x7d)), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'JSON null', chunks: () => frame('null'), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'an unknown op', chunks: () => frame({ op: 'store', cid: CID_TEXT, size: 10 }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'an op of the wrong type', chunks: () => frame({ op: ['capacity'] }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a 10,000-entry has', chunks: () => frame({ op: 'has', cids: Array(10_000).fill('x') }), statuses: [Status.INVALID_REQUEST], end: 'ended' },
      { name: 'a good request followed by garbage', chunks: () => [...frame({ op: 'capacity' }), new Uint8Array(12).fill(0xff)], statuses: [Status.OK], end: 'ended' }
    ]

    it.each(capacityCases)('capacity protocol: $name → answered or aborted, nothing stored, server healthy', async (c) => {
      const before = await server.stats()
      const out = await raw(CAPACITY_PROTOCOL, c.chunks(), c.options)
      expect(out.frames.map(f => f.status)).toEqual(c.statuses)
      expect(out.trailing).toBe(0)
      expect(out.end).toBe(c.end)
      expect(await server.stats()).toEqual(before)
      await expectHealthy()
    })

    it('capacity protocol: a request and then an immediate reset leaves the server healthy', async () => {
      const before = await server.stats()
      for (const chunks of [frame({ op: 'capacity' }), [encodeFrameLength(50)], frame('nonsense')]) {
        expect((await raw(CAPACITY_PROTOCOL, chunks, { reset: true })).end).toBe('local')
      }
      expect(await server.stats()).toEqual(before)
      await expectHealthy()
    })
  })

  describe('status answers that end a stream, and idle streams', () => {
    it('the server does put BUSY on the wire for a store past its budget (raw stream)', async () => {
      const busy = await startShardServer(harness, { maxInflightStoreBytes: 1000 })
      await client.dial(busy.node.getMultiaddrs())
      const block = await makeBlock(rand, 2000)
      const out = await rawExchange(client, busy.node.peerId, SHARD_PROTOCOL, [...frame({ op: 'store', cid: block.cid.toString(), size: 2000 }), block.bytes])
      expect(out.frames.map(f => f.status)).toEqual([Status.BUSY])
      expect(out.end).toBe('ended')
      expect(await busy.stats()).toMatchObject({ shardCount: 0 })
    })

    // Was a bug (shard-service.ts serve() wrote the answer then aborted at once, dropping it; stream-reader.ts #fill let a stored
    // error win over buffered bytes; shard-client.ts read the answer only after the body write, which failed
    // on the reset): the BUSY answer reached ShardSession as StreamResetError in ~39 of 40 tries. Held in place here.
    it('a store refused BUSY reaches ShardSession as RemoteError with status BUSY', async () => {
      const busy = await startShardServer(harness, { maxInflightStoreBytes: 1000 })
      await client.dial(busy.node.getMultiaddrs())
      const block = await makeBlock(rand, 2000)
      for (let i = 0; i < 10; i++) {
        const s = await session(client, busy)
        const err = await rejection(s.store(block.cid, block.bytes))
        await s.close()
        expect({ name: err.name, status: err.status }, `attempt ${i}`).toEqual({ name: 'RemoteError', status: Status.BUSY })
      }
    })

    // In 933bcb5 `usable` was `broken === null` only, so RemoteHolder.open() (node/holders.ts) reused a session
    // the peer had already reset, and the first call to that peer after 60 s of quiet failed. Since 776deea it
    // also checks the stream's status; this test holds that in place.
    it('the server ends a stream left idle for idleTimeoutMs; the session then reports unusable, and a call on it fails with a stream error', async () => {
      const idle = await startShardServer(harness, { idleTimeoutMs: 1000 })
      await client.dial(idle.node.getMultiaddrs())
      const s = await session(client, idle)
      expect(await s.has([])).toEqual([])
      const lastRequest = Date.now()
      expect(shardStreams(idle)).toHaveLength(1)
      expect(s.usable).toBe(true)
      await waitFor(() => shardStreams(idle).length === 0, 5_000, 'the idle stream to end')
      expect(Date.now() - lastRequest).toBeGreaterThanOrEqual(800)
      expect(s.usable).toBe(false)
      const err = await rejection(s.has([]))
      expect(['StreamResetError', 'StreamAbortedError', 'StreamClosedError']).toContain(err.name)
      await expectHealthy(idle)
    })

    function shardStreams (to: ShardServer): unknown[] {
      return client.getConnections(to.node.peerId).flatMap(c => c.streams.filter(st => st.protocol === SHARD_PROTOCOL))
    }
  })
})
