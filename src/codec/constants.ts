/** Limits and defaults of the codec. */

/** GF(2^8) has 256 elements, so a Vandermonde code has at most 256 distinct rows. */
export const MAX_TOTAL_SHARDS = 256

/**
 * Staging: each kernel call copies a chunk of every shard into wasm memory. The
 * chunk is sized so that all shards' chunks together stay near this many bytes
 * (resident in L2), within [MIN_CHUNK_BYTES, MAX_CHUNK_BYTES].
 */
export const STAGING_TARGET_BYTES = 224 * 1024
export const MIN_CHUNK_BYTES = 1024
export const MAX_CHUNK_BYTES = 64 * 1024

/** Chunks are a multiple of this; kernel lengths are padded to 16 (one v128). */
export const KERNEL_ALIGN_BYTES = 64

/** Distinct erasure patterns whose decode matrices a codec keeps. */
export const DEFAULT_DECODE_CACHE_ENTRIES = 64

/** Data bytes per stripe of encodeStream when the caller does not say. */
export const DEFAULT_STRIPE_BYTES = 1024 * 1024

/** Calls smaller than this (bytes per shard) run on the calling thread even with a pool. */
export const POOL_MIN_SHARD_BYTES = 64 * 1024

/**
 * A pool call on zero-copy shards is cut into about this many chunks per
 * worker (of at least POOL_MIN_CHUNK_BYTES per shard), claimed one at a time,
 * so a worker the OS runs late leaves its share to the others.
 */
export const POOL_CHUNKS_PER_WORKER = 4
export const POOL_MIN_CHUNK_BYTES = 16 * 1024

/**
 * Polling instead of blocking, bounded (pool/worker.ts). Waking a thread
 * blocked in Atomics.wait costs tens of microseconds on a virtual machine
 * whose idle cores halt, against ~0.8 ms for a 10+4 @ 1 MiB call on two
 * workers; but on a 2-core machine a polling worker holds the core the
 * calling thread needs to take the answer and start the next call.
 * - POOL_SPIN_MICROS: the worker that finished a call polls the bell this long
 *   for the next one (back-to-back calls, e.g. stripes), then blocks.
 * - POOL_HANDOFF_MICROS: the other workers of the call poll at most this long
 *   for the finisher to have woken the calling thread, then block, leaving it
 *   their core; one chunk is the most they wait for.
 * - POOL_SPIN_MAX_POLLS: a bound on reads per poll, whatever the clock says.
 */
export const POOL_SPIN_MICROS = 50
export const POOL_HANDOFF_MICROS = 300
export const POOL_SPIN_MAX_POLLS = 100_000

/**
 * Arenas (allocShards): scratch per lane for verify's computed parity, and the
 * most pool workers one arena call can be split across unless the pool that
 * allocates it has more.
 */
export const CHECK_AREA_BYTES = 16 * 1024
export const MAX_ARENA_WORKER_LANES = 16
