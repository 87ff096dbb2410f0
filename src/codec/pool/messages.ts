/** What the calling thread and the pool's workers send each other through their ports. */
import type { ArenaLayout, ArenaPass } from '../arena/index.js'
import type { RebuildJob } from '../codec.js'
import type { KernelName } from '../loader.js'
import type { MessagePort } from 'node:worker_threads'

/** @internal what a worker starts with: `control` is the pool's control block, `port` its request port. */
export interface PoolWorkerData { dataShards: number, parityShards: number, kernel: KernelName, control: SharedArrayBuffer, port: MessagePort, index: number }
/** @internal messages left on a worker's port */
export type PoolRequest =
  | { id: number, op: 'encode' | 'verify', shards: Array<Uint8Array | null>, from: number, to: number }
  | { id: number, op: 'rebuild', shards: Array<Uint8Array | null>, from: number, to: number, job: RebuildJob }
  /**
   * The pass that arena calls on `arena` run from now on, known as `passId` in
   * the call record; `memory` and `layout` come with the first one to each
   * worker. No response.
   */
  | { op: 'arena', arena: number, memory?: WebAssembly.Memory, layout?: ArenaLayout, passId: number, pass: ArenaPass }
  /** The arena was garbage collected on the calling thread: forget it. No response. */
  | { op: 'drop', arena: number }
/** @internal answers to requests (`id`) and failures of arena calls (`call`), by postMessage */
export type PoolResponse =
  | { id: number, ok: true, result: boolean }
  | { id: number, ok: false, name: string, message: string }
  | { call: number, ok: false, name: string, message: string }
