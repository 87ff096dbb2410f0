/** Defaults and limits of the node. */

/** Redundancy presets: [dataShards, parityShards]. */
export const PRESETS = {
  minimal: [2, 1],
  personal: [3, 2],
  federation: [5, 4],
  paranoid: [7, 8]
} as const satisfies Record<string, readonly [number, number]>
export type PresetName = keyof typeof PRESETS
export const DEFAULT_PRESET: PresetName = 'personal'

/** Target data bytes per stripe (rounded up to a multiple of k). */
export const DEFAULT_STRIPE_BYTES = 1024 * 1024
/** Plaintext bytes per sealed AES-GCM segment. */
export const SEGMENT_BYTES = 1024 * 1024
/** Storage offered to other peers when the caller does not say. */
export const DEFAULT_CAPACITY_BYTES = 10 * 1024 ** 3

/** Stripes being sent at once during a put (memory: this × stripe × n/k). */
export const PUT_WINDOW_STRIPES = 4
/** Stripes being fetched at once during a get. */
export const GET_WINDOW_STRIPES = 3
/** One block fetch that takes longer than this moves to another holder. */
export const FETCH_TIMEOUT_MS = 10_000
/** Tries of one holder call whose stream fails under it (see RemoteHolder). */
export const STREAM_ATTEMPTS = 3
/** One block store that takes longer than this fails the put. */
export const STORE_TIMEOUT_MS = 30_000
/** Looking up storage peers in the DHT, when too few are known already. */
export const DISCOVERY_TIMEOUT_MS = 2_000
/** Storage peers found in the DHT are remembered this long before a new lookup (short: an early answer is often incomplete). */
export const PROVIDER_CACHE_MS = 5_000
/** Once enough storage peers have answered, later answers are waited for this long. */
export const CAPACITY_GRACE_MS = 300
/** Waiting for one peer's capacity answer. */
export const CAPACITY_TIMEOUT_MS = 5_000
/** Connected storage peers asked directly for a manifest, alongside the DHT lookup. */
export const MANIFEST_ASK_PEERS = 32
/** Finding a manifest's providers in the DHT. */
export const MANIFEST_LOOKUP_TIMEOUT_MS = 15_000
/** Storage peers re-announce themselves this often. */
export const ANNOUNCE_INTERVAL_MS = 10 * 60_000
/**
 * Extra announcements soon after start (ms after start): the first one goes out
 * while the routing table is nearly empty and lands on few peers.
 */
export const EARLY_ANNOUNCE_DELAYS_MS: readonly number[] = [1000, 3000, 10_000, 30_000]

/** The well-known key every storage peer provides in the DHT: sha256 of this text, as a raw CID. */
export const STORAGE_PROVIDER_KEY = 'shoal/storage-provider/v1'

/** Holders are asked to keep a block this long unless its lease is renewed. */
export const DEFAULT_LEASE_MS = 30 * 24 * 3600_000
/** The periodic check (audits, lease renewal, repair) of every tracked file runs this often. */
export const DEFAULT_CHECK_INTERVAL_MS = 60 * 60_000
/** Blocks whose lease ran out are collected this often. */
export const DEFAULT_GC_INTERVAL_MS = 10 * 60_000
/** The periodic check repairs a file once this many of its shards have no healthy holder. */
export const DEFAULT_REPAIR_AFTER_LOST = 1
/** A peer that failed an audit challenge is not chosen for new shards for this long. */
export const AUDIT_DISTRUST_MS = 24 * 3600_000
/** One renew or challenge of one holder. */
export const AUDIT_TIMEOUT_MS = 10_000
