import { describe, expect, it } from 'vitest'
import { createMemoryShardStore } from '../../src/store/index.js'
import { damageMemoryShard } from '../../src/store/testing.js'
import { shardStoreCompliance } from './compliance.js'
import { makeShard, rejection, SAME, sameBytes } from './helpers.js'

shardStoreCompliance('memory', async ({ capacityBytes }) => {
  const store = createMemoryShardStore({ capacityBytes })
  await store.start()
  return { store, damage: async (cid, damage) => { damageMemoryShard(store, cid, damage) } }
})

describe('memory store', () => {
  it('keeps its shards across stop and start', async () => {
    const store = createMemoryShardStore()
    await store.start()
    const s = await makeShard(1, 10)
    await store.put(s.cid, s.bytes)
    await store.stop()
    await store.start()
    expect(sameBytes(await store.get(s.cid), s.bytes)).toEqual(SAME)
    expect((await store.stats()).capacityBytes).toBe(256 * 1024 * 1024)
    await store.stop()
  })

  it('refuses calls before start and a bad capacity', async () => {
    const store = createMemoryShardStore({ capacityBytes: 10 })
    expect((await rejection(store.stats())).name).toBe('StoreClosedError')
    expect(() => createMemoryShardStore({ capacityBytes: -1 })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
    expect(() => createMemoryShardStore({ capacityBytes: 1.5 })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
  })
})
