/** The codec pool's public types. */
import type { CodecInit } from '../codec.js'
import type { KernelName } from '../loader.js'

export interface CodecPoolInit extends CodecInit {
  /** Worker threads. Default: os.availableParallelism(). */
  workers?: number
}

export interface CodecPoolOptions {
  /** Rejects the call when aborted; work already handed to workers still runs to its end. */
  signal?: AbortSignal
}

/**
 * A codec whose calls run on worker threads, each call's byte range split
 * across all of them. Calls on the same shards run one after another; calls on
 * different shard sets may be in flight together, and up to four of those on
 * `allocShards` arenas wait in the pool's shared control block, so keeping the
 * next call in flight (as a stream of stripes can) lets the workers go on to it
 * without waiting for the calling thread.
 */
export interface CodecPool {
  readonly dataShards: number
  readonly parityShards: number
  readonly totalShards: number
  readonly kernel: KernelName
  readonly workers: number
  /**
   * k + m shards of `shardBytes` each in one shared wasm memory (as the codec's
   * `allocShards`, with a lane for each worker): calls on them run in place.
   */
  allocShards: (shardBytes: number) => Uint8Array[]
  encode: (shards: Uint8Array[], options?: CodecPoolOptions) => Promise<void>
  verify: (shards: Uint8Array[], options?: CodecPoolOptions) => Promise<boolean>
  reconstruct: (shards: Array<Uint8Array | null>, options?: CodecPoolOptions) => Promise<Uint8Array[]>
  reconstructData: (shards: Array<Uint8Array | null>, options?: CodecPoolOptions) => Promise<Array<Uint8Array | null>>
  /** Stops the workers; pending calls reject with PoolClosedError. */
  close: () => Promise<void>
}
