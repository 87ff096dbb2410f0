/** Limits and defaults of the shard stores. */

/** Largest shard a store accepts. Shards are a stripe's share of a file: a few bytes to a few MiB. */
export const MAX_SHARD_BYTES = 64 * 1024 * 1024

/** Capacity of a filesystem store when the init gives none. */
export const DEFAULT_FS_CAPACITY_BYTES = 10 * 1024 * 1024 * 1024

/** Capacity of a memory store when the init gives none. */
export const DEFAULT_MEMORY_CAPACITY_BYTES = 256 * 1024 * 1024

/** Longest owner string recorded with a shard (a PeerId string is ~52 characters). */
export const MAX_OWNER_CHARS = 1024

/** The filesystem store reads and hashes shard files in pieces of this size. */
export const READ_CHUNK_BYTES = 1024 * 1024

/** Permissions of shard, sidecar and temp files (umask can only narrow them). */
export const SHARD_FILE_MODE = 0o600

/** Permissions of the store's directories. */
export const STORE_DIR_MODE = 0o700
