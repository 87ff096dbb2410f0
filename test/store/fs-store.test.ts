import { appendFile, mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFsShardStore } from '../../src/store/index.js'
import { damageFsShard, fsShardPath } from '../../src/store/testing.js'
import { shardStoreCompliance } from './compliance.js'
import { collect, makeShard, rejection, SAME, sameBytes } from './helpers.js'
import type { ShardStore } from '../../src/store/index.js'

let dir: string
const open: ShardStore[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-fs-store-'))
})

afterEach(async () => {
  await Promise.all(open.splice(0).map(async (s) => { await s.stop() }))
  await rm(dir, { recursive: true, force: true })
})

shardStoreCompliance('fs', async ({ capacityBytes }) => {
  const store = createFsShardStore({ dir, capacityBytes })
  await store.start()
  return { store, damage: async (cid, damage) => { await damageFsShard(dir, cid, damage) } }
})

async function started (capacityBytes = 1024 * 1024): Promise<ShardStore> {
  const store = createFsShardStore({ dir, capacityBytes })
  open.push(store)
  await store.start()
  return store
}

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

describe('fs store', () => {
  it('a restart from the same directory keeps shards, owners, times and usage', async () => {
    const first = await started()
    const a = await makeShard(1, 1000)
    const b = await makeShard(2, 2000)
    await first.put(a.cid, a.bytes, { owner: 'peerA' })
    await first.put(b.cid, b.bytes)
    const infoA = await first.stat(a.cid)
    const infoB = await first.stat(b.cid)
    await first.stop()

    const second = await started()
    expect(await second.stats()).toEqual({
      capacityBytes: 1024 * 1024, usedBytes: 3000, freeBytes: 1024 * 1024 - 3000, shardCount: 2, quarantinedCount: 0, quarantinedBytes: 0
    })
    expect(sameBytes(await second.get(a.cid), a.bytes)).toEqual(SAME)
    expect(sameBytes(await second.get(b.cid), b.bytes)).toEqual(SAME)
    expect(await second.stat(a.cid)).toEqual(infoA)
    expect(await second.stat(b.cid)).toEqual(infoB)
    expect((await rejection(second.delete(a.cid, { owner: 'peerB' }))).name).toBe('NotOwnerError')
  })

  it('usage rebuilt at start is enforced: a smaller capacity refuses puts', async () => {
    const first = await started(5000)
    const a = await makeShard(3, 4000)
    await first.put(a.cid, a.bytes)
    await first.stop()
    const second = await started(3000)
    expect(await second.stats()).toMatchObject({ usedBytes: 4000, freeBytes: 0, capacityBytes: 3000 })
    const b = await makeShard(4, 1)
    const err = await rejection(second.put(b.cid, b.bytes))
    expect([err.name, err.needed, err.free, err.capacity]).toEqual(['QuotaExceededError', 1, 0, 3000])
    expect(sameBytes(await second.get(a.cid), a.bytes)).toEqual(SAME)
  })

  it('layout and modes: dir/shards/<next-to-last 2>/<cid>, files 0600, folders 0700, owners in owners.log, one file per shard', async () => {
    const store = await started()
    const a = await makeShard(5, 100)
    const b = await makeShard(6, 100)
    await store.put(a.cid, a.bytes, { owner: 'peerA' })
    await store.put(b.cid, b.bytes)
    const key = a.cid.toString()
    const path = join(dir, 'shards', key.slice(-3, -1), key)
    expect(fsShardPath(dir, key)).toBe(path)
    expect(sameBytes(new Uint8Array(await readFile(path)), a.bytes)).toEqual(SAME)
    expect(await modeOf(path)).toBe(0o600)
    expect(await modeOf(join(dir, 'shards', key.slice(-3, -1)))).toBe(0o700)
    expect(await modeOf(join(dir, 'shards'))).toBe(0o700)
    expect(await modeOf(join(dir, 'quarantine'))).toBe(0o700)
    expect((await readdir(join(path, '..'))).filter((n) => n.startsWith(key))).toEqual([key])
    const journal = join(dir, 'owners.log')
    const lines = (await readFile(journal, 'utf8')).split('\n')
    expect(lines.length).toBe(2)
    const [cidText, storedAt, owner] = lines[0].split('\t')
    expect([cidText, Number(storedAt), JSON.parse(owner)]).toEqual([key, (await store.stat(a.cid)).storedAt, 'peerA'])
    expect(await modeOf(journal)).toBe(0o600)
    const bPath = fsShardPath(dir, b.cid.toString())
    expect((await readdir(join(bPath, '..'))).filter((n) => n.startsWith(b.cid.toString()))).toEqual([b.cid.toString()])
    expect((await readdir(dir)).sort()).toEqual(['owners.log', 'quarantine', 'shards'])
    expect((await readdir(join(dir, 'shards'))).length).toBe(1024)

    // delete removes the file and withdraws the owner record
    await store.delete(a.cid, { owner: 'peerA' })
    expect((await readdir(join(path, '..'))).filter((n) => n.startsWith(key))).toEqual([])
    expect((await readFile(journal, 'utf8')).split('\n')[1]).toBe(`${key}\t-`)
  })

  it('start removes leftover temp files and orphaned sidecars, and ignores foreign files', async () => {
    const first = await started()
    const a = await makeShard(7, 100)
    await first.put(a.cid, a.bytes)
    await first.stop()
    const folder = join(fsShardPath(dir, a.cid.toString()), '..')
    const orphan = await makeShard(8, 10)
    const orphanFolder = join(fsShardPath(dir, orphan.cid.toString()), '..')
    await mkdir(orphanFolder, { recursive: true })
    await writeFile(join(folder, '.tmp-0123456789abcdef'), 'half a shard')
    await writeFile(join(dir, 'shards', '.tmp-fedcba9876543210'), 'x')
    await writeFile(`${fsShardPath(dir, orphan.cid.toString())}.meta`, '{"v":1,"owner":"p","storedAt":1}')
    await writeFile(join(folder, 'README'), 'not a shard')
    await writeFile(join(dir, 'shards', 'notes.txt'), 'not a fan-out folder')

    const second = await started()
    expect((await readdir(folder)).sort()).toEqual([a.cid.toString(), 'README'].sort())
    expect((await readdir(orphanFolder)).filter((n) => n.startsWith(orphan.cid.toString()))).toEqual([])
    expect((await readdir(join(dir, 'shards'))).filter((n) => n.startsWith('.tmp-'))).toEqual([])
    expect(await second.stats()).toMatchObject({ usedBytes: 100, shardCount: 1 })
    expect((await collect(second.list())).map((i) => i.cid.toString())).toEqual([a.cid.toString()])
  })

  it('a torn (truncated) shard file is found at start but never served: get and scrub quarantine it', async () => {
    const first = await started()
    const a = await makeShard(9, 10_000)
    const b = await makeShard(10, 10_000)
    await first.put(a.cid, a.bytes)
    await first.stop()
    // a: cut short after the fact; b: a torn file written straight to its final name
    await damageFsShard(dir, a.cid, { truncateTo: 4000 })
    const bPath = fsShardPath(dir, b.cid.toString())
    await mkdir(join(bPath, '..'), { recursive: true })
    await writeFile(bPath, b.bytes.subarray(0, 5000))

    const second = await started()
    expect(await second.stats()).toMatchObject({ shardCount: 2, usedBytes: 9000 })
    // the first 100 bytes are intact on disk, and still refused
    expect((await rejection(second.get(a.cid, { offset: 0, length: 100 }))).name).toBe('CorruptShardError')
    const report = await second.scrub()
    expect(report.checked).toBe(1)
    expect(report.corrupt.map(String)).toEqual([b.cid.toString()])
    expect(await second.stats()).toMatchObject({ shardCount: 0, usedBytes: 0, quarantinedCount: 2, quarantinedBytes: 9000 })
    expect((await readdir(join(dir, 'quarantine'))).length).toBe(2)
    await second.stop()

    // quarantine survives a restart, and good bytes can be stored again
    const third = await started()
    expect(await third.stats()).toMatchObject({ shardCount: 0, quarantinedCount: 2 })
    await third.put(a.cid, a.bytes)
    expect(sameBytes(await third.get(a.cid), a.bytes)).toEqual(SAME)
  })

  it('a shard file that grew (bytes appended after its end) is never served: get quarantines it, whole or in part', async () => {
    const store = await started()
    const a = await makeShard(11, 10_000)
    const b = await makeShard(12, 10_000)
    await store.put(a.cid, a.bytes)
    await store.put(b.cid, b.bytes)
    // its first 10,000 bytes are still the right ones
    await appendFile(fsShardPath(dir, a.cid.toString()), new Uint8Array([1, 2, 3]))
    await appendFile(fsShardPath(dir, b.cid.toString()), new Uint8Array(1))
    expect((await rejection(store.get(a.cid))).name).toBe('CorruptShardError')
    expect((await rejection(store.get(b.cid, { offset: 0, length: 10 }))).name).toBe('CorruptShardError')
    expect(await store.stats()).toMatchObject({ shardCount: 0, quarantinedCount: 2 })
  })

  it('a quarantined shard takes its sidecar with it', async () => {
    const store = await started()
    const a = await makeShard(11, 100)
    await store.put(a.cid, a.bytes, { owner: 'peerA' })
    await damageFsShard(dir, a.cid, { flipByte: 3 })
    expect((await rejection(store.get(a.cid))).name).toBe('CorruptShardError')
    const names = await readdir(join(dir, 'quarantine'))
    expect(names.length).toBe(2)
    expect(names.filter((n) => n.endsWith('.meta')).length).toBe(1)
    expect(names.every((n) => n.startsWith(a.cid.toString()))).toBe(true)
    const shardFile = names.find((n) => !n.endsWith('.meta')) as string
    expect((await readFile(join(dir, 'quarantine', shardFile))).length).toBe(100)
    expect((await readdir(join(fsShardPath(dir, a.cid.toString()), '..'))).filter((n) => n.startsWith(a.cid.toString()))).toEqual([])
  })

  it('a shard file removed behind its back reads as not found and leaves the usage', async () => {
    const store = await started()
    const a = await makeShard(12, 100)
    await store.put(a.cid, a.bytes)
    await rm(fsShardPath(dir, a.cid.toString()))
    expect((await rejection(store.get(a.cid))).name).toBe('ShardNotFoundError')
    expect(await store.stats()).toMatchObject({ shardCount: 0, usedBytes: 0, quarantinedCount: 0 })
  })

  it('refused and aborted puts leave no temp files or sidecars behind', async () => {
    const store = await started(1000)
    const a = await makeShard(13, 600)
    const b = await makeShard(14, 600)
    const c = await makeShard(15, 10)
    await store.put(a.cid, a.bytes, { owner: 'p' })
    expect((await rejection(store.put(b.cid, b.bytes, { owner: 'p' }))).name).toBe('QuotaExceededError')
    expect((await rejection(store.put(c.cid, c.bytes, { owner: 'p', signal: AbortSignal.abort() }))).name).toBe('AbortError')
    const files: string[] = []
    for (const folder of await readdir(join(dir, 'shards'))) files.push(...await readdir(join(dir, 'shards', folder)))
    expect(files).toEqual([a.cid.toString()])
    // the owner journal knows only a: the refused put wrote nothing, the aborted one withdrew its record
    await store.stop()
    const again = await started(1000)
    expect((await again.stat(a.cid)).owner).toBe('p')
    expect((await readFile(join(dir, 'owners.log'), 'utf8')).split('\n').filter(l => l.length > 0).map(l => l.split('\t')[0])).toEqual([a.cid.toString()])
  })

  it('a damaged owner record fails closed: only a forced delete removes the shard', async () => {
    const first = await started()
    const a = await makeShard(16, 100)
    await first.put(a.cid, a.bytes, { owner: 'peerA' })
    await first.stop()
    await writeFile(join(dir, 'owners.log'), `${a.cid.toString()}\t12\t"pee\n`)
    const store = await started()
    expect((await store.stat(a.cid)).owner).toBeUndefined()
    expect((await rejection(store.delete(a.cid))).name).toBe('NotOwnerError')
    expect((await rejection(store.delete(a.cid, { owner: 'peerA' }))).name).toBe('NotOwnerError')
    expect(await store.delete(a.cid, { force: true })).toBe(true)
  })

  it('a damaged legacy sidecar fails closed too', async () => {
    const first = await started()
    const a = await makeShard(17, 100)
    await first.put(a.cid, a.bytes)
    await first.stop()
    await writeFile(`${fsShardPath(dir, a.cid.toString())}.meta`, '{"v":1,"own')
    const store = await started()
    expect((await rejection(store.delete(a.cid, { owner: 'peerA' }))).name).toBe('NotOwnerError')
    await store.stop()
    // still damaged after the move into the journal
    const again = await started()
    expect((await rejection(again.delete(a.cid, { owner: 'peerA' }))).name).toBe('NotOwnerError')
    expect(await again.delete(a.cid, { force: true })).toBe(true)
  })

  it('a store written with owner sidecars (the older layout) starts: owners and times kept, sidecars moved into owners.log', async () => {
    const first = await started()
    const a = await makeShard(18, 100)
    const b = await makeShard(19, 200)
    await first.put(a.cid, a.bytes)
    await first.put(b.cid, b.bytes)
    await first.stop()
    // what the older store wrote for an owned shard: a sidecar next to it, no journal
    await rm(join(dir, 'owners.log'))
    await writeFile(`${fsShardPath(dir, a.cid.toString())}.meta`, JSON.stringify({ v: 1, owner: 'peerA', storedAt: 1234 }), { mode: 0o600 })
    const store = await started()
    expect(await store.stat(a.cid)).toMatchObject({ owner: 'peerA', storedAt: 1234, size: 100 })
    expect((await store.stat(b.cid)).owner).toBeUndefined()
    expect((await readdir(join(fsShardPath(dir, a.cid.toString()), '..'))).filter(n => n.endsWith('.meta'))).toEqual([])
    expect((await rejection(store.delete(a.cid, { owner: 'peerB' }))).name).toBe('NotOwnerError')
    await store.stop()
    const again = await started()
    expect(await again.stat(a.cid)).toMatchObject({ owner: 'peerA', storedAt: 1234 })
    expect(await again.delete(a.cid, { owner: 'peerA' })).toBe(true)
  })

  it('the owner journal survives a torn last line and records of shards that never appeared, and is compacted at start', async () => {
    const first = await started()
    const a = await makeShard(20, 100)
    const b = await makeShard(21, 100)
    const ghost = await makeShard(22, 100)
    await first.put(a.cid, a.bytes, { owner: 'peerA' })
    await first.put(b.cid, b.bytes, { owner: 'peerB' })
    await first.delete(b.cid, { owner: 'peerB' })
    await first.put(b.cid, b.bytes)
    await first.stop()
    const journal = join(dir, 'owners.log')
    // a record whose shard was never renamed into place (a crash), then half a record
    await writeFile(journal, `${await readFile(journal, 'utf8')}${ghost.cid.toString()}\t5\t"peerG"\n${a.cid.toString()}\t9\t"pe`)
    const second = await started()
    expect((await second.stat(a.cid)).owner).toBe('peerA')
    expect((await second.stat(b.cid)).owner).toBeUndefined()
    expect((await readFile(journal, 'utf8')).split('\n').filter(l => l.length > 0).length).toBe(1)
    // the ghost's shard stored later without an owner has none
    await second.put(ghost.cid, ghost.bytes)
    await second.stop()
    const third = await started()
    expect((await third.stat(ghost.cid)).owner).toBeUndefined()
    expect(await third.delete(ghost.cid, { owner: 'anyone' })).toBe(true)
  })

  it('concurrent owned puts share the journal: every owner is recorded', async () => {
    const store = await started(10 * 1024 * 1024)
    const shards = await Promise.all(Array.from({ length: 40 }, async (_, i) => await makeShard(100 + i, 1000 + i)))
    await Promise.all(shards.map(async (s, i) => { await store.put(s.cid, s.bytes, { owner: `peer${i % 3}` }) }))
    await store.stop()
    const again = await started(10 * 1024 * 1024)
    for (const [i, s] of shards.entries()) expect((await again.stat(s.cid)).owner).toBe(`peer${i % 3}`)
  })

  it('the init is checked', () => {
    expect(() => createFsShardStore({ dir: '' })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
    expect(() => createFsShardStore({ dir, capacityBytes: -5 })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
  })
})
