/**
 * The ShardStore compliance suite: every implementation runs it through its own
 * test file with a factory. Errors are checked by `name` and fields, never text.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha512 } from 'multiformats/hashes/sha2'
import { MAX_SHARD_BYTES } from '../../src/store/constants.js'
import { collect, makeShard, prng, rejection, SAME, sameBytes, seededBytes } from './helpers.js'
import type { Damage } from '../../src/store/testing.js'
import type { ScrubProgressEvent, ShardStore } from '../../src/store/types.js'

export interface StoreHarness {
  /** A started store. */
  store: ShardStore
  /** Damages a stored shard behind the store's back. */
  damage: (cid: CID, damage: Damage) => Promise<void>
}

export type StoreFactory = (init: { capacityBytes: number }) => Promise<StoreHarness>

const MiB = 1024 * 1024

export function shardStoreCompliance (name: string, factory: StoreFactory): void {
  describe(`ShardStore compliance: ${name}`, () => {
    const open: ShardStore[] = []
    const harness = async (capacityBytes = 64 * MiB): Promise<StoreHarness> => {
      const h = await factory({ capacityBytes })
      open.push(h.store)
      return h
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map(async (s) => { await s.stop() }))
    })

    it('put, get, has, stat, list, stats and delete round trip', async () => {
      const { store } = await harness()
      const shards = await Promise.all([makeShard(1, 1), makeShard(2, 1000), makeShard(3, 5 * MiB + 17)])
      const before = Date.now()
      for (const s of shards) await store.put(s.cid, s.bytes)
      const after = Date.now()

      for (const s of shards) {
        expect(await store.has(s.cid)).toBe(true)
        expect(sameBytes(await store.get(s.cid), s.bytes)).toEqual(SAME)
        const info = await store.stat(s.cid)
        expect(info.cid.equals(s.cid)).toBe(true)
        expect(info.size).toBe(s.bytes.byteLength)
        expect(info.owner).toBeUndefined()
        expect(info.storedAt).toBeGreaterThanOrEqual(before)
        expect(info.storedAt).toBeLessThanOrEqual(after)
      }
      const listed = await collect(store.list())
      expect(listed.map((i) => i.cid.toString()).sort()).toEqual(shards.map((s) => s.cid.toString()).sort())
      for (const i of listed) expect(i.size).toBe(shards.find((s) => s.cid.equals(i.cid))?.bytes.byteLength)

      const total = shards.reduce((n, s) => n + s.bytes.byteLength, 0)
      expect(await store.stats()).toEqual({
        capacityBytes: 64 * MiB, usedBytes: total, freeBytes: 64 * MiB - total, shardCount: 3, quarantinedCount: 0, quarantinedBytes: 0
      })

      expect(await store.delete(shards[1].cid)).toBe(true)
      expect(await store.has(shards[1].cid)).toBe(false)
      expect((await rejection(store.get(shards[1].cid))).name).toBe('ShardNotFoundError')
      expect((await rejection(store.stat(shards[1].cid))).name).toBe('ShardNotFoundError')
      expect(await store.delete(shards[1].cid)).toBe(false)
      const stats = await store.stats()
      expect(stats.usedBytes).toBe(total - 1000)
      expect(stats.shardCount).toBe(2)
      expect((await collect(store.list())).length).toBe(2)
    })

    it('a missing shard: get and stat throw ShardNotFoundError with the cid, has is false', async () => {
      const { store } = await harness()
      const s = await makeShard(4, 10)
      const err = await rejection(store.get(s.cid))
      expect(err.name).toBe('ShardNotFoundError')
      expect((err.cid as CID).equals(s.cid)).toBe(true)
      expect(await store.has(s.cid)).toBe(false)
    })

    it('stores a copy and returns copies: neither side can change the stored bytes', async () => {
      const { store } = await harness()
      const s = await makeShard(5, 64)
      const input = s.bytes.slice()
      await store.put(s.cid, input)
      input.fill(0)
      const first = await store.get(s.cid)
      expect(sameBytes(first, s.bytes)).toEqual(SAME)
      first.fill(0)
      expect(sameBytes(await store.get(s.cid), s.bytes)).toEqual(SAME)
    })

    it('ranged get returns exactly the range, across read-chunk boundaries', async () => {
      const { store } = await harness()
      const small = await makeShard(6, 100)
      const big = await makeShard(7, 2 * MiB + 5)
      await store.put(small.cid, small.bytes)
      await store.put(big.cid, big.bytes)
      const cases: Array<[number | undefined, number | undefined]> = [
        [0, 1], [99, 1], [10, 20], [undefined, 50], [40, undefined], [100, 0], [100, undefined], [0, 100], [0, 0]
      ]
      for (const [offset, length] of cases) {
        const start = offset ?? 0
        const end = length === undefined ? 100 : start + length
        expect(sameBytes(await store.get(small.cid, { offset, length }), small.bytes.slice(start, end))).toEqual(SAME)
      }
      for (const [offset, length] of [[MiB - 3, 10], [2 * MiB - 1, 6], [5, 2 * MiB], [2 * MiB + 4, 1]]) {
        expect(sameBytes(await store.get(big.cid, { offset, length }), big.bytes.slice(offset, offset + length))).toEqual(SAME)
      }
    })

    it('bad ranges throw InvalidRangeError with offset, length and size', async () => {
      const { store } = await harness()
      const s = await makeShard(8, 100)
      await store.put(s.cid, s.bytes)
      const bad: Array<[number | undefined, number | undefined]> = [
        [101, undefined], [101, 0], [50, 51], [0, 101], [-1, 5], [0, -1], [1.5, 2], [0, 2.5], [Number.NaN, 1], [0, Number.POSITIVE_INFINITY]
      ]
      for (const [offset, length] of bad) {
        const err = await rejection(store.get(s.cid, { offset, length }))
        expect(err.name, `offset ${String(offset)} length ${String(length)}`).toBe('InvalidRangeError')
      }
      const err = await rejection(store.get(s.cid, { offset: 50, length: 51 }))
      expect([err.offset, err.length, err.size]).toEqual([50, 51, 100])
      // the shard is untouched by refused reads
      expect(sameBytes(await store.get(s.cid), s.bytes)).toEqual(SAME)
    })

    it('put refuses bytes that do not hash to the CID, and stores nothing', async () => {
      const { store } = await harness()
      const a = await makeShard(9, 100)
      const b = await makeShard(10, 100)
      const err = await rejection(store.put(a.cid, b.bytes))
      expect(err.name).toBe('InvalidShardError')
      expect(err.reason).toBe('hash-mismatch')
      expect((err.cid as CID).equals(a.cid)).toBe(true)
      const flipped = a.bytes.slice()
      flipped[99] ^= 1
      expect((await rejection(store.put(a.cid, flipped))).name).toBe('InvalidShardError')
      expect(await store.has(a.cid)).toBe(false)
      expect(await store.has(b.cid)).toBe(false)
      const stats = await store.stats()
      expect([stats.usedBytes, stats.shardCount, stats.freeBytes]).toEqual([0, 0, 64 * MiB])
    })

    it('put refuses empty and oversized bytes, and non-bytes', async () => {
      const { store } = await harness(128 * MiB)
      const empty = new Uint8Array(0)
      const emptyCid = (await makeShard(0, 0)).cid
      const err = await rejection(store.put(emptyCid, empty))
      expect([err.name, err.reason]).toEqual(['InvalidShardError', 'empty'])
      const huge = new Uint8Array(MAX_SHARD_BYTES + 1)
      const tooBig = await rejection(store.put(emptyCid, huge))
      expect([tooBig.name, tooBig.reason, tooBig.size]).toEqual(['InvalidShardError', 'too-large', MAX_SHARD_BYTES + 1])
      const notBytes = await rejection(store.put(emptyCid, 'hello' as unknown as Uint8Array))
      expect([notBytes.name, notBytes.reason]).toEqual(['InvalidShardError', 'not-bytes'])
      expect((await store.stats()).shardCount).toBe(0)
    })

    it('CIDs that cannot name a shard are refused by every method with UnsupportedCidError', async () => {
      const { store } = await harness()
      const s = await makeShard(11, 32)
      const dagPb = CID.createV1(0x70, s.cid.multihash)
      const v0 = CID.createV0(s.cid.multihash as Digest.Digest<0x12, 32>)
      const sha512Raw = CID.createV1(0x55, await sha512.digest(s.bytes))
      for (const cid of [dagPb, v0, sha512Raw]) {
        expect((await rejection(store.put(cid, s.bytes))).name).toBe('UnsupportedCidError')
        expect((await rejection(store.get(cid))).name).toBe('UnsupportedCidError')
        expect((await rejection(store.has(cid))).name).toBe('UnsupportedCidError')
        expect((await rejection(store.delete(cid))).name).toBe('UnsupportedCidError')
      }
      expect((await rejection(store.get('bafk...' as unknown as CID))).name).toBe('InvalidCidError')
      expect((await store.stats()).shardCount).toBe(0)
    })

    it('quota: an exact fill succeeds, one more byte is refused with QuotaExceededError', async () => {
      const { store } = await harness(1000)
      const a = await makeShard(12, 600)
      const b = await makeShard(13, 400)
      const c = await makeShard(14, 1)
      await store.put(a.cid, a.bytes)
      const partial = await rejection(store.put(b.cid, seededBytes(13, 401)))
      expect(partial.name).toBe('InvalidShardError') // hash is checked before the quota
      const over = await makeShard(15, 401)
      const err = await rejection(store.put(over.cid, over.bytes))
      expect(err.name).toBe('QuotaExceededError')
      expect([err.needed, err.free, err.capacity]).toEqual([401, 400, 1000])
      await store.put(b.cid, b.bytes)
      expect(await store.stats()).toMatchObject({ usedBytes: 1000, freeBytes: 0, shardCount: 2 })
      const full = await rejection(store.put(c.cid, c.bytes))
      expect(full.name).toBe('QuotaExceededError')
      expect([full.needed, full.free, full.capacity]).toEqual([1, 0, 1000])
      expect(await store.has(c.cid)).toBe(false)
      // deleting frees the space again
      await store.delete(a.cid)
      await store.put(c.cid, c.bytes)
      expect(await store.stats()).toMatchObject({ usedBytes: 401, freeBytes: 599, shardCount: 2 })
    })

    it('50 concurrent puts that together exceed the quota never exceed it', async () => {
      const capacity = 10_000
      const { store } = await harness(capacity)
      const next = prng(0xc0ffee)
      const shards = await Promise.all(Array.from({ length: 50 }, async (_, i) => await makeShard(100 + i, 300 + Math.floor(next() * 400))))
      let done = false
      let peak = 0
      const sampler = (async () => {
        while (!done) {
          peak = Math.max(peak, (await store.stats()).usedBytes)
          await new Promise((resolve) => setImmediate(resolve))
        }
      })()
      const results = await Promise.allSettled(shards.map(async (s) => { await store.put(s.cid, s.bytes) }))
      done = true
      await sampler

      const accepted = shards.filter((_, i) => results[i].status === 'fulfilled')
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      expect(accepted.length).toBeGreaterThan(0)
      expect(refused.length).toBeGreaterThan(0)
      for (const r of refused) expect((r.reason as Error).name).toBe('QuotaExceededError')
      const acceptedBytes = accepted.reduce((n, s) => n + s.bytes.byteLength, 0)
      expect(acceptedBytes).toBeLessThanOrEqual(capacity)
      const stats = await store.stats()
      expect(stats.usedBytes).toBe(acceptedBytes)
      expect(stats.shardCount).toBe(accepted.length)
      expect(stats.freeBytes).toBe(capacity - acceptedBytes)
      expect(peak).toBeLessThanOrEqual(capacity)
      for (const s of accepted) expect(sameBytes(await store.get(s.cid), s.bytes)).toEqual(SAME)
      for (const s of shards.filter((_, i) => results[i].status === 'rejected')) expect(await store.has(s.cid)).toBe(false)
    })

    it('put of a shard already stored is a no-op, also concurrently: counted once, first owner kept', async () => {
      const { store } = await harness(1000)
      const s = await makeShard(16, 700)
      await store.put(s.cid, s.bytes, { owner: 'peerA' })
      await store.put(s.cid, s.bytes, { owner: 'peerB' })
      await Promise.all(Array.from({ length: 5 }, async () => { await store.put(s.cid, s.bytes) }))
      expect(await store.stats()).toMatchObject({ usedBytes: 700, shardCount: 1 })
      expect((await store.stat(s.cid)).owner).toBe('peerA')
      expect((await collect(store.list())).length).toBe(1)

      const t = await makeShard(17, 200)
      await Promise.all([store.put(t.cid, t.bytes), store.put(t.cid, t.bytes), store.put(t.cid, t.bytes)])
      expect(await store.stats()).toMatchObject({ usedBytes: 900, shardCount: 2 })
    })

    it('delete is owner-checked: only the recorded owner (or force) removes an owned shard', async () => {
      const { store } = await harness()
      const owned = await makeShard(18, 50)
      const free = await makeShard(19, 50)
      await store.put(owned.cid, owned.bytes, { owner: 'peerA' })
      await store.put(free.cid, free.bytes)
      expect((await store.stat(owned.cid)).owner).toBe('peerA')
      expect((await collect(store.list())).find((i) => i.cid.equals(owned.cid))?.owner).toBe('peerA')

      const err = await rejection(store.delete(owned.cid, { owner: 'peerB' }))
      expect(err.name).toBe('NotOwnerError')
      expect((err.cid as CID).equals(owned.cid)).toBe(true)
      expect(err.requestedBy).toBe('peerB')
      const anonymous = await rejection(store.delete(owned.cid))
      expect(anonymous.name).toBe('NotOwnerError')
      expect(anonymous.requestedBy).toBeUndefined()
      expect(sameBytes(await store.get(owned.cid), owned.bytes)).toEqual(SAME)

      expect(await store.delete(owned.cid, { owner: 'peerA' })).toBe(true)
      expect(await store.has(owned.cid)).toBe(false)
      // a shard stored without an owner can be deleted by anyone
      expect(await store.delete(free.cid, { owner: 'peerZ' })).toBe(true)

      await store.put(owned.cid, owned.bytes, { owner: 'peerA' })
      expect(await store.delete(owned.cid, { force: true })).toBe(true)
      // after the delete, a new put records its own owner
      await store.put(owned.cid, owned.bytes, { owner: 'peerC' })
      expect((await store.stat(owned.cid)).owner).toBe('peerC')

      expect((await rejection(store.put(free.cid, free.bytes, { owner: '' }))).name).toBe('InvalidArgumentError')
      expect((await rejection(store.put(free.cid, free.bytes, { owner: 'x'.repeat(1025) }))).name).toBe('InvalidArgumentError')
      expect(await store.has(free.cid)).toBe(false)
    })

    it('a corrupt shard is never returned: get throws CorruptShardError and quarantines it', async () => {
      const { store, damage } = await harness()
      const a = await makeShard(20, 1000)
      const b = await makeShard(21, 300)
      await store.put(a.cid, a.bytes, { owner: 'peerA' })
      await store.put(b.cid, b.bytes)
      await damage(a.cid, { flipByte: 500 })

      // even a range that lies entirely in the undamaged part is refused
      const err = await rejection(store.get(a.cid, { offset: 0, length: 10 }))
      expect(err.name).toBe('CorruptShardError')
      expect((err.cid as CID).equals(a.cid)).toBe(true)
      expect(await store.has(a.cid)).toBe(false)
      expect((await rejection(store.get(a.cid))).name).toBe('ShardNotFoundError')
      expect(await store.stats()).toMatchObject({
        usedBytes: 300, shardCount: 1, quarantinedCount: 1, quarantinedBytes: 1000, freeBytes: 64 * MiB - 300
      })
      expect((await collect(store.list())).map((i) => i.cid.toString())).toEqual([b.cid.toString()])
      expect(sameBytes(await store.get(b.cid), b.bytes)).toEqual(SAME)

      // good bytes can be stored again under the same CID
      await store.put(a.cid, a.bytes)
      expect(sameBytes(await store.get(a.cid), a.bytes)).toEqual(SAME)
      expect(await store.stats()).toMatchObject({ usedBytes: 1300, shardCount: 2, quarantinedCount: 1 })
    })

    it('scrub re-hashes everything, quarantines and reports the corrupt shards', async () => {
      const { store, damage } = await harness()
      const shards = await Promise.all([20, 1, 4096, 70_000, 9].map(async (n, i) => await makeShard(30 + i, n)))
      for (const s of shards) await store.put(s.cid, s.bytes)
      const total = shards.reduce((n, s) => n + s.bytes.byteLength, 0)

      const clean = await store.scrub()
      expect(clean).toEqual({ checked: 5, corrupt: [], bytesChecked: total })

      await damage(shards[2].cid, { flipByte: 0 })
      await damage(shards[3].cid, { truncateTo: 35_000 })
      const events: ScrubProgressEvent[] = []
      const report = await store.scrub({
        onProgress: (e) => { events.push(e); throw new Error('a throwing listener must not break the scrub') }
      })
      expect(report.checked).toBe(5)
      expect(report.bytesChecked).toBe(total)
      expect(report.corrupt.map((c) => c.toString()).sort()).toEqual([shards[2].cid.toString(), shards[3].cid.toString()].sort())
      expect(events.map((e) => e.type)).toEqual(Array(5).fill('store:scrub:shard'))
      expect(events.filter((e) => !e.detail.ok).length).toBe(2)

      const stats = await store.stats()
      expect(stats).toMatchObject({ shardCount: 3, quarantinedCount: 2, quarantinedBytes: 4096 + 70_000, usedBytes: total - 4096 - 70_000 })
      expect((await rejection(store.get(shards[3].cid))).name).toBe('ShardNotFoundError')
      expect(await store.scrub()).toEqual({ checked: 3, corrupt: [], bytesChecked: total - 4096 - 70_000 })
    })

    it('an aborted signal rejects every call with AbortError and changes nothing', async () => {
      const { store } = await harness()
      const s = await makeShard(40, 100)
      const kept = await makeShard(41, 100)
      await store.put(kept.cid, kept.bytes, { owner: 'peerA' })
      const signal = AbortSignal.abort()
      const calls: Array<Promise<unknown>> = [
        store.put(s.cid, s.bytes, { signal }),
        store.get(kept.cid, { signal }),
        store.get(kept.cid, { signal, offset: 1, length: 2 }),
        store.has(kept.cid, { signal }),
        store.stat(kept.cid, { signal }),
        store.delete(kept.cid, { signal, owner: 'peerA' }),
        store.stats({ signal }),
        store.scrub({ signal }),
        collect(store.list({ signal }))
      ]
      for (const call of calls) expect((await rejection(call)).name).toBe('AbortError')
      expect(await store.has(s.cid)).toBe(false)
      expect(sameBytes(await store.get(kept.cid), kept.bytes)).toEqual(SAME)
      expect(await store.stats()).toMatchObject({ usedBytes: 100, shardCount: 1 })
    })

    it('a put aborted while it hashes rejects with AbortError and stores nothing', async () => {
      const { store } = await harness()
      const big = await makeShard(42, 9 * MiB) // hashed in pieces, with an abort check between them
      const controller = new AbortController()
      const put = store.put(big.cid, big.bytes, { signal: controller.signal })
      controller.abort()
      expect((await rejection(put)).name).toBe('AbortError')
      expect(await store.has(big.cid)).toBe(false)
      expect(await store.stats()).toMatchObject({ usedBytes: 0, freeBytes: 64 * MiB, shardCount: 0 })
    })

    it('every call is refused with StoreClosedError before start and after stop', async () => {
      const { store } = await harness()
      const s = await makeShard(43, 10)
      await store.put(s.cid, s.bytes)
      await store.stop()
      await store.stop() // idempotent
      for (const call of [store.put(s.cid, s.bytes), store.get(s.cid), store.has(s.cid), store.stat(s.cid), store.delete(s.cid), store.stats(), store.scrub(), collect(store.list())]) {
        expect((await rejection(call)).name).toBe('StoreClosedError')
      }
      await store.start()
      await store.start() // idempotent
      expect(sameBytes(await store.get(s.cid), s.bytes)).toEqual(SAME)
    })

    it('stop waits for the puts in flight', async () => {
      const { store } = await harness()
      const shards = await Promise.all([1, 2, 3].map(async (i) => await makeShard(50 + i, 3 * MiB)))
      const puts = shards.map(async (s) => { await store.put(s.cid, s.bytes) })
      await store.stop()
      await Promise.all(puts)
      await store.start()
      for (const s of shards) expect(sameBytes(await store.get(s.cid), s.bytes)).toEqual(SAME)
    })
  })
}
