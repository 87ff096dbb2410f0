import { describe, expect, it } from 'vitest'
import { SerialQueue } from '../../src/codec/serial.js'

describe('SerialQueue', () => {
  it('starts a task given to an idle queue synchronously, and counts it until it settles', async () => {
    const queue = new SerialQueue()
    let started = false
    let release: () => void = () => {}
    const run = queue.run(async () => {
      started = true
      await new Promise<void>(resolve => { release = resolve })
      return 7
    })
    expect(started).toBe(true)
    expect(queue.pending).toBe(1)
    release()
    expect(await run).toBe(7)
    expect(queue.pending).toBe(0)
  })

  it('runs tasks one at a time in the order given, a failing one included', async () => {
    const queue = new SerialQueue()
    const log: string[] = []
    let active = 0
    const task = (name: string, fail = false) => async (): Promise<string> => {
      active++
      expect(active, `${name} overlaps another task`).toBe(1)
      log.push(`start ${name}`)
      await new Promise(resolve => setTimeout(resolve, 5))
      log.push(`end ${name}`)
      active--
      if (fail) throw new Error(`${name} failed`)
      return name
    }
    const a = queue.run(task('a'))
    const b = queue.run(task('b', true))
    const c = queue.run(task('c'))
    expect(queue.pending).toBe(3)
    await expect(b).rejects.toThrow('b failed')
    expect(await Promise.all([a, c])).toEqual(['a', 'c'])
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
    expect(queue.pending).toBe(0)
  })
})
