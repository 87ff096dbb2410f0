/** Limits, defaults and protocol ids of the network layer. */

const KiB = 1024
const MiB = 1024 * KiB

/** Protocol id of shoal's own Kademlia DHT, kept apart from the public IPFS DHT. */
export const KAD_PROTOCOL = '/shoal/kad/1.0.0'

/** Default listen address: loopback, any free port. */
export const DEFAULT_LISTEN_ADDRESSES: readonly string[] = ['/ip4/127.0.0.1/tcp/0']

/**
 * Largest length-prefixed message (control messages, headers). Shard bodies do
 * not travel as one message: they follow a small header as raw bytes read in
 * chunks (see readBody in stream-io.ts).
 */
export const MAX_MESSAGE_BYTES = 1 * MiB

/**
 * Longest unsigned varint length prefix accepted. 8 bytes carry 56 bits, more
 * than Number.MAX_SAFE_INTEGER; anything longer is garbage, not a length.
 */
export const MAX_VARINT_BYTES = 8

/** Plaintext of the largest noise transport message: 65535 bytes less the 16-byte ChaCha20-Poly1305 tag. */
export const NOISE_MAX_PLAINTEXT_BYTES = 65535 - 16

/** A yamux frame header. */
export const YAMUX_HEADER_BYTES = 12

/**
 * Pieces handed to `stream.send()`, one yamux frame each, sized so that the
 * frame with its header is exactly one noise message (65,507 + 12 = 65,519).
 * A 64 KiB piece made 65,548-byte frames, which noise cut into a full message
 * and a 29-byte one: two encryptions, two decryptions and four socket writes
 * per piece instead of one, one and two. 64 KiB pieces beat 1 MiB ones on
 * loopback (stack.md).
 */
export const WRITE_CHUNK_BYTES = NOISE_MAX_PLAINTEXT_BYTES - YAMUX_HEADER_BYTES

/**
 * The writer sends the next piece only when the stream's own write queue holds
 * no more than this (bytes not yet accepted by the muxer window). Bytes in the
 * window itself are bounded by YAMUX_MAX_STREAM_WINDOW_BYTES. 1 MiB rather than
 * 0: waiting for an empty queue before each 64 KiB piece left the link idle
 * between window updates (a 1 MiB block stored at 18 MiB/s in-process, 27 with
 * 1 MiB allowed). A writer about to abort passes `flush` to empty the queue first.
 */
export const WRITE_MAX_QUEUED_BYTES = 1024 * KiB

/** Reader pauses the stream (stops yamux window updates) when its buffer grows past this. */
export const READ_HIGH_WATER_BYTES = 1 * MiB

/** Reader resumes the stream when its buffer falls below this. */
export const READ_LOW_WATER_BYTES = 256 * KiB

/** Default chunk size yielded by readBody. */
export const READ_CHUNK_BYTES = 64 * KiB

/**
 * Largest yamux receive window per stream. The default (16 MiB) lets a sender
 * run 16 MiB ahead while the read buffer limit is 4 MiB: paused streams get
 * reset (stack.md trap 6).
 */
export const YAMUX_MAX_STREAM_WINDOW_BYTES = 4 * MiB

/** Bytes a paused stream may hold before libp2p resets it: twice the window, so a full window arriving while paused always fits. */
export const YAMUX_MAX_READ_BUFFER_BYTES = 8 * MiB

/** Default limit for one stream operation (a frame read or write) when the caller gives no signal. */
export const DEFAULT_STREAM_TIMEOUT_MS = 30_000

/** Default limit for dialing one bootstrap address at start. */
export const DEFAULT_BOOTSTRAP_DIAL_TIMEOUT_MS = 10_000

/** Default interval of the DHT self-query after start-up (libp2p's default is 5 minutes). */
export const DEFAULT_QUERY_SELF_INTERVAL_MS = 5 * 60_000

/** ping's default of one outbound stream per connection starves the DHT while it fills its table (stack.md). */
export const PING_MAX_STREAMS = 32

/** Bytes of a private network key (pnet v1). */
export const SWARM_KEY_BYTES = 32

/** File name of the node's identity key inside its data directory. */
export const IDENTITY_FILE_NAME = 'identity.key'
