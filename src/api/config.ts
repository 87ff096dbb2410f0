/**
 * The data directory's config file (`config.json`). Every field is optional in
 * the file (defaults below) and documented in docs/cli.md; unknown fields are
 * refused, so that a typo does not silently fall back to a default.
 */
import { isAbsolute, join } from 'node:path'
import { parseBytes } from './bytes.js'
import { CONFIG_FILE_NAME, DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_CAPACITY, DEFAULT_LISTEN, MIN_CHECK_INTERVAL_MS, MIN_LEASE_MS } from './constants.js'
import { ConfigError, NotInitializedError } from './errors.js'
import { writeFileAtomic } from '../net/atomic-file.js'
import { readTextIfExists } from './fs-util.js'
import { DEFAULT_CHECK_INTERVAL_MS, DEFAULT_LEASE_MS } from '../node/constants.js'

export interface ApiConfig {
  /** Interface of the control API. Default 127.0.0.1; anything but loopback needs allowRemote. */
  host: string
  /** TCP port of the control API; 0 picks a free one (clients find it in api.json). Default 5610. */
  port: number
  /** Let the API listen on a non-loopback interface. Default false. */
  allowRemote: boolean
}

export interface ShoalConfig {
  /** libp2p listen multiaddrs. Default ['/ip4/0.0.0.0/tcp/4610']. */
  listen: string[]
  /** Multiaddrs to announce instead of the listen addresses. Default [] (announce the listen addresses). */
  announce: string[]
  /** Multiaddrs (with /p2p/<PeerId>) of peers to join through. Default []. */
  bootstrap: string[]
  /** Storage offered to the network: bytes or a size such as "10GiB"; 0 stores nothing for others. Default "10GiB". */
  capacity: string | number
  /** Private network key file (relative paths are inside the data dir); null for the public network. Default null. */
  swarmKeyFile: string | null
  /** DHT self-query interval in ms; null for libp2p's default (5 minutes). Default null. */
  querySelfIntervalMs: number | null
  /**
   * How often the daemon checks every tracked file (audits its holders, renews
   * their leases, repairs lost shards), in ms; 0 turns the periodic check off.
   * null for the node's default (1 hour). Must be shorter than the lease.
   */
  checkIntervalMs: number | null
  /** How long holders keep this node's blocks unless a check renews them, in ms; null for the node's default (30 days). */
  leaseMs: number | null
  /** The periodic check repairs a file once this many of its shards are lost; null for the node's default (1). */
  repairAfterLost: number | null
  api: ApiConfig
}

/** Config values from the command line, over those of the file. */
export interface ConfigOverrides {
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  capacity?: string
  swarmKeyFile?: string
  apiPort?: number
}

export function defaultConfig (): ShoalConfig {
  return {
    listen: [...DEFAULT_LISTEN],
    announce: [],
    bootstrap: [],
    capacity: DEFAULT_CAPACITY,
    swarmKeyFile: null,
    querySelfIntervalMs: null,
    checkIntervalMs: null,
    leaseMs: null,
    repairAfterLost: null,
    api: { host: DEFAULT_API_HOST, port: DEFAULT_API_PORT, allowRemote: false }
  }
}

export function configPath (dir: string): string {
  return join(dir, CONFIG_FILE_NAME)
}

const TOP_FIELDS = new Set(['listen', 'announce', 'bootstrap', 'capacity', 'swarmKeyFile', 'querySelfIntervalMs', 'checkIntervalMs', 'leaseMs', 'repairAfterLost', 'api'])
const API_FIELDS = new Set(['host', 'port', 'allowRemote'])

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function stringList (value: unknown, field: string, path: string): string[] {
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string' && v.trim() !== '')) {
    throw new ConfigError(`${field} must be a list of multiaddr strings`, path, field)
  }
  return value
}

function port (value: unknown, field: string, path: string): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
    throw new ConfigError(`${field} must be a port number 0..65535`, path, field)
  }
  return value as number
}

