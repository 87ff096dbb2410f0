/**
 * Typed errors of the formats (CIDs for now). Each has a stable `name` to test
 * and branch on, accepts `{ cause }`, and carries its context as fields.
 */

export interface FormatErrorOptions {
  cause?: unknown
}

/** Base class: every format error is an instance of it. */
export class FormatError extends Error {
  static readonly code: string = 'ERR_FORMAT'
  readonly code: string = 'ERR_FORMAT'
  constructor (message: string, options: FormatErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'FormatError'
  }
}

/** A string (or bytes) that is not a CID at all. */
export class InvalidCidError extends FormatError {
  static override readonly code = 'ERR_INVALID_CID'
  override readonly code = 'ERR_INVALID_CID'
  /** The rejected input, cut to 100 characters. */
  readonly input: string
  constructor (input: string, options: FormatErrorOptions = {}) {
    const shown = input.length > 100 ? `${input.slice(0, 100)}…` : input
    super(`not a CID: ${JSON.stringify(shown)}`, options)
    this.name = 'InvalidCidError'
    this.input = shown
  }
}

/**
 * A well-formed CID that cannot name a shard: shards are CIDv1, codec raw (0x55),
 * multihash sha2-256 (0x12) with a 32-byte digest.
 */
export class UnsupportedCidError extends FormatError {
  static override readonly code = 'ERR_UNSUPPORTED_CID'
  override readonly code = 'ERR_UNSUPPORTED_CID'
  readonly cid: string
  readonly version: number
  /** Multicodec of the CID (0x55 is raw). */
  readonly codec: number
  /** Multihash code of the CID (0x12 is sha2-256). */
  readonly hashCode: number
  constructor (cid: string, version: number, codec: number, hashCode: number, options: FormatErrorOptions = {}) {
    super(`not a shard CID (need v1, raw, sha2-256): ${cid} is v${version}, codec 0x${codec.toString(16)}, hash 0x${hashCode.toString(16)}`, options)
    this.name = 'UnsupportedCidError'
    this.cid = cid
    this.version = version
    this.codec = codec
    this.hashCode = hashCode
  }
}

/** A file handle that does not parse (`shoal:<manifest CID>[#<key>]`). */
export class InvalidHandleError extends FormatError {
  static override readonly code = 'ERR_INVALID_HANDLE'
  override readonly code = 'ERR_INVALID_HANDLE'
  constructor (message: string, options: FormatErrorOptions = {}) {
    super(message, options)
    this.name = 'InvalidHandleError'
  }
}

/** Manifest bytes that are not a valid manifest (bad JSON, missing or inconsistent fields). */
export class InvalidManifestError extends FormatError {
  static override readonly code = 'ERR_INVALID_MANIFEST'
  override readonly code = 'ERR_INVALID_MANIFEST'
  constructor (message: string, options: FormatErrorOptions = {}) {
    super(message, options)
    this.name = 'InvalidManifestError'
  }
}
