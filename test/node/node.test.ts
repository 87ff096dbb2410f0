import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { damageMemoryShard } from '../../src/store/testing.js'
import { formatHandle, parseHandle } from '../../src/format/index.js'
import { prng } from '../helpers/prng.js'
import { collect, manifestOf, startNetwork } from './network.js'
import type { TestNetwork } from './network.js'

const MiB = 1024 * 1024

describe('a network of 8 peers on loopback', () => {
  let net: TestNetwork

  beforeAll(async () => {
    net = await startNetwork(8)
  }, 60_000)

  afterAll(async () => {
    await net?.stop()
  })

  it.each([0, 1, 1000, 3 * MiB + 7])('puts and gets %i bytes, every byte equal', async (size) => {
    const data = prng(size + 1).bytes(size)
    const result = await net.peers[1].node.put(data)
    expect(result.size).toBe(size)
    expect(result.dataShards).toBe(3)
    expect(result.parityShards).toBe(2)
    expect(new Set(result.holders).size).toBe(5)
    expect(result.faultTolerance).toBe(2)
    const back = await collect(net.peers[2].node.get(result.handle))
    expect(back.length).toBe(size)
    expect(Buffer.compare(back, data)).toBe(0)
  })

  it('puts and gets 50 MiB streamed in uneven chunks at 5+3, hash-compared', async () => {
    const size = 50 * MiB
    const random = prng(50)
    const hash = createHash('sha256')
    async function * source (): AsyncGenerator<Uint8Array> {
      let left = size
      while (left > 0) {
        const chunk = random.bytes(Math.min(left, 1 + random.int(300_000)))
        hash.update(chunk)
        left -= chunk.length
        yield chunk
      }
    }
    const result = await net.peers[3].node.put(source(), { size, dataShards: 5, parityShards: 3 })
    expect(result.size).toBe(size)
    expect(result.holders.length).toBe(8)
    const expected = hash.digest('hex')
    const got = createHash('sha256')
    let total = 0
    for await (const chunk of net.peers[4].node.get(result.handle)) {
      got.update(chunk)
      total += chunk.length
    }
    expect(total).toBe(size)
    expect(got.digest('hex')).toBe(expected)
  }, 180_000)

  it('stat reports every holder and the failures the file survives', async () => {
    const result = await net.peers[0].node.put(prng(7).bytes(200_000), { dataShards: 2, parityShards: 3 })
    const stat = await net.peers[5].node.stat(result.handle)
    expect(stat.size).toBe(200_000)
    expect(stat.encrypted).toBe(true)
    expect(stat.healthyShards).toBe(5)
    expect(stat.readable).toBe(true)
    expect(stat.survivableFailures).toBe(3)
    expect(stat.health).toBe(1)
    expect(stat.shards.map(s => s.holders[0].peerId)).toEqual(result.holders)
    expect(stat.shards.every(s => s.holders[0].reachable && s.healthy)).toBe(true)
  })

  it('a flipped byte in a stored block is caught and another shard used', async () => {
    const data = prng(11).bytes(2 * MiB + 3)
    const result = await net.peers[1].node.put(data)
    const manifest = await manifestOf(net, result.handle)
    // Two damaged blocks (at most m) in each of two stripes, on disjoint shard
    // pairs: any choice of k = 3 shards meets at least one of them.
    const damaged = new Set(['0/0', '0/1', '1/2', '1/3'])
    for (const key of damaged) {
      const [stripe, shard] = key.split('/').map(Number)
      damageMemoryShard(net.byId(result.holders[shard]).store, manifest.shards[shard].blocks[stripe], { flipByte: 17 + stripe })
    }
    const fetched: string[] = []
    const failed: string[] = []
    const back = await collect(net.peers[6].node.get(result.handle, {
      onProgress: (e) => {
        if (e.type === 'node:get:fetch-shard') fetched.push(`${e.detail.stripe}/${e.detail.shard}`)
        if (e.type === 'node:get:shard-failed') failed.push(`${e.detail.stripe}/${e.detail.shard}`)
      }
    }))
    expect(Buffer.compare(back, data)).toBe(0)
    const fetchedDamaged = fetched.filter(f => damaged.has(f))
    expect(fetchedDamaged.length).toBeGreaterThan(0)
    expect(failed.sort()).toEqual([...new Set(fetchedDamaged)].sort())
  })

  it('a handle with a wrong key fails authentication; a handle without one asks for it', async () => {
    const result = await net.peers[2].node.put(prng(3).bytes(5000))
    const handle = parseHandle(result.handle)
    const wrong = formatHandle({ manifest: handle.manifest, key: new Uint8Array(32).fill(9) })
    await expect(collect(net.peers[3].node.get(wrong))).rejects.toMatchObject({ name: 'AuthenticationError' })
    await expect(collect(net.peers[3].node.get(formatHandle({ manifest: handle.manifest })))).rejects.toMatchObject({ name: 'MissingKeyError' })
  })

  it('an unencrypted file needs no key', async () => {
    const data = prng(4).bytes(10_000)
    const result = await net.peers[2].node.put(data, { encrypt: false })
    expect(result.handle).not.toContain('#')
    expect(Buffer.compare(await collect(net.peers[5].node.get(result.handle)), data)).toBe(0)
  })

  it('bad handles and options get typed errors', async () => {
    await expect(collect(net.peers[0].node.get('not a handle'))).rejects.toMatchObject({ name: 'InvalidHandleError' })
    await expect(collect(net.peers[0].node.get('shoal:bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'))).rejects.toMatchObject({ name: 'ManifestNotFoundError' })
    await expect(net.peers[0].node.put(new Uint8Array(10), { preset: 'nope' as 'minimal' })).rejects.toMatchObject({ name: 'InvalidOptionError' })
    await expect(net.peers[0].node.put(new Uint8Array(10), { dataShards: 0, parityShards: 1 })).rejects.toMatchObject({ name: 'InvalidOptionError' })
  }, 30_000)

  it('asks for more peers than exist: NotEnoughPeersError says how many', async () => {
    await expect(net.peers[0].node.put(new Uint8Array(10), { dataShards: 6, parityShards: 4 }))
      .rejects.toMatchObject({ name: 'NotEnoughPeersError', needed: 10, found: 8 })
    const colocated = await net.peers[0].node.put(prng(5).bytes(3000), { dataShards: 6, parityShards: 4, allowColocation: true })
    expect(colocated.holders.length).toBe(10)
    expect(colocated.faultTolerance).toBeLessThan(4)
    expect(colocated.faultTolerance).toBeGreaterThanOrEqual(1)
    expect(Buffer.compare(await collect(net.peers[7].node.get(colocated.handle)), prng(5).bytes(3000))).toBe(0)
  }, 30_000)
})

