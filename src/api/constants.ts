/** Defaults, limits and file names of the daemon's local control API. */

const KiB = 1024

/** Data directory when neither --dir nor SHOAL_DIR is given: `~/.shoal`. */
export const DEFAULT_DIR_NAME = '.shoal'
/** Environment variable that overrides the default data directory. */
export const DIR_ENV_VAR = 'SHOAL_DIR'

/** Files inside a data directory. */
export const CONFIG_FILE_NAME = 'config.json'
export const TOKEN_FILE_NAME = 'api.token'
/** Written by a running daemon: where its API listens (clients read it). */
export const API_FILE_NAME = 'api.json'
export const LOCK_FILE_NAME = 'daemon.lock'
/** Files this node put: the local index behind `ls` and `rm`. */
export const INDEX_FILE_NAME = 'files.json'

/** The API's interface unless `api.allowRemote` is set. */
export const DEFAULT_API_HOST = '127.0.0.1'
/** The API's TCP port (0 picks a free one). */
export const DEFAULT_API_PORT = 5610
/** The peer's libp2p listen address of a new data directory. */
export const DEFAULT_LISTEN: readonly string[] = ['/ip4/0.0.0.0/tcp/4610']
/** Storage offered to the network by a new data directory. */
export const DEFAULT_CAPACITY = '10GiB'

/** Largest JSON request body the API reads. */
export const MAX_JSON_BODY_BYTES = 64 * KiB
/** Longest URL path parameter (a handle is ~110 characters). */
export const MAX_PARAM_CHARS = 512
/** Bytes of random API token (hex encoded in the token file). */
export const TOKEN_BYTES = 32

/** On shutdown, requests in flight get this long to finish before they are aborted (and puts rolled back). */
export const SHUTDOWN_GRACE_MS = 10_000
/** Longest name stored in the local index for a put. */
export const MAX_NAME_CHARS = 1024

/** Shortest `leaseMs` a config may set. */
export const MIN_LEASE_MS = 1000
/** Shortest `checkIntervalMs` a config may set (0, no periodic check, is allowed too). */
export const MIN_CHECK_INTERVAL_MS = 1000
