/**
 * Typed errors of the codec. Each has a stable `name` to test and branch on,
 * accepts `{ cause }`, and carries its context as fields.
 */

export interface CodecErrorOptions {
  cause?: unknown
}

/** Base class: every codec error is an instance of it. */
export class CodecError extends Error {
  static readonly code: string = 'ERR_CODEC'
  readonly code: string = 'ERR_CODEC'
  constructor (message: string, options: CodecErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'CodecError'
  }
}

/** dataShards / parityShards out of range (1 <= k, 0 <= m, k + m <= 256) or not integers. */
export class InvalidShardCountsError extends CodecError {
  static override readonly code = 'ERR_INVALID_SHARD_COUNTS'
  override readonly code = 'ERR_INVALID_SHARD_COUNTS'
  readonly dataShards: number
  readonly parityShards: number
  constructor (message: string, dataShards: number, parityShards: number, options: CodecErrorOptions = {}) {
    super(message, options)
    this.name = 'InvalidShardCountsError'
    this.dataShards = dataShards
    this.parityShards = parityShards
  }
}

/** The shards array does not have totalShards entries. */
export class WrongShardCountError extends CodecError {
  static override readonly code = 'ERR_WRONG_SHARD_COUNT'
  override readonly code = 'ERR_WRONG_SHARD_COUNT'
  readonly expected: number
  readonly found: number
  constructor (expected: number, found: number, options: CodecErrorOptions = {}) {
    super(`expected ${expected} shards, got ${found}`, options)
    this.name = 'WrongShardCountError'
    this.expected = expected
    this.found = found
  }
}

/** A shard is not a Uint8Array, is empty, or differs in length from the others. */
export class ShardSizeError extends CodecError {
  static override readonly code = 'ERR_SHARD_SIZE'
  override readonly code = 'ERR_SHARD_SIZE'
  readonly shardIndex: number
  readonly expected: number
  readonly found: number
  constructor (message: string, shardIndex: number, expected: number, found: number, options: CodecErrorOptions = {}) {
    super(message, options)
    this.name = 'ShardSizeError'
    this.shardIndex = shardIndex
    this.expected = expected
    this.found = found
  }
}

/** Fewer than dataShards shards are present, so nothing can be rebuilt. */
export class TooFewShardsError extends CodecError {
  static override readonly code = 'ERR_TOO_FEW_SHARDS'
  override readonly code = 'ERR_TOO_FEW_SHARDS'
  readonly needed: number
  readonly found: number
  constructor (needed: number, found: number, options: CodecErrorOptions = {}) {
    super(`too few shards to reconstruct: need ${needed}, have ${found}`, options)
    this.name = 'TooFewShardsError'
    this.needed = needed
    this.found = found
  }
}

/** An argument other than the shards is invalid (a size, a stripe length, a stream record). */
export class InvalidArgumentError extends CodecError {
  static override readonly code = 'ERR_INVALID_ARGUMENT'
  override readonly code = 'ERR_INVALID_ARGUMENT'
  constructor (message: string, options: CodecErrorOptions = {}) {
    super(message, options)
    this.name = 'InvalidArgumentError'
  }
}

/** No WebAssembly module could be loaded (missing build output, or the engine rejects it). */
export class KernelUnavailableError extends CodecError {
  static override readonly code = 'ERR_KERNEL_UNAVAILABLE'
  override readonly code = 'ERR_KERNEL_UNAVAILABLE'
  readonly kernel: string
  constructor (message: string, kernel: string, options: CodecErrorOptions = {}) {
    super(message, options)
    this.name = 'KernelUnavailableError'
    this.kernel = kernel
  }
}

/** The worker pool was closed, or one of its workers died. */
export class PoolClosedError extends CodecError {
  static override readonly code = 'ERR_POOL_CLOSED'
  override readonly code = 'ERR_POOL_CLOSED'
  constructor (message = 'the codec pool is closed', options: CodecErrorOptions = {}) {
    super(message, options)
    this.name = 'PoolClosedError'
  }
}

/** A matrix over GF(2^8) has no inverse (never happens for the codec's own sub-matrices). */
export class SingularMatrixError extends CodecError {
  static override readonly code = 'ERR_SINGULAR_MATRIX'
  override readonly code = 'ERR_SINGULAR_MATRIX'
  constructor (message = 'matrix is singular', options: CodecErrorOptions = {}) {
    super(message, options)
    this.name = 'SingularMatrixError'
  }
}
