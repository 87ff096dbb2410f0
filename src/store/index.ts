/** The shard store: interface, filesystem and memory implementations, errors, limits. */
export type {
  ShardStore, StoreOptions, PutOptions, GetOptions, DeleteOptions, ScrubOptions, ScrubProgressEvent,
  ShardInfo, StoreStats, ScrubReport
} from './types.js'
export { createFsShardStore } from './fs-store.js'
export type { FsShardStoreInit } from './fs-store.js'
export { createMemoryShardStore } from './memory-store.js'
export type { MemoryShardStoreInit } from './memory-store.js'
export * from './errors.js'
export * from './constants.js'
