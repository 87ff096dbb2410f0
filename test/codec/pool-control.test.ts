/**
 * The pool's control block (pool-control.ts): the call record round-trips
 * through Int32 words, a reader never takes a half-written record, and the
 * workers' waits are bounded.
 */
import { describe, expect, it } from 'vitest'
import { BELL, createControl, pollFor, readCall, ring, VERSION, waitAsync, waitForBell, writeCall } from '../../src/codec/pool-control.js'

describe('codec pool control block', () => {
  it('round-trips a call record, with sequence numbers above 2^31', () => {
    const control = createControl()
    const call = { call: 0x7FFFFFFF, arena: 12, pass: 3, seq: 0xFFFFFFFE, chunk: 131072, size: 1 << 20, workers: 2 }
    writeCall(control, call)
    expect(readCall(control)).toEqual(call)
    writeCall(control, { ...call, call: 1, seq: 0 })
    expect(readCall(control)).toEqual({ ...call, call: 1, seq: 0 })
  })

  it('gives no record while one is being written', () => {
    const control = createControl()
    writeCall(control, { call: 1, arena: 1, pass: 1, seq: 1, chunk: 64, size: 64, workers: 1 })
    Atomics.add(control, VERSION, 1) // as writeCall does first
    expect(readCall(control)).toBeNull()
    Atomics.add(control, VERSION, 1)
    expect(readCall(control)?.call).toBe(1)
  })

  it('returns at once when the bell has moved', () => {
    const control = createControl()
    ring(control)
    expect(waitForBell(control, 0, 1000, 100)).toBe(1)
  })

  it('polls no longer than its time bound, nor more reads than its count bound', () => {
    const control = createControl()
    let started = performance.now()
    pollFor(control, 5, 1, Atomics.load(control, BELL), 2000, 1e12)
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(1.9)
    expect(elapsed).toBeLessThan(1000)
    started = performance.now()
    pollFor(control, 5, 1, Atomics.load(control, BELL), 60e6, 1000) // a minute, but 1000 reads
    expect(performance.now() - started).toBeLessThan(1000)
    // and ends at once when the word takes the value
    Atomics.store(control, 5, 1)
    started = performance.now()
    pollFor(control, 5, 1, Atomics.load(control, BELL), 60e6, 1e12)
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('waitAsync resolves on notify, and at once when the value has changed', async () => {
    const control = createControl()
    const waiting = waitAsync(control, 2, 0)
    Atomics.store(control, 2, 5)
    Atomics.notify(control, 2)
    await waiting
    await waitAsync(control, 2, 0) // holds 5: resolves without a notify
  })
})
