/**
 * The pool's control block (pool/control.ts): the call record round-trips
 * through Int32 words, a reader never takes a half-written record, and the
 * workers' waits are bounded.
 */
import { describe, expect, it } from 'vitest'
import { BELL, CALL_SLOTS, createControl, doneIndex, isLaterCall, LAST_CALL_ID, nextCall, nextCallId, pollFor, previousInSlot, readCall, ring, versionIndex, waitAsync, waitForBell, writeCall } from '../../src/codec/pool/control.js'

/** The calls a worker expecting `expected` takes, in order, until it has to wait; and what it expects then. */
function readAll (control: Int32Array, expected: number): { taken: number[], expected: number } {
  const taken: number[] = []
  for (let i = 0; i < 4 * CALL_SLOTS; i++) {
    const found = nextCall(control, expected)
    if (found === 'wait') break
    if ('skip' in found) {
      expected = found.skip
      continue
    }
    taken.push(found.take.call)
    expected = nextCallId(expected)
  }
  return { taken, expected }
}

describe('codec pool control block', () => {
  it('round-trips call records, each in its own slot, with sequence numbers above 2^31', () => {
    const control = createControl()
    const call = { call: LAST_CALL_ID, arena: 12, pass: 3, seq: 0xFFFFFFFE, chunk: 131072, size: 1 << 20, workers: 2 }
    const calls = Array.from({ length: CALL_SLOTS }, (_, i) => ({ ...call, call: i === 0 ? LAST_CALL_ID : i, arena: 12 + i, seq: i === 1 ? 0 : call.seq }))
    for (const c of calls) writeCall(control, c)
    for (const c of calls) expect(readCall(control, c.call)).toEqual(c)
    // the next call in the first slot replaces the one there
    const next = { ...calls[0], call: CALL_SLOTS, arena: 99 }
    expect(next.call % CALL_SLOTS).toBe(LAST_CALL_ID % CALL_SLOTS)
    writeCall(control, next)
    expect(readCall(control, LAST_CALL_ID)).toEqual(next)
    expect(readCall(control, 1)).toEqual(calls[1])
  })

  it('gives no record while one is being written', () => {
    const control = createControl()
    writeCall(control, { call: 1, arena: 1, pass: 1, seq: 1, chunk: 64, size: 64, workers: 1 })
    Atomics.add(control, versionIndex(1), 1) // as writeCall does first
    expect(readCall(control, 1)).toBeNull()
    Atomics.add(control, versionIndex(1), 1)
    expect(readCall(control, 1)?.call).toBe(1)
  })

  it('numbers calls so that slots stay in turn across the wrap of ids', () => {
    expect(LAST_CALL_ID % CALL_SLOTS).toBe(0)
    expect(nextCallId(1)).toBe(2)
    expect(nextCallId(LAST_CALL_ID)).toBe(1)
    // consecutive ids take consecutive slots, through the wrap
    let id = LAST_CALL_ID - 2 * CALL_SLOTS
    const slots: number[] = []
    for (let i = 0; i < 3 * CALL_SLOTS; i++, id = nextCallId(id)) slots.push(doneIndex(id))
    for (let i = CALL_SLOTS; i < slots.length; i++) expect(slots[i]).toBe(slots[i - CALL_SLOTS])
    expect(new Set(slots.slice(0, CALL_SLOTS)).size).toBe(CALL_SLOTS)
    // the call before each one in its slot is CALL_SLOTS ids back
    expect(previousInSlot(CALL_SLOTS + 1)).toBe(1)
    expect(previousInSlot(1)).toBe(LAST_CALL_ID + 1 - CALL_SLOTS)
    let back = 1
    for (let i = 0; i < CALL_SLOTS; i++) back = nextCallId(back)
    expect(previousInSlot(back)).toBe(1)
    // later, across the wrap; an empty slot (0) is never later
    expect(isLaterCall(2, 1)).toBe(true)
    expect(isLaterCall(1, 2)).toBe(false)
    expect(isLaterCall(1, LAST_CALL_ID)).toBe(true)
    expect(isLaterCall(LAST_CALL_ID, 1)).toBe(false)
    expect(isLaterCall(5, 5)).toBe(false)
    expect(isLaterCall(0, 1)).toBe(false)
  })

  it('leads a worker through the slots in id order, and past calls it fell behind on', () => {
    const control = createControl()
    const record = (call: number): { call: number, arena: number, pass: number, seq: number, chunk: number, size: number, workers: number } =>
      ({ call, arena: call, pass: 1, seq: call, chunk: 64, size: 64, workers: 2 })
    // nothing written yet
    expect(nextCall(control, 1)).toBe('wait')
    for (let id = 1; id <= CALL_SLOTS; id++) writeCall(control, record(id))
    expect(nextCall(control, 1)).toEqual({ take: record(1) })
    expect(nextCall(control, CALL_SLOTS)).toEqual({ take: record(CALL_SLOTS) })
    // the next id's slot still holds the call before it in the slot
    expect(nextCall(control, CALL_SLOTS + 1)).toBe('wait')
    // while a worker still expects call 2, calls up to 2 + 2 * CALL_SLOTS are written (the others ran them):
    // it skips to the first call that may still be live, and from there takes them in order
    for (let id = CALL_SLOTS + 1; id <= 2 + 2 * CALL_SLOTS; id++) writeCall(control, record(id))
    expect(nextCall(control, 2)).toEqual({ skip: 3 + CALL_SLOTS })
    expect(readAll(control, 2)).toEqual({ taken: Array.from({ length: CALL_SLOTS }, (_, i) => 3 + CALL_SLOTS + i), expected: 3 + 2 * CALL_SLOTS })
    // a record being written is waited for
    const next = 3 + 2 * CALL_SLOTS
    Atomics.add(control, versionIndex(next), 1)
    expect(nextCall(control, next)).toBe('wait')
    Atomics.add(control, versionIndex(next), 1)
    // and across the wrap of ids, from far behind
    const wrap = createControl()
    const ids = [LAST_CALL_ID - 1, LAST_CALL_ID, 1, 2]
    for (const id of ids) writeCall(wrap, record(id))
    expect(readAll(wrap, LAST_CALL_ID - 1 - 3 * CALL_SLOTS)).toEqual({ taken: ids, expected: 3 })
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
