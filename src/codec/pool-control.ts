/**
 * The codec pool's control block: a few Int32 words in one SharedArrayBuffer
 * that the calling thread and every worker of a pool share.
 *
 *   BELL    doorbell: the calling thread adds 1 and notifies on every event for
 *           the workers (a call on an arena, or messages left on their ports);
 *           an idle worker waits on it.
 *   STOP    1 once the pool closes: workers leave their loop.
 *   DONE    id of the last arena call whose chunks are all done, stored and
 *           notified by the worker that ran the last one; the calling thread
 *           waits on it with Atomics.waitAsync.
 *   VERSION seqlock over the call record below: odd while it is being written.
 *   CALL .. WORKERS  the call record: the arena call the workers take part in.
 *   HANDOFF id of the last arena call whose completion has been notified: the
 *           other workers of the call poll for it before they block (below).
 *
 * The pool runs one arena call at a time, so one record is enough; a worker
 * that reads it late (its call is over) finds no chunk to claim in the arena
 * (see ArenaRunner.runShared) and does nothing.
 */

export const BELL = 0
export const STOP = 1
export const DONE = 2
export const VERSION = 3
const CALL = 4
const ARENA = 5
const PASS = 6
const SEQ = 7
const CHUNK = 8
const SIZE = 9
const WORKERS = 10
export const HANDOFF = 11
const CONTROL_WORDS = 16

/** One arena call, as the workers read it from the control block. */
export interface ArenaCall {
  /** Id of the call, in 1 .. 2^31 - 1 (wraps). */
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

/** Writes the call record (calling thread only); ring the bell after. */
export function writeCall (control: Int32Array, c: ArenaCall): void {
  Atomics.add(control, VERSION, 1)
  Atomics.store(control, ARENA, c.arena | 0)
  Atomics.store(control, PASS, c.pass)
  Atomics.store(control, SEQ, c.seq | 0)
  Atomics.store(control, CHUNK, c.chunk)
  Atomics.store(control, SIZE, c.size)
  Atomics.store(control, WORKERS, c.workers)
  Atomics.store(control, CALL, c.call)
  Atomics.add(control, VERSION, 1)
}

/**
 * The call record, or null while the calling thread is writing it (it rings
 * the bell once done, so the reader looks again then).
 */
export function readCall (control: Int32Array): ArenaCall | null {
  const version = Atomics.load(control, VERSION)
  if ((version & 1) !== 0) return null
  const c: ArenaCall = {
    call: Atomics.load(control, CALL),
    arena: Atomics.load(control, ARENA),
    pass: Atomics.load(control, PASS),
    seq: Atomics.load(control, SEQ) >>> 0,
    chunk: Atomics.load(control, CHUNK),
    size: Atomics.load(control, SIZE),
    workers: Atomics.load(control, WORKERS)
  }
  return Atomics.load(control, VERSION) === version ? c : null
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
