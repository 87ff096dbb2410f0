/**
 * One worker of the codec pool: a codec of its own (its own wasm instance) that
 * runs byte ranges of calls on shards the main thread shares with it through
 * SharedArrayBuffers. See pool.ts.
 */

import { parentPort, workerData } from 'node:worker_threads'
import { ReedSolomonCodec } from './codec.js'
import type { PoolRequest, PoolResponse, PoolWorkerData } from './pool.js'

const init = workerData as PoolWorkerData
const codec = new ReedSolomonCodec(init)

parentPort?.on('message', (request: PoolRequest) => {
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
    const e = err as Error
    response = { id: request.id, ok: false, name: e.name, message: e.message }
  }
  parentPort?.postMessage(response)
})
