/**
 * The periodic check: audits (a chunk and its Merkle path against the
 * manifest), health from audits rather than claims, repair when a shard is
 * lost, lease renewal, and garbage collection of blocks nobody renews.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode } from '../../src/index.js'
import { parseHandle } from '../../src/format/index.js'
import { LevelDatastore } from 'datastore-level'
import { AuditLedger } from '../../src/node/audit.js'
import { LyingStore } from '../../src/sim/lying-store.js'
import { damageMemoryShard } from '../../src/store/testing.js'
import { prng } from '../helpers/prng.js'
import { collect, manifestOf, startNetwork, waitFor } from './network.js'
import type { CheckOutcome, CheckReport } from '../../src/index.js'
import type { TestNetwork } from './network.js'
import type { ShardStore } from '../../src/store/index.js'

const MiB = 1024 * 1024

/** A store's methods bound to it, to override one of them. */
function bind (store: ShardStore): ShardStore {
  return {
    start: async () => { await store.start() },
    stop: async () => { await store.stop() },
    put: async (cid, bytes, options) => { await store.put(cid, bytes, options) },
    get: async (cid, options) => await store.get(cid, options),
    has: async (cid, options) => await store.has(cid, options),
    stat: async (cid, options) => await store.stat(cid, options),
    delete: async (cid, options) => await store.delete(cid, options),
    list: (options) => store.list(options),
    stats: async (options) => await store.stats(options),
    scrub: async (options) => await store.scrub(options)
  }
}

