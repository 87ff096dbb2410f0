/**
 * The lease table: leases only grow, expired() lists what ran out, remove()
 * forgets, and with a datastore the table survives a reopen (the node's
 * LevelDB in its data directory).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { Key } from 'interface-datastore'
import { afterEach, describe, expect, it } from 'vitest'
import { shardCidFromDigest } from '../../src/format/cid.js'
import { LeaseTable } from '../../src/store/leases.js'
import { prng } from '../helpers/prng.js'

const rand = prng(0x1ea5e)
const cid = (): ReturnType<typeof shardCidFromDigest> => shardCidFromDigest(rand.bytes(32))

describe('lease table', () => {
  const dirs: string[] = []
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
  })

  it('extends but never shortens; lists and forgets expired leases', async () => {
    const table = new LeaseTable()
    const [a, b, c] = [cid(), cid(), cid()]
    table.extend([a, b], 1000)
    table.extend([a], 500) // shorter: ignored
    table.extend([b], 3000)
    expect(table.expiresAt(a)).toBe(1000)
    expect(table.expiresAt(b)).toBe(3000)
    expect(table.expiresAt(c)).toBeUndefined()
    expect(table.expired(999)).toEqual([])
    expect(table.expired(1001).map(String)).toEqual([a.toString()])
    expect(table.expired(5000).map(String).sort()).toEqual([a.toString(), b.toString()].sort())
    expect(table.expired(5000, 1)).toHaveLength(1)
    table.remove(a)
    table.remove(c) // not there: no-op
    expect(table.expired(5000).map(String)).toEqual([b.toString()])
    expect(table.size).toBe(1)
  })

  it('written behind to a datastore in batches, it survives a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-leases-'))
    dirs.push(dir)
    const [a, b] = [cid(), cid()]
    const first = new LevelDatastore(dir)
    await first.open()
    const table = new LeaseTable(first)
    await table.load()
    table.extend([a, b], 2000)
    table.extend([b], 9000)
    table.remove(a)
    // nothing written yet: the changes gather
    let stored = 0
    for await (const _ of first.queryKeys({ prefix: '/shoal/leases/' })) stored++
    expect(stored).toBe(0)
    await table.flush()
    await first.close()

    const second = new LevelDatastore(dir)
    await second.open()
    try {
      const again = new LeaseTable(second)
      await again.load()
      expect(again.size).toBe(1)
      expect(again.expiresAt(a)).toBeUndefined()
      expect(again.expiresAt(b)).toBe(9000)
      // and the timer writes on its own, without flush()
      const c = cid()
      again.extend([c], 7000)
      await new Promise(resolve => setTimeout(resolve, 300))
      const value = await second.get(new Key(`/shoal/leases/${c.toString()}`))
      expect(new TextDecoder().decode(value)).toBe('7000')
    } finally {
      await second.close()
    }
  })

  it('keeps the changes of a write that failed, and writes them with the next flush', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-leases-'))
    dirs.push(dir)
    const store = new LevelDatastore(dir)
    await store.open()
    let fail = true
    const batch = store.batch.bind(store)
    store.batch = () => {
      const b = batch()
      const commit = b.commit.bind(b)
      b.commit = async (...args) => {
        if (fail) throw new Error('disk full')
        await commit(...args)
      }
      return b
    }
    const table = new LeaseTable(store)
    const [a, b] = [cid(), cid()]
    table.extend([a, b], 5000)
    await expect(table.flush()).rejects.toThrow('disk full')
    fail = false
    await table.flush()
    for (const [c, until] of [[a, 5000], [b, 5000]] as const) {
      expect(new TextDecoder().decode(await store.get(new Key(`/shoal/leases/${c.toString()}`)))).toBe(String(until))
    }
    await store.close()
  })
})
