/** Errors of the command line itself. */

/** A usage mistake the parser could not catch (conflicting options...): exit code 2. */
export class UsageError extends Error {
  static readonly code = 'ERR_USAGE'
  readonly code = 'ERR_USAGE'
  constructor (message: string, options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'UsageError'
  }
}

/** A failure already explained to the user; carries the exit code. */
export class CommandFailedError extends Error {
  static readonly code = 'ERR_COMMAND_FAILED'
  readonly code = 'ERR_COMMAND_FAILED'
  readonly exitCode: number
  constructor (message: string, exitCode = 1) {
    super(message)
    this.name = 'CommandFailedError'
    this.exitCode = exitCode
  }
}
