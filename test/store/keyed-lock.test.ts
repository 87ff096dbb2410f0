import { describe, expect, it } from 'vitest'
import { KeyedLock } from '../../src/store/keyed-lock.js'
import { rejection } from './helpers.js'

describe('KeyedLock', () => {
  it('runs holders of one key one at a time, in order, and other keys in parallel', async () => {
    const lock = new KeyedLock()
    const log: string[] = []
    const tick = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }
    const job = async (key: string, name: string): Promise<void> => {
      await lock.with(key, undefined, async () => {
        log.push(`${name}+`)
        await tick()
        log.push(`${name}-`)
      })
    }
    await Promise.all([job('a', 'a1'), job('a', 'a2'), job('b', 'b1'), job('a', 'a3')])
    const a = log.filter((e) => e.startsWith('a'))
    expect(a).toEqual(['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-'])
    expect(log.indexOf('b1+')).toBeLessThan(log.indexOf('a1-'))
  })

  it('a waiter whose signal fires leaves the queue with AbortError; the others still get the lock', async () => {
    const lock = new KeyedLock()
    const release = await lock.acquire('k')
    const controller = new AbortController()
    const aborted = lock.acquire('k', controller.signal)
    const next = lock.acquire('k')
    controller.abort()
    expect((await rejection(aborted)).name).toBe('AbortError')
    release()
    const releaseNext = await next
    releaseNext()
    releaseNext() // a second release is a no-op
    const again = await lock.acquire('k')
    again()
    expect((await rejection(lock.acquire('k', AbortSignal.abort()))).name).toBe('AbortError')
  })
})
