/**
 * One worker of the codec pool: a codec of its own (its own wasm instance) that
 * runs byte ranges of calls on shards the main thread shares with it, either
 * through SharedArrayBuffers (copied through its staging memory) or in an arena
 * (a shared wasm memory its kernel runs on in place, in its own lane). See
 * pool.ts and arena.ts.
 */

import { parentPort, workerData } from 'node:worker_threads'
import { ArenaRunner } from './arena.js'
import { ReedSolomonCodec } from './codec.js'
import type { PoolRequest, PoolResponse, PoolWorkerData } from './pool.js'

const init = workerData as PoolWorkerData
const codec = new ReedSolomonCodec(init)
/** Arena id → this thread's kernel instance on that arena's memory. */
const arenas = new Map<number, ArenaRunner>()

function arenaRunner (request: Extract<PoolRequest, { op: 'arena' }>): ArenaRunner {
  let runner = arenas.get(request.arena)
  if (runner === undefined) {
    if (request.memory === undefined || request.layout === undefined) throw new RangeError(`unknown arena ${request.arena}`)
    runner = new ArenaRunner(codec.kernel, request.memory, request.layout)
    arenas.set(request.arena, runner)
  }
  return runner
}

parentPort?.on('message', (request: PoolRequest) => {
  if (request.op === 'drop') {
    arenas.delete(request.arena)
    return
  }
  let response: PoolResponse
  try {
    let result = true
    if (request.op === 'arena') {
      // answered only by the worker that finishes the call's last chunk
      if (arenaRunner(request).runShared(request.pass, request.lane, request.seq, request.chunk, request.size) === 'more') return
    }
    switch (request.op) {
      case 'encode': codec.encodeRange(request.shards, request.from, request.to); break
      case 'verify': result = codec.verifyRange(request.shards, request.from, request.to); break
      case 'rebuild': codec.rebuildRange(request.shards, request.job, request.from, request.to); break
    }
    response = { id: request.id, ok: true, result }
  } catch (err) {
    const e = err as Error
    response = { id: request.id, ok: false, name: e.name, message: e.message }
  }
  parentPort?.postMessage(response)
})
