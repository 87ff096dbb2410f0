/**
 * Typed errors of the node (put, get, stat). Each has a stable `name`, accepts
 * `{ cause }`, and carries its context as fields.
 */

export interface NodeErrorOptions {
  cause?: unknown
}

export class NodeError extends Error {
  static readonly code: string = 'ERR_NODE'
  readonly code: string = 'ERR_NODE'
  constructor (message: string, options: NodeErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'NodeError'
  }
}

/** Fewer distinct peers with room than shards to place. */
export class NotEnoughPeersError extends NodeError {
  static override readonly code = 'ERR_NOT_ENOUGH_PEERS'
  override readonly code = 'ERR_NOT_ENOUGH_PEERS'
  readonly needed: number
  readonly found: number
  constructor (needed: number, found: number, options: NodeErrorOptions = {}) {
    super(`need ${needed} distinct peers with room for a shard, found ${found}`, options)
    this.name = 'NotEnoughPeersError'
    this.needed = needed
    this.found = found
  }
}

/** A stripe of the file cannot be rebuilt: too few good shards could be fetched. */
export class FileUnavailableError extends NodeError {
  static override readonly code = 'ERR_FILE_UNAVAILABLE'
  override readonly code = 'ERR_FILE_UNAVAILABLE'
  readonly stripe: number
  readonly needed: number
  readonly found: number
  constructor (stripe: number, needed: number, found: number, options: NodeErrorOptions = {}) {
    super(`stripe ${stripe} cannot be rebuilt: need ${needed} good shards, got ${found}`, options)
    this.name = 'FileUnavailableError'
    this.stripe = stripe
    this.needed = needed
    this.found = found
  }
}

/** The manifest named by a handle could not be found on any peer. */
export class ManifestNotFoundError extends NodeError {
  static override readonly code = 'ERR_MANIFEST_NOT_FOUND'
  override readonly code = 'ERR_MANIFEST_NOT_FOUND'
  readonly manifest: string
  constructor (manifest: string, options: NodeErrorOptions = {}) {
    super(`no peer could provide manifest ${manifest}`, options)
    this.name = 'ManifestNotFoundError'
    this.manifest = manifest
  }
}

/** Ciphertext that does not authenticate under the handle's key. */
export class AuthenticationError extends NodeError {
  static override readonly code = 'ERR_AUTHENTICATION'
  override readonly code = 'ERR_AUTHENTICATION'
  constructor (message: string, options: NodeErrorOptions = {}) {
    super(message, options)
    this.name = 'AuthenticationError'
  }
}

/** The handle lacks the key an encrypted file needs. */
export class MissingKeyError extends NodeError {
  static override readonly code = 'ERR_MISSING_KEY'
  override readonly code = 'ERR_MISSING_KEY'
  constructor (options: NodeErrorOptions = {}) {
    super('this file is encrypted and the handle carries no key', options)
    this.name = 'MissingKeyError'
  }
}

/** A method that needs a running node was called before start() or after stop(). */
export class NodeNotStartedError extends NodeError {
  static override readonly code = 'ERR_NODE_NOT_STARTED'
  override readonly code = 'ERR_NODE_NOT_STARTED'
  constructor (options: NodeErrorOptions = {}) {
    super('the node is not running: call start() first', options)
    this.name = 'NodeNotStartedError'
  }
}

/** Invalid options to a node method (redundancy, preset, stripe size...). */
export class InvalidOptionError extends NodeError {
  static override readonly code = 'ERR_INVALID_OPTION'
  override readonly code = 'ERR_INVALID_OPTION'
  constructor (message: string, options: NodeErrorOptions = {}) {
    super(message, options)
    this.name = 'InvalidOptionError'
  }
}

/** Fewer than k shards of a file are left anywhere: it cannot be read or repaired. */
export class UnrecoverableFileError extends NodeError {
  static override readonly code = 'ERR_UNRECOVERABLE_FILE'
  override readonly code = 'ERR_UNRECOVERABLE_FILE'
  readonly needed: number
  readonly found: number
  constructor (needed: number, found: number, options: NodeErrorOptions = {}) {
    super(`only ${found} healthy shards are left and ${needed} are needed: the file cannot be rebuilt`, options)
    this.name = 'UnrecoverableFileError'
    this.needed = needed
    this.found = found
  }
}
