/**
 * How the pool and its workers signal each other (pool/control.ts): workers
 * blocked in Atomics.wait or polling the bell, calls waiting in the control
 * block's slots, completion through Atomics.waitAsync. Calls in every pattern must
 * give the single-threaded codec's bytes, and abort and close must work
 * whatever the workers are doing.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { createCodec, createCodecPool, POOL_MIN_SHARD_BYTES, POOL_SPIN_MICROS } from '../../src/codec/index.js'
import { CALL_SLOTS, doneIndex } from '../../src/codec/pool/control.js'
import { prng } from '../helpers/prng.js'
import { expectSameShards } from './helpers.js'
import type { CodecPool } from '../../src/codec/index.js'

const run = promisify(execFile)
const SIZE = POOL_MIN_SHARD_BYTES * 2 + 29
const K = 5
const M = 3

/** Arena shards with seeded data, and the parity the single-threaded codec gives them. */
function filled (pool: CodecPool, seed: number, size = SIZE): { shards: Uint8Array[], expected: Uint8Array[] } {
  const shards = pool.allocShards(size)
  const rand = prng(seed)
  for (let i = 0; i < K; i++) rand.fill(shards[i])
  const expected = shards.map(s => s.slice())
  createCodec({ dataShards: K, parityShards: M }).encode(expected)
  return { shards, expected }
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('codec pool signalling', () => {
  const pools: CodecPool[] = []
  afterEach(async () => {
    await Promise.all(pools.map(async p => { await p.close() }))
    pools.length = 0
  })
  async function start (workers = 2): Promise<CodecPool> {
    const pool = await createCodecPool({ dataShards: K, parityShards: M, workers })
    pools.push(pool)
    return pool
  }

  it('gives the right bytes on every one of many back-to-back calls, with data changing between them', async () => {
    const pool = await start()
    const { shards } = filled(pool, 0xC00)
    const codec = createCodec({ dataShards: K, parityShards: M })
    const rand = prng(0xC01)
    for (let call = 0; call < 300; call++) {
      // a few bytes of one data shard change, at the start, middle or tail
      const shard = call % K
      const at = [0, SIZE >> 1, SIZE - 1][call % 3]
      shards[shard][at] = rand.next() & 0xFF
      await pool.encode(shards)
      if (call % 25 === 0 || call > 290) {
        const expected = shards.map(s => s.slice())
        codec.encode(expected)
        expectSameShards(shards, expected, `call ${call}`)
      }
    }
    expect(await pool.verify(shards)).toBe(true)
  })

  it('runs concurrent calls on two arenas, and a shared-array call among them, each with its own result', async () => {
    const pool = await start()
    const a = filled(pool, 0xC10)
    const b = filled(pool, 0xC11)
    const rand = prng(0xC12)
    const plain = Array.from({ length: K + M }, (_, i) => i < K ? rand.bytes(SIZE) : new Uint8Array(SIZE))
    const plainExpected = plain.map(s => s.slice())
    createCodec({ dataShards: K, parityShards: M }).encode(plainExpected)
    const calls: Array<Promise<unknown>> = []
    for (let round = 0; round < 10; round++) {
      calls.push(pool.encode(a.shards), pool.encode(b.shards), pool.verify(a.shards))
    }
    calls.push(pool.encode(plain))
    const results = await Promise.all(calls)
    expectSameShards(a.shards, a.expected, 'arena a')
    expectSameShards(b.shards, b.expected, 'arena b')
    expectSameShards(plain, plainExpected, 'shared-array call')
    // the verifies queued behind encodes of their own arena see its parity
    expect(results.filter(r => r === false)).toEqual([])
  })

  it('lets the workers run the next waiting call without the calling thread: two calls end while it never yields', async () => {
    const pool = await start()
    // ~3 ms per call: the first is still running when the second is written
    const a = filled(pool, 0xC90, 4 << 20)
    const b = filled(pool, 0xC91, 4 << 20)
    const calls = [pool.encode(a.shards), pool.encode(b.shards)]
    // microtasks only: both calls get written, and no completion can be taken
    // (that needs a task on this thread's event loop)
    for (let i = 0; i < 100; i++) await null
    const internals = pool as unknown as { lastCall: number, control: Int32Array }
    expect(internals.lastCall).toBe(2)
    const deadline = performance.now() + 10_000
    while (Atomics.load(internals.control, doneIndex(2)) !== 2 && performance.now() < deadline) { /* this thread never yields */ }
    expect(Atomics.load(internals.control, doneIndex(1))).toBe(1)
    expect(Atomics.load(internals.control, doneIndex(2))).toBe(2)
    await Promise.all(calls)
    expectSameShards(a.shards, a.expected, 'first call')
    expectSameShards(b.shards, b.expected, 'second call')
  })

  it('keeps calls on more arenas than the control block has slots in flight, each with its own bytes; aborted ones never run', async () => {
    const pool = await start()
    const arenas = Array.from({ length: 3 * CALL_SLOTS + 1 }, (_, i) => filled(pool, 0xC80 + i))
    const controllers = arenas.map(() => new AbortController())
    const calls = arenas.map(async (a, i) => { await pool.encode(a.shards, { signal: controllers[i].signal }) })
    // every third call is aborted before it can be written into a slot
    arenas.forEach((_, i) => { if (i % 3 === 1) controllers[i].abort() })
    const outcomes = await Promise.all(calls.map(async call => await call.then(() => 'done', (err: Error) => err.name)))
    expect(outcomes).toEqual(arenas.map((_, i) => i % 3 === 1 ? 'AbortError' : 'done'))
    arenas.forEach((a, i) => {
      if (i % 3 !== 1) expectSameShards(a.shards, a.expected, `arena ${i}`)
      else for (let p = K; p < K + M; p++) expect(a.shards[p].every(b => b === 0), `arena ${i} parity ${p} untouched`).toBe(true)
    })
    // and once they are all over, in turn again
    for (const a of arenas) {
      expect(await pool.verify(a.shards)).toBe(arenas.indexOf(a) % 3 !== 1)
    }
  })

  it('works after a long idle time, with the workers blocked in Atomics.wait', async () => {
    const pool = await start()
    const { shards, expected } = filled(pool, 0xC20)
    await pool.encode(shards)
    // far beyond the workers' polling: they block
    await sleep(Math.max(200, POOL_SPIN_MICROS / 1000 * 20))
    for (let i = K; i < K + M; i++) shards[i].fill(0)
    await pool.encode(shards)
    expectSameShards(shards, expected, 'after idling')
  })

  it('does not run a call aborted before it reaches the workers', async () => {
    const pool = await start()
    const first = filled(pool, 0xC30)
    const second = filled(pool, 0xC31)
    const controller = new AbortController()
    const running = pool.encode(first.shards)
    const aborted = pool.encode(second.shards, { signal: controller.signal })
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
    await running
    // one more call on another arena: every earlier call has had its turn by now
    await pool.encode(filled(pool, 0xC32).shards)
    for (let i = K; i < K + M; i++) expect(second.shards[i].every(b => b === 0), `parity ${i} untouched`).toBe(true)
    expectSameShards(first.shards, first.expected, 'the call before it')
    await pool.encode(second.shards)
    expectSameShards(second.shards, second.expected, 'the same shards, not aborted')
  })

  it('rejects an aborted running call at once; its work still runs to its end', async () => {
    const pool = await start()
    // long enough (80 MiB of data, ~7 ms on two workers here) to be still running
    // one macrotask later, even when the two workers hold both cores and the
    // scheduler runs this thread a time slice late
    const { shards, expected } = filled(pool, 0xC40, 16 << 20)
    const controller = new AbortController()
    const call = pool.encode(shards, { signal: controller.signal })
    // handed to the workers within the call's microtasks
    await new Promise(resolve => setImmediate(resolve))
    controller.abort(new Error('stop'))
    await expect(call).rejects.toThrow('stop')
    // a later call has its turn only after that work is over
    await pool.encode(filled(pool, 0xC41).shards)
    expectSameShards(shards, expected, 'the aborted call, after its end')
  })

  it('closes while the workers are blocked waiting, and while they poll', async () => {
    for (const idle of [300, 0]) {
      const pool = await start()
      const { shards } = filled(pool, 0xC50)
      await pool.encode(shards)
      if (idle > 0) await sleep(idle)
      const started = performance.now()
      await pool.close()
      expect(performance.now() - started, `close after ${idle} ms idle`).toBeLessThan(5000)
      await expect(pool.encode(shards)).rejects.toMatchObject({ name: 'PoolClosedError' })
    }
  })

  it('rejects calls in flight and queued with PoolClosedError on close', async () => {
    const pool = await start()
    const a = filled(pool, 0xC60)
    const b = filled(pool, 0xC61)
    const calls = [pool.encode(a.shards), pool.encode(b.shards), pool.verify(a.shards), pool.encode(a.shards)]
    const outcomes = calls.map(async call => await call.then(() => 'resolved', (err: Error) => err.name))
    await pool.close()
    expect(await Promise.all(outcomes)).toEqual(['PoolClosedError', 'PoolClosedError', 'PoolClosedError', 'PoolClosedError'])
  })

  it('fails with PoolClosedError once a worker has died', async () => {
    const pool = await start()
    const { shards } = filled(pool, 0xC70)
    await pool.encode(shards)
    await (pool as unknown as { threads: Array<{ terminate: () => Promise<number> }> }).threads[1].terminate()
    await expect(pool.encode(shards)).rejects.toMatchObject({ name: 'PoolClosedError' })
    await expect(pool.verify(shards)).rejects.toMatchObject({ name: 'PoolClosedError' })
  })

  it('does not keep the process alive once idle, nor end it while a call waits', async () => {
    const index = fileURLToPath(new URL('../../src/codec/index.ts', import.meta.url))
    const script = `
      const { createCodecPool } = await import(${JSON.stringify(index)})
      const pool = await createCodecPool({ dataShards: 4, parityShards: 2, workers: 2 })
      const shards = pool.allocShards(${SIZE})
      shards[0].fill(7)
      // nothing but the pool keeps this process alive while the call runs
      pool.encode(shards).then(() => { console.log('done', shards[4][0], shards[5][${SIZE - 1}]) })
    `
    const started = performance.now()
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 })
    expect(stdout.trim()).toMatch(/^done \d+ \d+$/)
    expect(performance.now() - started).toBeLessThan(30_000)
  })
})