/** Checks a parsed config object and fills in defaults. */
export function validateConfig (raw: unknown, path: string): ShoalConfig {
  if (!isRecord(raw)) throw new ConfigError('the config must be a JSON object', path)
  for (const key of Object.keys(raw)) {
    if (!TOP_FIELDS.has(key)) throw new ConfigError(`unknown config field "${key}"`, path, key)
  }
  const config = defaultConfig()
  if (raw.listen !== undefined) config.listen = stringList(raw.listen, 'listen', path)
  if (raw.announce !== undefined) config.announce = stringList(raw.announce, 'announce', path)
  if (raw.bootstrap !== undefined) config.bootstrap = stringList(raw.bootstrap, 'bootstrap', path)
  if (raw.capacity !== undefined) {
    if ((typeof raw.capacity !== 'string' && typeof raw.capacity !== 'number') || parseBytes(raw.capacity) === null) {
      throw new ConfigError('capacity must be a number of bytes or a size such as "10GiB"', path, 'capacity')
    }
    config.capacity = raw.capacity
  }
  if (raw.swarmKeyFile !== undefined) {
    if (raw.swarmKeyFile !== null && (typeof raw.swarmKeyFile !== 'string' || raw.swarmKeyFile === '')) {
      throw new ConfigError('swarmKeyFile must be a path or null', path, 'swarmKeyFile')
    }
    config.swarmKeyFile = raw.swarmKeyFile
  }
  if (raw.querySelfIntervalMs !== undefined) {
    const v = raw.querySelfIntervalMs
    if (v !== null && (!Number.isSafeInteger(v) || (v as number) < 100)) {
      throw new ConfigError('querySelfIntervalMs must be an integer >= 100 or null', path, 'querySelfIntervalMs')
    }
    config.querySelfIntervalMs = v as number | null
  }
  if (raw.checkIntervalMs !== undefined) {
    const v = raw.checkIntervalMs
    if (v !== null && (!Number.isSafeInteger(v) || ((v as number) !== 0 && (v as number) < MIN_CHECK_INTERVAL_MS))) {
      throw new ConfigError(`checkIntervalMs must be a number of milliseconds >= ${MIN_CHECK_INTERVAL_MS}, 0 (no periodic check) or null`, path, 'checkIntervalMs')
    }
    config.checkIntervalMs = v as number | null
  }
  if (raw.leaseMs !== undefined) {
    const v = raw.leaseMs
    if (v !== null && (!Number.isSafeInteger(v) || (v as number) < MIN_LEASE_MS)) {
      throw new ConfigError(`leaseMs must be a number of milliseconds >= ${MIN_LEASE_MS}, or null`, path, 'leaseMs')
    }
    config.leaseMs = v as number | null
  }
  if (raw.repairAfterLost !== undefined) {
    const v = raw.repairAfterLost
    if (v !== null && (!Number.isSafeInteger(v) || (v as number) < 1)) {
      throw new ConfigError('repairAfterLost must be an integer >= 1 (shards lost before a repair), or null', path, 'repairAfterLost')
    }
    config.repairAfterLost = v as number | null
  }
  const checkEvery = config.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS
  const lease = config.leaseMs ?? DEFAULT_LEASE_MS
  if (checkEvery > 0 && checkEvery >= lease) {
    throw new ConfigError(`checkIntervalMs (${checkEvery} ms${config.checkIntervalMs === null ? ', the default' : ''}) must be shorter than leaseMs (${lease} ms${config.leaseMs === null ? ', the default' : ''}): leases would run out between checks and holders would drop the blocks`, path, 'checkIntervalMs')
  }
  if (raw.api !== undefined) {
    if (!isRecord(raw.api)) throw new ConfigError('api must be an object', path, 'api')
    for (const key of Object.keys(raw.api)) {
      if (!API_FIELDS.has(key)) throw new ConfigError(`unknown config field "api.${key}"`, path, `api.${key}`)
    }
    const api = raw.api
    if (api.host !== undefined) {
      if (typeof api.host !== 'string' || api.host === '') throw new ConfigError('api.host must be an IP address', path, 'api.host')
      config.api.host = api.host
    }
    if (api.port !== undefined) config.api.port = port(api.port, 'api.port', path)
    if (api.allowRemote !== undefined) {
      if (typeof api.allowRemote !== 'boolean') throw new ConfigError('api.allowRemote must be true or false', path, 'api.allowRemote')
      config.api.allowRemote = api.allowRemote
    }
  }
  return config
}

/** Reads `<dir>/config.json`; NotInitializedError when it is missing. */
export async function loadConfig (dir: string): Promise<ShoalConfig> {
  const path = configPath(dir)
  const text = await readTextIfExists(path)
  if (text === undefined) throw new NotInitializedError(dir)
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message}`, path, undefined, { cause: err })
  }
  return validateConfig(raw, path)
}

/** Applies command-line values over a config (checking them as the file's are checked). */
export function applyOverrides (config: ShoalConfig, overrides: ConfigOverrides, path: string): ShoalConfig {
  const out: ShoalConfig = { ...config, api: { ...config.api } }
  if (overrides.listen !== undefined && overrides.listen.length > 0) out.listen = stringList(overrides.listen, 'listen', path)
  if (overrides.announce !== undefined && overrides.announce.length > 0) out.announce = stringList(overrides.announce, 'announce', path)
  if (overrides.bootstrap !== undefined && overrides.bootstrap.length > 0) out.bootstrap = stringList(overrides.bootstrap, 'bootstrap', path)
  if (overrides.capacity !== undefined) {
    if (parseBytes(overrides.capacity) === null) throw new ConfigError(`--capacity ${overrides.capacity} is not a size such as "10GiB"`, path, 'capacity')
    out.capacity = overrides.capacity
  }
  if (overrides.swarmKeyFile !== undefined) out.swarmKeyFile = overrides.swarmKeyFile
  if (overrides.apiPort !== undefined) out.api.port = port(overrides.apiPort, 'api.port', path)
  return out
}

/** The periodic check's settings, for createNode: absent fields keep the node's defaults. */
export function checkSettings (config: ShoalConfig): { checkIntervalMs?: number, leaseMs?: number, repairAfterLost?: number } {
  return {
    checkIntervalMs: config.checkIntervalMs ?? undefined,
    leaseMs: config.leaseMs ?? undefined,
    repairAfterLost: config.repairAfterLost ?? undefined
  }
}

/** Capacity in bytes (validated already). */
export function capacityBytes (config: ShoalConfig): number {
  return parseBytes(config.capacity) ?? 0
}

/** Absolute path of the swarm key file, or undefined. */
export function swarmKeyPath (config: ShoalConfig, dir: string): string | undefined {
  if (config.swarmKeyFile === null) return undefined
  return isAbsolute(config.swarmKeyFile) ? config.swarmKeyFile : join(dir, config.swarmKeyFile)
}

/** Writes a new config file; false when one exists already. */
export async function writeNewConfig (dir: string, config: ShoalConfig): Promise<boolean> {
  return await writeFileAtomic(configPath(dir), JSON.stringify(config, null, 2) + '\n', { mode: 0o600, exclusive: true })
}
