import { afterEach, describe, expect, it } from 'vitest'
import { formatHandle, parseHandle } from '../../src/format/index.js'
import { damageMemoryShard } from '../../src/store/testing.js'
import { prng } from '../helpers/prng.js'
import { collect, manifestOf, startNetwork } from './network.js'
import type { TestNetwork } from './network.js'

describe('repair and verify', () => {
  let net: TestNetwork | undefined

  afterEach(async () => {
    await net?.stop()
    net = undefined
  })

  it('regenerates lost shards elsewhere, so the file outlives more than m failures', async () => {
    net = await startNetwork(9)
    const owner = net.peers[0]
    const data = prng(31).bytes(1_500_000)
    const put = await owner.node.put(data, { preset: 'personal' })
    const original = put.holders.filter(h => h !== owner.node.peerId)

    // Two holders die (m = 2): still readable, and repair brings it back to 5.
    for (const id of original.slice(0, 2)) await net.byId(id).node.stop()
    // Repair needs no key: a handle without the fragment is enough.
    const repairHandle = formatHandle({ manifest: parseHandle(put.handle).manifest })
    const report = await owner.node.repair(repairHandle, { fetchTimeoutMs: 3000 })
    expect(report.healthyBefore).toBe(3)
    expect(report.healthyAfter).toBe(5)
    expect(report.repaired).toHaveLength(2)
    for (const r of report.repaired) expect(put.holders).not.toContain(r.holder)
    expect(report.bytesStored).toBeGreaterThan(0)
    expect(report.bytesFetched).toBeGreaterThan(report.bytesStored)

    const stat = await owner.node.stat(put.handle)
    expect(stat.healthyShards).toBe(5)
    // Nothing to do on a healthy file.
    expect((await owner.node.repair(put.handle)).repaired).toHaveLength(0)

    // Two more original holders die: 4 of the 5 first holders are gone (> m),
    // and the file is still read back through the regenerated shards.
    for (const id of original.slice(2, 4)) await net.byId(id).node.stop()
    const reader = net.peers.find(p => p.node.started && p !== owner) as (typeof net.peers)[number]
    expect(Buffer.compare(await collect(reader.node.get(put.handle, { fetchTimeoutMs: 3000 })), data)).toBe(0)

    // And the next repair round replaces those two as well.
    const again = await owner.node.repair(put.handle, { fetchTimeoutMs: 3000 })
    expect(again.healthyBefore).toBe(3)
    expect(again.repaired).toHaveLength(2)
  }, 180_000)

  it('refuses to repair a file with fewer than k shards left', async () => {
    net = await startNetwork(6)
    const put = await net.peers[0].node.put(prng(32).bytes(300_000), { dataShards: 2, parityShards: 1 })
    for (const id of put.holders.filter(h => h !== net?.peers[0].node.peerId).slice(0, 2)) await net.byId(id).node.stop()
    await expect(net.peers[0].node.repair(put.handle, { fetchTimeoutMs: 2000 })).rejects.toMatchObject({ name: 'UnrecoverableFileError', needed: 2 })
  }, 120_000)

  it('verify reads all n shards and finds a damaged block that get would not need', async () => {
    net = await startNetwork(6)
    const put = await net.peers[0].node.put(prng(33).bytes(2_100_000))
    const manifest = await manifestOf(net, put.handle)
    expect((await net.peers[1].node.verify(put.handle)).ok).toBe(true)
    // Damage a parity block: get prefers data shards, verify checks everything.
    damageMemoryShard(net.byId(put.holders[4]).store, manifest.shards[4].blocks[1], { flipByte: 3 })
    const report = await net.peers[1].node.verify(put.handle)
    expect(report.ok).toBe(false)
    // Shard 4, and only shard 4, is flagged. Its damaged block counts as bad
    // (the holder answered CORRUPT) or, when a stream failed under the first
    // attempt after the holder had quarantined it, as missing: either way not good.
    expect(report.goodShards).toBe(4)
    expect(report.shards.filter(x => x.blocksGood < report.stripes).map(x => x.index)).toEqual([4])
    expect(report.shards[4].blocksBad + report.shards[4].blocksMissing).toBe(1)
    expect(report.badBlocks).toBeLessThanOrEqual(1)
  }, 120_000)
})
