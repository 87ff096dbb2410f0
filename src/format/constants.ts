/** Limits and identifiers of the on-disk and on-wire formats. */

/** Multicodec of a shard CID: raw bytes. */
export const RAW_CODEC = 0x55

/** Multihash code of a shard CID: sha2-256. */
export const SHA2_256_CODE = 0x12

/** Length of a sha2-256 digest. */
export const SHA2_256_DIGEST_BYTES = 32

/**
 * Inputs longer than this are hashed in pieces of this size, with a turn of the
 * event loop and an abort check between pieces (about 5 ms of hashing each).
 */
export const HASH_CHUNK_BYTES = 4 * 1024 * 1024

/** Scheme of file handles: `shoal:<manifest CID>#<base64url key>`. */
export const HANDLE_SCHEME = 'shoal:'

/** AES-256 key length carried by a handle. */
export const FILE_KEY_BYTES = 32

/** Manifests larger than this are refused (they list one CID per stripe and shard). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024

/** Current manifest format version. */
export const MANIFEST_VERSION = 2

/**
 * Chunk size of the blocks' Merkle trees (manifest `auditChunkBytes`): an
 * audit moves one chunk. 16 KiB rather than 4 KiB: a put computes a root for
 * every block it makes, and a 341 KiB block's root took 255-307 µs with 16 KiB
 * chunks against 390-405 µs with 4 KiB ones (one sha256 of the whole block:
 * 210 µs), while an audit still moves a few dozen KiB at most.
 */
export const AUDIT_CHUNK_BYTES = 16 * 1024
export const MIN_AUDIT_CHUNK_BYTES = 64
export const MAX_AUDIT_CHUNK_BYTES = 1024 * 1024
