/**
 * One worker of the codec pool: a codec of its own (its own wasm instance) that
 * runs byte ranges of calls on shards the main thread shares with it, either
 * through SharedArrayBuffers (copied through its staging memory) or in an arena
 * (a shared wasm memory its kernel runs on in place, in its own lane). See
 * pool.ts, pool-control.ts and arena.ts.
 *
 * The worker never returns to its event loop: it waits on the control block's
 * bell (spinning briefly, then blocked in Atomics.wait), takes what the
 * calling thread left on its port with receiveMessageOnPort (arena memories,
 * passes, drops, shared-array requests), then joins the arena call in the call
 * record, if it has a part in it. Answers and errors go back by postMessage.
 */

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads'
import { ArenaRunner } from './arena.js'
import { ReedSolomonCodec } from './codec.js'
import { POOL_HANDOFF_MICROS, POOL_SPIN_MAX_POLLS, POOL_SPIN_MICROS } from './constants.js'
import { DONE, HANDOFF, pollFor, readCall, STOP, waitForBell } from './pool-control.js'
import type { ArenaPass } from './arena.js'
import type { PoolRequest, PoolResponse, PoolWorkerData } from './pool.js'

const init = workerData as PoolWorkerData
const codec = new ReedSolomonCodec(init)
const control = new Int32Array(init.control)
const port = init.port
/** Arena id (as an int32, as in the call record) → this thread's kernel instance on that arena's memory, and its current pass. */
const arenas = new Map<number, { runner: ArenaRunner, passId: number, pass: ArenaPass | null }>()
/** Arenas this worker could not take (no kernel instance on their memory), and why. */
const unusable = new Map<number, { name: string, message: string }>()
let lastCall = 0

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

/**
 * This worker's part of the arena call in the record, when there is a new
 * one. Returns the worker's part: 'last' when it finished the call, 'other'
 * when it took part but another worker finishes, 'none' when it had none.
 */
function joinCall (): { part: 'last' | 'other' | 'none', call: number } {
  const c = readCall(control)
  if (c === null || c.call === lastCall) return { part: 'none', call: 0 }
  lastCall = c.call
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
      Atomics.store(control, DONE, c.call)
      Atomics.notify(control, DONE)
      Atomics.store(control, HANDOFF, c.call)
      return { part: 'last', call: c.call }
    }
  } catch (err) {
    answer({ call: c.call, ok: false, ...errorOf(err) })
    return { part: 'none', call: c.call }
  }
  return { part: 'other', call: c.call }
}

/**
 * The loop. How a worker waits depends on its part in the last call, so that
 * the calling thread, which needs a core to take the answer and start the next
 * call, finds one free at once (on a 2-core machine it has none of its own):
 * - the worker that finished the call polls the bell for POOL_SPIN_MICROS, to
 *   start the next call at once;
 * - the others poll until the finisher has notified the calling thread (up to
 *   POOL_HANDOFF_MICROS), then block: the calling thread, just woken, takes
 *   the core they leave instead of waking a halted one.
 */
function serve (): void {
  let seen = 0
  let spin = 0
  for (;;) {
    seen = waitForBell(control, seen, spin, POOL_SPIN_MAX_POLLS)
    if (Atomics.load(control, STOP) !== 0) break
    drain()
    const { part, call } = joinCall()
    if (part === 'other') pollFor(control, HANDOFF, call, seen, POOL_HANDOFF_MICROS, POOL_SPIN_MAX_POLLS)
    spin = part === 'last' ? POOL_SPIN_MICROS : 0
  }
  port.close()
}

// once this module has finished loading
setImmediate(serve)
