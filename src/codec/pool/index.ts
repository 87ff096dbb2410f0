/**
 * A pool of worker threads that splits each large codec call's byte range
 * across cores. Bytes are independent in Reed-Solomon, so worker i simply runs
 * the same matrix over bytes [from_i, to_i) of every shard.
 *
 * Shards travel by sharing, not copying. Shards from `allocShards` live in a
 * shared wasm memory (an arena, see ../arena/): the memory is posted once to
 * each worker, which instantiates its kernel on it, and the addresses of a
 * call (its pass) once per change; each worker runs the kernel in place on
 * chunks of the byte range, in its own lane of the arena. Other arrays backed
 * by a SharedArrayBuffer are seen by every worker too, which copies its range
 * through its own staging memory. Anything else is first copied into shared
 * memory and the results copied back, a pass over the bytes on the calling
 * thread. Calls on shards under POOL_MIN_SHARD_BYTES run on the calling thread.
 *
 * Signalling goes through a control block of shared words (control.ts),
 * not a message per call: messages (memories, passes, shared-array requests)
 * wait on each worker's port, and a bell wakes the workers, which take them
 * with receiveMessageOnPort. An arena call is a record in one of the control
 * block's slots; the worker that finishes its last chunk stores its id and
 * notifies, and the calling thread awaits that with Atomics.waitAsync. Calls
 * on different arenas can wait in the slots, so the workers go on to the next
 * without waiting for the calling thread. Answers to shared-array requests and
 * errors come back by postMessage.
 */

import { WorkerPool } from './worker-pool.js'
import type { CodecPool, CodecPoolInit } from './types.js'

export type { CodecPool, CodecPoolInit, CodecPoolOptions } from './types.js'

/** Starts a pool of codec workers; call `close()` when done. */
export async function createCodecPool (init: CodecPoolInit): Promise<CodecPool> {
  const pool = new WorkerPool(init)
  await pool.start()
  return pool
}