describe('failures', () => {
  let net: TestNetwork | undefined

  afterAll(async () => {
    await net?.stop()
  })

  it('survives m stopped holders; m + 1 gives FileUnavailableError, not a hang', async () => {
    net = await startNetwork(8)
    const data = prng(21).bytes(1 * MiB + 123)
    const reader = net.peers[0]
    const result = await net.peers[1].node.put(data, { preset: 'personal' })
    const holders = result.holders.filter(h => h !== reader.node.peerId)
    // m = 2 holders gone
    for (const id of holders.slice(0, 2)) await net.byId(id).node.stop()
    expect(Buffer.compare(await collect(reader.node.get(result.handle, { fetchTimeoutMs: 3000 })), data)).toBe(0)
    // one more
    await net.byId(holders[2]).node.stop()
    const started = Date.now()
    await expect(collect(reader.node.get(result.handle, { fetchTimeoutMs: 3000 }))).rejects.toMatchObject({ name: 'FileUnavailableError', needed: 3 })
    expect(Date.now() - started).toBeLessThan(30_000)
  }, 120_000)
})

describe('quota', () => {
  let net: TestNetwork | undefined

  afterAll(async () => {
    await net?.stop()
  })

  it('a peer without room for a shard is never chosen', async () => {
    // peer 7 has 64 KiB: too little for a shard of a 1 MiB file at 3-of-5 (~350 KiB)
    net = await startNetwork(8, { capacityBytes: (i) => i === 7 ? 64 * 1024 : 256 * MiB })
    const small = net.peers[7].node.peerId
    for (let i = 0; i < 4; i++) {
      const result = await net.peers[i].node.put(prng(100 + i).bytes(MiB))
      expect(result.holders).not.toContain(small)
    }
    expect((await net.peers[7].node.capacity()).usedBytes).toBeLessThan(64 * 1024)
  }, 120_000)
})