describe('periodic check: audits, leases, repair', () => {
  let net: TestNetwork | undefined

  afterEach(async () => {
    await net?.stop()
    net = undefined
  })

  it('a corrupted block fails its audit: health counts audited shards only, and the check repairs it', async () => {
    net = await startNetwork(7, { init: { checkIntervalMs: 0, gcIntervalMs: 0, auditChallenges: 'all' } })
    const owner = net.peers[0]
    const data = prng(41).bytes(700_000)
    const put = await owner.node.put(data, { preset: 'personal', stripeBytes: 256 * 1024 })
    expect(owner.node.tracked()).toEqual([put.manifest])
    const manifest = await manifestOf(net, put.handle)
    const victim = put.holders.findIndex(h => h !== owner.node.peerId)
    const holder = net.byId(put.holders[victim])
    damageMemoryShard(holder.store, manifest.shards[victim].blocks[2], { flipByte: 1000 })

    // stat asks for claims: the holder still says it has every block
    expect((await owner.node.stat(put.handle)).healthyShards).toBe(5)
    // the audit challenges every block and catches it; no repair below the threshold
    const looked = await owner.node.check(put.handle, { repairAfterLost: Infinity })
    expect(looked).toMatchObject({ healthyShards: 4, lost: [victim], repair: null, health: 0.5 })
    const failed = looked.audits.filter(a => a.outcome !== 'passed')
    expect(failed).toEqual([expect.objectContaining({ peerId: holder.node.peerId, shard: victim, outcome: 'failed' })])

    const repaired = await owner.node.check(put.handle)
    expect(repaired.repair?.repaired.map(r => r.index)).toEqual([victim])
    expect(repaired.repair?.repaired[0].holder).not.toBe(holder.node.peerId)
    const after = await owner.node.check(put.handle)
    expect(after).toMatchObject({ healthyShards: 5, lost: [], repair: null, health: 1 })
    expect(Buffer.compare(await collect(owner.node.get(put.handle)), data)).toBe(0)
  }, 120_000)

  it('a holder that acknowledged blocks and dropped them, yet claims them, fails its audit; it gets no shard of the next file', async () => {
    const liars = new Map<number, LyingStore>()
    net = await startNetwork(7, {
      init: { checkIntervalMs: 0, gcIntervalMs: 0 },
      wrapStore: (i, store) => { const l = new LyingStore(store); liars.set(i, l); return l }
    })
    const owner = net.peers[0]
    const put = await owner.node.put(prng(42).bytes(400_000), { preset: 'personal' })
    const index = put.holders.findIndex(h => h !== owner.node.peerId)
    const liarId = put.holders[index]
    await liars.get(net.peers.findIndex(p => p.node.peerId === liarId))?.startLying()

    const report = await owner.node.check(put.handle)
    expect(report.lost).toEqual([index])
    expect(report.audits.find(a => a.peerId === liarId)).toMatchObject({ outcome: 'failed', blocksClaimed: 1 })
    expect(report.repair?.repaired).toHaveLength(1)
    expect(report.repair?.repaired[0].holder).not.toBe(liarId)

    // 7 peers, 5 shards: the liar would be a candidate, but it failed an audit
    for (let f = 0; f < 3; f++) {
      const next = await owner.node.put(prng(43 + f).bytes(10_000), { preset: 'personal' })
      expect(next.holders).not.toContain(liarId)
    }
  }, 120_000)

  it('a holder that serves altered bytes as good (skipping its own hash check) fails its audit: the proof cannot match the manifest', async () => {
    const forging = new Set<number>()
    net = await startNetwork(7, {
      init: { checkIntervalMs: 0, gcIntervalMs: 0 },
      wrapStore: (i, store) => ({
        ...bind(store),
        get: async (cid, options) => {
          const bytes = await store.get(cid, options)
          if (!forging.has(i)) return bytes
          const forged = bytes.slice()
          forged[forged.length - 1] ^= 0x01 // far from any chunk an honest proof would need
          return forged
        }
      })
    })
    const owner = net.peers[0]
    const put = await owner.node.put(prng(47).bytes(600_000), { preset: 'personal' })
    const index = put.holders.findIndex(h => h !== owner.node.peerId)
    forging.add(net.peers.findIndex(p => p.node.peerId === put.holders[index]))
    const report = await owner.node.check(put.handle, { repairAfterLost: Infinity })
    expect(report.lost).toEqual([index])
    expect(report.audits.find(a => a.peerId === put.holders[index])).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('proof does not verify') })
  }, 120_000)

  it('the timer alone notices a dead holder and repairs the file', async () => {
    const outcomes: CheckOutcome[] = []
    net = await startNetwork(7, { init: { checkIntervalMs: 1000, gcIntervalMs: 0, onCheck: (o) => { outcomes.push(o) } } })
    const owner = net.peers[0]
    const data = prng(44).bytes(300_000)
    const put = await owner.node.put(data, { preset: 'personal' })
    const dead = put.holders.find(h => h !== owner.node.peerId) as string
    await net.byId(dead).node.stop()
    await waitFor(() => outcomes.some(o => 'repair' in o && o.repair !== null && o.repair.repaired.length === 1), 60_000)
    const repaired = outcomes.find(o => 'repair' in o && o.repair !== null) as CheckReport
    expect(repaired.manifest).toBe(put.manifest)
    expect(repaired.audits.find(a => a.peerId === dead)?.outcome).toBe('unreachable')
    expect((await owner.node.stat(put.handle)).healthyShards).toBe(5)
  }, 120_000)

  it('leases: renewed blocks outlive their first lease; once nobody renews, holders collect them', async () => {
    // the owner stores nothing itself, so every block lives on a leasing holder
    net = await startNetwork(5, { capacityBytes: i => i === 0 ? 0 : 64 * MiB, init: { leaseMs: 2000, checkIntervalMs: 0, gcIntervalMs: 0 } })
    const owner = net.peers[0]
    const put = await owner.node.put(prng(45).bytes(200_000), { preset: 'minimal' })
    const holders = net.peers.slice(1)
    const held = async (): Promise<number> => (await Promise.all(holders.map(async p => (await p.store.stats()).shardCount))).reduce((a, b) => a + b, 0)
    const blocks = await held()
    expect(blocks).toBeGreaterThanOrEqual(3 + 3) // 3 shards of 1 block, and the manifest on each holder

    // renew at 1 s: the leases now end at ~3 s instead of ~2 s
    await new Promise(resolve => setTimeout(resolve, 1000))
    const check = await owner.node.check(put.handle)
    expect(check.healthyShards).toBe(3)
    await new Promise(resolve => setTimeout(resolve, 1300)) // past the first lease
    expect((await Promise.all(holders.map(async p => await p.node.collectExpired()))).reduce((a, b) => a + b, 0)).toBe(0)
    expect(await held()).toBe(blocks)
    expect(Buffer.byteLength(await collect(owner.node.get(put.handle)))).toBe(200_000)

    // untracked: no more renewals; past the renewed lease every block is collected
    expect(await owner.node.untrack(put.handle)).toBe(true)
    await new Promise(resolve => setTimeout(resolve, 1000))
    expect((await Promise.all(holders.map(async p => await p.node.collectExpired()))).reduce((a, b) => a + b, 0)).toBe(blocks)
    expect(await held()).toBe(0)
    await expect(collect(owner.node.get(put.handle, { fetchTimeoutMs: 2000 }))).rejects.toMatchObject({ name: expect.stringMatching(/FileUnavailableError|ManifestNotFoundError/) })
  }, 120_000)

  it('a block another peer leased here that this node then stores for itself is its own: never collected', async () => {
    net = await startNetwork(2, { capacityBytes: i => i === 0 ? 0 : 64 * MiB, init: { leaseMs: 1000, checkIntervalMs: 0, gcIntervalMs: 0 } })
    const [a, b] = net.peers
    const data = prng(48).bytes(50_000)
    // the same plaintext, unencrypted, in the same stripes: the same block CIDs
    const options = { preset: 'minimal' as const, encrypt: false, allowColocation: true, stripeBytes: 64 * 1024 }
    const fromA = await a.node.put(data, options) // every shard on b, leased for 1 s
    const fromB = await b.node.put(data, options) // b stores the same blocks for itself
    const manifestA = await manifestOf(net, fromA.handle)
    const manifestB = await manifestOf(net, fromB.handle)
    expect(manifestB.shards.map(s => s.blocks.map(String))).toEqual(manifestA.shards.map(s => s.blocks.map(String)))
    await new Promise(resolve => setTimeout(resolve, 1300))
    // only a's manifest copy goes: the blocks are b's own now
    expect(await b.node.collectExpired()).toBe(1)
    expect(Buffer.compare(await collect(b.node.get(fromB.handle)), data)).toBe(0)
  }, 60_000)

  it('the audit ledger keeps a failed peer out across a restart, and forgets it after the distrust period', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-ledger-'))
    try {
      const failed = { peerId: 'peer-that-lied', shard: 0, outcome: 'failed' as const, blocksClaimed: 1, challenged: [0] }
      const first = new LevelDatastore(dir)
      await first.open()
      const ledger = new AuditLedger(first, 60_000)
      ledger.record(failed)
      ledger.record({ ...failed, peerId: 'honest', outcome: 'passed' })
      expect(ledger.trusted('peer-that-lied')).toBe(false)
      await new Promise(resolve => setTimeout(resolve, 100)) // the write is best effort, in the background
      await first.close()

      const second = new LevelDatastore(dir)
      await second.open()
      try {
        const again = new AuditLedger(second, 60_000)
        await again.load()
        expect(again.distrusted()).toEqual(['peer-that-lied'])
        expect(again.trusted('honest')).toBe(true)
        // past the distrust period the peer is trusted again, and forgotten
        expect(again.trusted('peer-that-lied', Date.now() + 61_000)).toBe(true)
        const later = new AuditLedger(second, 60_000)
        await new Promise(resolve => setTimeout(resolve, 100))
        await later.load()
        expect(later.distrusted()).toEqual([])
      } finally {
        await second.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('tracked files persist in the data directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-tracked-'))
    try {
      const first = createNode({ dir, capacityBytes: 64 * MiB, checkIntervalMs: 0 })
      await first.start()
      const put = await first.put(prng(46).bytes(5000), { preset: 'minimal', allowColocation: true })
      const other = `shoal:${parseHandle(put.handle).manifest.toString()}`
      await first.stop()
      const second = createNode({ dir, capacityBytes: 64 * MiB, checkIntervalMs: 0 })
      await second.start()
      try {
        expect(second.tracked()).toEqual([put.manifest])
        expect(await second.untrack(other)).toBe(true)
        expect(second.tracked()).toEqual([])
        // this node holds every shard itself: its own blocks carry no lease and are never collected
        expect(await second.collectExpired()).toBe(0)
        expect((await second.check(put.handle)).healthyShards).toBe(3)
      } finally {
        await second.stop()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
