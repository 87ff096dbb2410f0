/**
 * The codec pool's control block: Int32 words in one SharedArrayBuffer that
 * the calling thread and every worker of a pool share.
 *
 *   BELL    doorbell: the calling thread adds 1 and notifies on every event for
 *           the workers (a call written, or messages left on their ports); an
 *           idle worker waits on it.
 *   STOP    1 once the pool closes: workers leave their loop.
 *   HANDOFF id of the last arena call whose completion has been notified: the
 *           other workers of that call poll for it before they block.
 *   DONE    one word per slot: the id of the last call in that slot whose
 *           chunks are all done, stored and notified by the worker that ran the
 *           last one; the calling thread waits on it with Atomics.waitAsync.
 *   slots   CALL_SLOTS call records, each under its own seqlock (VERSION, odd
 *           while it is being written). Call `id` goes in slot id % CALL_SLOTS.
 *
 * Up to CALL_SLOTS arena calls (on as many arenas) can be in the control block
 * at once: the workers take them in id order, so they go on to the next call
 * without waiting for the calling thread to take the previous answer. The
 * calling thread reuses a slot only once the call in it is done; a worker that
 * finds a later call in the slot it looks at knows the one it expected is over
 * (another worker ran its chunks) and moves on.
 */

export const BELL = 0
export const STOP = 1
export const HANDOFF = 2
/** Arena calls the control block holds at once (a power of two). */
export const CALL_SLOTS = 4
const DONE_BASE = 4
const SLOT_BASE = DONE_BASE + CALL_SLOTS
const SLOT_WORDS = 8
// a record's words, from the start of its slot
const VERSION = 0
const CALL = 1
const ARENA = 2
const PASS = 3
const SEQ = 4
const CHUNK = 5
const SIZE = 6
const WORKERS = 7
const CONTROL_WORDS = SLOT_BASE + CALL_SLOTS * SLOT_WORDS
/** Call ids run 1 .. LAST_CALL_ID and wrap to 1; a multiple of CALL_SLOTS, so slots stay in turn across the wrap. */
export const LAST_CALL_ID = 0x7FFFFFFC

/** One arena call, as the workers read it from the control block. */
export interface ArenaCall {
  /** Id of the call, in 1 .. LAST_CALL_ID (see nextCallId). */
  call: number
  /** Arena id, as an int32 (`id | 0`). */
  arena: number
  /** Id of the pass (addresses) to run, posted to the workers beforehand; in 1 .. 2^31 - 1. */
  pass: number
  /** The arena's call sequence number, as in its claim word. */
  seq: number
  chunk: number
  size: number
  /** Workers 0 .. workers - 1 take part (worker w in lane w + 1). */
  workers: number
}

export function createControl (): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4))
}

/** The id after `call`. */
export function nextCallId (call: number): number {
  return call >= LAST_CALL_ID ? 1 : call + 1
}

/** The id of the call before `call` in its slot. */
export function previousInSlot (call: number): number {
  return call > CALL_SLOTS ? call - CALL_SLOTS : call - CALL_SLOTS + LAST_CALL_ID
}

/** Whether call id `a` comes after `b` (ids wrap; no two live calls are half the id space apart). */
export function isLaterCall (a: number, b: number): boolean {
  const d = (a - b + LAST_CALL_ID) % LAST_CALL_ID
  return d > 0 && d < LAST_CALL_ID / 2
}

/** Index of the DONE word of `call`'s slot. */
export function doneIndex (call: number): number {
  return DONE_BASE + call % CALL_SLOTS
}

function slotOf (call: number): number {
  return SLOT_BASE + (call % CALL_SLOTS) * SLOT_WORDS
}

/** @internal index of the seqlock word of `call`'s slot (tests) */
export function versionIndex (call: number): number {
  return slotOf(call) + VERSION
}

/** Writes the call record into its slot (calling thread only); ring the bell after. */
export function writeCall (control: Int32Array, c: ArenaCall): void {
  const at = slotOf(c.call)
  Atomics.add(control, at + VERSION, 1)
  Atomics.store(control, at + ARENA, c.arena | 0)
  Atomics.store(control, at + PASS, c.pass)
  Atomics.store(control, at + SEQ, c.seq | 0)
  Atomics.store(control, at + CHUNK, c.chunk)
  Atomics.store(control, at + SIZE, c.size)
  Atomics.store(control, at + WORKERS, c.workers)
  Atomics.store(control, at + CALL, c.call)
  Atomics.add(control, at + VERSION, 1)
}

