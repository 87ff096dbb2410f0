/**
 * One worker of the codec pool: a codec of its own (its own wasm instance) that
 * runs byte ranges of calls on shards the main thread shares with it, either
 * through SharedArrayBuffers (copied through its staging memory) or in an arena
 * (a shared wasm memory its kernel runs on in place, in its own lane). See
 * index.ts, control.ts and ../arena/.
 *
 * The worker never returns to its event loop: it waits on the control block's
 * bell (spinning briefly, then blocked in Atomics.wait), takes what the
 * calling thread left on its port with receiveMessageOnPort (arena memories,
 * passes, drops, shared-array requests), then joins the arena calls in the
 * control block's slots, in id order, where it has a part in them. Answers and errors go back by postMessage.
 */

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads'
import { ArenaRunner } from '../arena/index.js'
import { ReedSolomonCodec } from '../codec.js'
import { POOL_HANDOFF_MICROS, POOL_SPIN_MAX_POLLS, POOL_SPIN_MICROS } from '../constants.js'
import { CALL_SLOTS, HANDOFF, markDone, nextCall, nextCallId, pollFor, STOP, waitForBell } from './control.js'
import type { ArenaPass } from '../arena/index.js'
import type { PoolRequest, PoolResponse, PoolWorkerData } from './messages.js'

const init = workerData as PoolWorkerData
const codec = new ReedSolomonCodec(init)
const control = new Int32Array(init.control)
const port = init.port
/** Arena id (as an int32, as in the call record) → this thread's kernel instance on that arena's memory, and its current pass. */
const arenas = new Map<number, { runner: ArenaRunner, passId: number, pass: ArenaPass | null }>()
/** Arenas this worker could not take (no kernel instance on their memory), and why. */
const unusable = new Map<number, { name: string, message: string }>()
/** The id of the next arena call this worker has not looked at yet. */
let expected = 1

function answer (response: PoolResponse): void {
  parentPort?.postMessage(response)
}

function errorOf (err: unknown): { name: string, message: string } {
  const e = err as Error
  return { name: e.name, message: e.message }
}

function handle (request: PoolRequest): void {
  switch (request.op) {
    case 'arena': {
      const id = request.arena | 0
      let entry = arenas.get(id)
      if (entry === undefined) {
        try {
          if (request.memory === undefined || request.layout === undefined) throw new RangeError(`unknown arena ${request.arena}`)
          entry = { runner: new ArenaRunner(codec.kernel, request.memory, request.layout), passId: 0, pass: null }
        } catch (err) {
          unusable.set(id, errorOf(err))
          return
        }
        arenas.set(id, entry)
      }
      entry.passId = request.passId
      entry.pass = request.pass
      return
    }
    case 'drop':
      arenas.delete(request.arena | 0)
      unusable.delete(request.arena | 0)
      return
  }
  let response: PoolResponse
  try {
    let result = true
    switch (request.op) {
      case 'encode': codec.encodeRange(request.shards, request.from, request.to); break
      case 'verify': result = codec.verifyRange(request.shards, request.from, request.to); break
      case 'rebuild': codec.rebuildRange(request.shards, request.job, request.from, request.to); break
    }
    response = { id: request.id, ok: true, result }
  } catch (err) {
    response = { id: request.id, ok: false, ...errorOf(err) }
  }
  answer(response)
}

/** Everything the calling thread left on this worker's port, in order. */
function drain (): void {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) handle(m.message as PoolRequest)
}

type Part = 'last' | 'other' | 'none'

/**
 * This worker's part in the next arena call, when it is in its slot: 'last'
 * when this worker finished the call, 'other' when it took part but another
 * worker finishes it, 'none' when it had no part; null when the call is not
 * there yet.
 */
function joinNext (): { part: Part, call: number } | null {
  const found = nextCall(control, expected)
  if (found === 'wait') return null
  if ('skip' in found) {
    const call = expected
    expected = found.skip
    return { part: 'none', call }
  }
  const c = found.take
  expected = nextCallId(expected)
  // the call's pass was posted before its record was written: read it now
  drain()
  if (init.index >= c.workers) return { part: 'none', call: c.call }
  const entry = arenas.get(c.arena)
  if (entry === undefined) {
    const failure = unusable.get(c.arena)
    if (failure !== undefined) answer({ call: c.call, ok: false, ...failure })
    return { part: 'none', call: c.call }
  }
  // the arena has moved on to another pass since: that call is over
  if (entry.passId !== c.pass || entry.pass === null) return { part: 'none', call: c.call }
  try {
    if (entry.runner.runShared(entry.pass, init.index + 1, c.seq, c.chunk, c.size) === 'last') {
      markDone(control, c.call)
      return { part: 'last', call: c.call }
    }
  } catch (err) {
    answer({ call: c.call, ok: false, ...errorOf(err) })
    return { part: 'none', call: c.call }
  }
  return { part: 'other', call: c.call }
}

/**
 * The loop: take every call that is in its slot, in id order, then wait. How
 * a worker waits depends on its part in the last call it took, so that the
 * calling thread, which needs a core to take the answer and write the next
 * call, finds one free at once (on a 2-core machine it has none of its own):
 * - the worker that finished the call polls the bell for POOL_SPIN_MICROS, to
 *   start the next call at once;
 * - the others poll until the finisher has notified the calling thread (up to
 *   POOL_HANDOFF_MICROS), then block: the calling thread, just woken, takes
 *   the core they leave instead of waking a halted one.
 * While the calling thread keeps calls queued in the slots, workers go from
 * one to the next without waiting at all.
 */
function serve (): void {
  let seen = 0
  let spin = 0
  let more = false
  for (;;) {
    if (!more) seen = waitForBell(control, seen, spin, POOL_SPIN_MAX_POLLS)
    if (Atomics.load(control, STOP) !== 0) break
    drain()
    let last: { part: Part, call: number } | null = null
    // the calls now in their slots (a bounded round; `more` when it ran out
    // before finding an empty slot, so the next round starts without waiting)
    more = true
    for (let i = 0; i < 2 * CALL_SLOTS; i++) {
      const joined = joinNext()
      if (joined === null) {
        more = false
        break
      }
      if (joined.part !== 'none') last = joined
    }
    if (last?.part === 'other') pollFor(control, HANDOFF, last.call, seen, POOL_HANDOFF_MICROS, POOL_SPIN_MAX_POLLS)
    spin = last?.part === 'last' ? POOL_SPIN_MICROS : 0
  }
  port.close()
}

// once this module has finished loading
setImmediate(serve)
