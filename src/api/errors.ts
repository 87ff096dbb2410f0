/**
 * Typed errors of the control API, the daemon and its data directory. Each
 * sets a stable `name`, accepts `{ cause }` and carries its context as fields;
 * the CLI turns them into advice.
 */

export interface ApiErrorOptions {
  cause?: unknown
}

/** Base class: every API error is an instance of it. */
export class ApiError extends Error {
  static readonly code: string = 'ERR_API'
  readonly code: string = 'ERR_API'
  constructor (message: string, options: ApiErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'ApiError'
  }
}

/** A request without the right bearer token. */
export class UnauthorizedError extends ApiError {
  static override readonly code = 'ERR_UNAUTHORIZED'
  override readonly code = 'ERR_UNAUTHORIZED'
  /** Where the daemon's token lives. */
  readonly tokenPath: string
  constructor (message: string, tokenPath: string, options: ApiErrorOptions = {}) {
    super(message, options)
    this.name = 'UnauthorizedError'
    this.tokenPath = tokenPath
  }
}

/** No daemon answers for this data directory (no api.json, or nobody listening there). */
export class NoDaemonError extends ApiError {
  static override readonly code = 'ERR_NO_DAEMON'
  override readonly code = 'ERR_NO_DAEMON'
  readonly dir: string
  /** The address tried, if api.json named one. */
  readonly url?: string
  constructor (dir: string, url?: string, options: ApiErrorOptions = {}) {
    super(url === undefined ? `no daemon is running for ${dir}` : `no daemon answers at ${url} (for ${dir})`, options)
    this.name = 'NoDaemonError'
    this.dir = dir
    this.url = url
  }
}

/** Another daemon holds this data directory's lock. */
export class DaemonRunningError extends ApiError {
  static override readonly code = 'ERR_DAEMON_RUNNING'
  override readonly code = 'ERR_DAEMON_RUNNING'
  readonly dir: string
  readonly pid: number
  readonly lockPath: string
  constructor (dir: string, pid: number, lockPath: string, options: ApiErrorOptions = {}) {
    super(`another daemon (pid ${pid}) is already running on ${dir}`, options)
    this.name = 'DaemonRunningError'
    this.dir = dir
    this.pid = pid
    this.lockPath = lockPath
  }
}

/** The data directory has not been initialised (no config file). */
export class NotInitializedError extends ApiError {
  static override readonly code = 'ERR_NOT_INITIALIZED'
  override readonly code = 'ERR_NOT_INITIALIZED'
  readonly dir: string
  constructor (dir: string, options: ApiErrorOptions = {}) {
    super(`${dir} is not a shoal data directory (no config.json)`, options)
    this.name = 'NotInitializedError'
    this.dir = dir
  }
}

/** `init` on a directory that already has a config file. */
export class AlreadyInitializedError extends ApiError {
  static override readonly code = 'ERR_ALREADY_INITIALIZED'
  override readonly code = 'ERR_ALREADY_INITIALIZED'
  readonly dir: string
  constructor (dir: string, options: ApiErrorOptions = {}) {
    super(`${dir} is already initialised`, options)
    this.name = 'AlreadyInitializedError'
    this.dir = dir
  }
}

/** A config file (or a config override) that is not valid. */
export class ConfigError extends ApiError {
  static override readonly code = 'ERR_CONFIG'
  override readonly code = 'ERR_CONFIG'
  readonly path: string
  /** The offending field, dotted (`api.port`), when there is one. */
  readonly field?: string
  constructor (message: string, path: string, field?: string, options: ApiErrorOptions = {}) {
    super(message, options)
    this.name = 'ConfigError'
    this.path = path
    this.field = field
  }
}

/** The API was asked to listen beyond loopback without `api.allowRemote`. */
export class RemoteBindRefusedError extends ApiError {
  static override readonly code = 'ERR_REMOTE_BIND_REFUSED'
  override readonly code = 'ERR_REMOTE_BIND_REFUSED'
  readonly host: string
  constructor (host: string, options: ApiErrorOptions = {}) {
    super(`refusing to serve the control API on ${host}: it is for this machine only (set api.allowRemote to true in config.json to override)`, options)
    this.name = 'RemoteBindRefusedError'
    this.host = host
  }
}

/** A handle that is not in this node's local index (`rm`). */
export class FileNotIndexedError extends ApiError {
  static override readonly code = 'ERR_FILE_NOT_INDEXED'
  override readonly code = 'ERR_FILE_NOT_INDEXED'
  readonly manifest: string
  constructor (manifest: string, options: ApiErrorOptions = {}) {
    super(`no file with manifest ${manifest} in this node's index`, options)
    this.name = 'FileNotIndexedError'
    this.manifest = manifest
  }
}

/** A handle that is not among the files the node checks periodically (`untrack`). */
export class FileNotTrackedError extends ApiError {
  static override readonly code = 'ERR_FILE_NOT_TRACKED'
  override readonly code = 'ERR_FILE_NOT_TRACKED'
  readonly manifest: string
  constructor (manifest: string, options: ApiErrorOptions = {}) {
    super(`the file with manifest ${manifest} is not tracked by this node`, options)
    this.name = 'FileNotTrackedError'
    this.manifest = manifest
  }
}

/** The daemon is shutting down and takes no new work. */
export class ShuttingDownError extends ApiError {
  static override readonly code = 'ERR_SHUTTING_DOWN'
  override readonly code = 'ERR_SHUTTING_DOWN'
  constructor (options: ApiErrorOptions = {}) {
    super('the daemon is shutting down', options)
    this.name = 'ShuttingDownError'
  }
}

/**
 * An error answered by the API, as the client sees it: `name` is the server's
 * error name (NotEnoughPeersError, ManifestNotFoundError...), `fields` its
 * context (needed, found, tokenPath...).
 */
export class ApiResponseError extends ApiError {
  static override readonly code = 'ERR_API_RESPONSE'
  override readonly code = 'ERR_API_RESPONSE'
  readonly status: number
  readonly fields: Record<string, unknown>
  constructor (status: number, name: string, message: string, fields: Record<string, unknown> = {}, options: ApiErrorOptions = {}) {
    super(message, options)
    this.name = name
    this.status = status
    this.fields = fields
  }
}

/** A download that stopped before all its bytes arrived. */
export class TransferInterruptedError extends ApiError {
  static override readonly code = 'ERR_TRANSFER_INTERRUPTED'
  override readonly code = 'ERR_TRANSFER_INTERRUPTED'
  readonly received: number
  readonly expected?: number
  constructor (received: number, expected?: number, options: ApiErrorOptions = {}) {
    super(expected === undefined
      ? `the transfer broke off after ${received} bytes`
      : `the transfer broke off after ${received} of ${expected} bytes`, options)
    this.name = 'TransferInterruptedError'
    this.received = received
    this.expected = expected
  }
}

/** The connection to the daemon broke in the middle of a request. */
export class ConnectionLostError extends ApiError {
  static override readonly code = 'ERR_CONNECTION_LOST'
  override readonly code = 'ERR_CONNECTION_LOST'
  readonly url: string
  constructor (url: string, options: ApiErrorOptions = {}) {
    super(`the connection to the daemon at ${url} broke: ${(options.cause as Error)?.message ?? 'unknown reason'}`, options)
    this.name = 'ConnectionLostError'
    this.url = url
  }
}