/**
 * The record in the slot of call id `call` (which may hold an earlier or a
 * later call than that), or null while the calling thread is writing it (it
 * rings the bell once done, so the reader looks again then).
 */
export function readCall (control: Int32Array, call: number): ArenaCall | null {
  const at = slotOf(call)
  const version = Atomics.load(control, at + VERSION)
  if ((version & 1) !== 0) return null
  const c: ArenaCall = {
    call: Atomics.load(control, at + CALL),
    arena: Atomics.load(control, at + ARENA),
    pass: Atomics.load(control, at + PASS),
    seq: Atomics.load(control, at + SEQ) >>> 0,
    chunk: Atomics.load(control, at + CHUNK),
    size: Atomics.load(control, at + SIZE),
    workers: Atomics.load(control, at + WORKERS)
  }
  return Atomics.load(control, at + VERSION) === version ? c : null
}

/**
 * What a worker reading the slots in id order finds at `expected`, the id of
 * the next call it has not looked at: the call's record (`take`, then go on
 * with nextCallId(expected)); `skip` to a later id when the slot was already
 * reused: the call before the one now in the slot is over, and so is every
 * earlier one (a slot is written only once its previous call is done, and
 * slots are written in id order), so the other workers ran them; or `wait`
 * while the call is not written yet (or is being written).
 */
export function nextCall (control: Int32Array, expected: number): { take: ArenaCall } | { skip: number } | 'wait' {
  const c = readCall(control, expected)
  if (c === null) return 'wait'
  if (c.call === expected) return { take: c }
  if (!isLaterCall(c.call, expected)) return 'wait' // the slot still holds an earlier call
  return { skip: nextCallId(previousInSlot(c.call)) }
}

/** Marks `call` done (worker side, by the one that ran its last chunk) and wakes its waiter. */
export function markDone (control: Int32Array, call: number): void {
  Atomics.store(control, doneIndex(call), call)
  Atomics.notify(control, doneIndex(call))
  Atomics.store(control, HANDOFF, call)
}

/** Wakes every waiter on a DONE word (the pool is closing). */
export function notifyAllDone (control: Int32Array): void {
  for (let s = 0; s < CALL_SLOTS; s++) Atomics.notify(control, DONE_BASE + s)
}

type WaitAsyncResult =
  | { async: false, value: 'not-equal' | 'timed-out' }
  | { async: true, value: Promise<'ok' | 'timed-out'> }

/**
 * Resolves once `control[index]` is notified, at once when it no longer holds
 * `value` (Atomics.waitAsync, in V8 since 8.7; the ES2023 lib lacks its type).
 */
export async function waitAsync (control: Int32Array, index: number, value: number): Promise<void> {
  const wait = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number) => WaitAsyncResult }).waitAsync(control, index, value)
  if (wait.async) await wait.value
}

/** Wakes every worker: something new is in the call record or on its port. */
export function ring (control: Int32Array): void {
  Atomics.add(control, BELL, 1)
  Atomics.notify(control, BELL)
}

/**
 * Polls (worker side) until `control[index]` holds `value` or the bell moves
 * from `seen`, for at most `micros` and `maxPolls` reads.
 */
export function pollFor (control: Int32Array, index: number, value: number, seen: number, micros: number, maxPolls: number): void {
  if (micros <= 0) return
  const until = performance.now() + micros / 1000
  for (let i = 1; i < maxPolls; i++) {
    if (Atomics.load(control, index) === value || Atomics.load(control, BELL) !== seen) return
    if ((i & 15) === 0 && performance.now() > until) return
  }
}

/**
 * Waits (worker side) until the bell moves from `seen`, and returns its new
 * value. Polls it for up to `spinMicros` (and at most `maxPolls` reads) first:
 * a call that follows within that time starts without the cost of waking a
 * blocked thread; then blocks in Atomics.wait, which terminate() interrupts.
 */
export function waitForBell (control: Int32Array, seen: number, spinMicros: number, maxPolls: number): number {
  pollFor(control, BELL, seen + 1, seen, spinMicros, maxPolls)
  let bell = Atomics.load(control, BELL)
  while (bell === seen) {
    Atomics.wait(control, BELL, seen)
    bell = Atomics.load(control, BELL)
  }
  return bell
}
