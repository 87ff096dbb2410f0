/**
 * Errors into messages that say what to do next. Errors from the daemon
 * arrive as ApiResponseError carrying the server's error name and fields;
 * local ones carry their fields themselves: both are read the same way.
 */
import { join } from 'node:path'

export interface Described {
  name: string
  message: string
  advice?: string
  exitCode: number
  fields: Record<string, unknown>
}

/** Exit code 2: the command line was wrong. */
const USAGE_ERRORS = new Set(['UsageError', 'InvalidHandleError', 'InvalidOptionError', 'ValidationError'])

function fieldsOf (err: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = typeof err.fields === 'object' && err.fields !== null ? { ...(err.fields as Record<string, unknown>) } : {}
  for (const key of ['needed', 'found', 'tokenPath', 'dir', 'url', 'pid', 'lockPath', 'path', 'field', 'manifest', 'stripe', 'received', 'expected', 'healthyShards', 'totalShards', 'readable', 'host', 'status']) {
    if (err[key] !== undefined && fields[key] === undefined) fields[key] = err[key]
  }
  return fields
}

/** `dirFlag` is " --dir DIR" when the user chose the directory on the command line, else empty. */
export function describeError (error: unknown, dir: string, dirFlag = ''): Described {
  const err = (error instanceof Error ? error : new Error(String(error))) as Error & Record<string, unknown>
  const f = fieldsOf(err)
  const name = err.name
  const exitCode = USAGE_ERRORS.has(name) ? 2 : 1
  const d = (advice: string | undefined, message = err.message): Described => ({ name, message, advice, exitCode, fields: f })
  switch (name) {
    case 'NoDaemonError':
      return d(`start one with \`shoal daemon${dirFlag}\``)
    case 'UnauthorizedError':
      return d(`clients read the token from the data directory (${String(f.tokenPath ?? join(dir, 'api.token'))}): check that --dir or SHOAL_DIR names the daemon's directory, and restart the daemon if its token file was replaced`)
    case 'NotEnoughPeersError':
      return d('connect more peers (\`shoal daemon --bootstrap <multiaddr>\`), ask for fewer shards (--preset minimal, or --data-shards/--parity-shards), or allow several shards per peer with --allow-colocation',
        `not enough storage peers: needed ${String(f.needed)}, found ${String(f.found)}`)
    case 'ManifestNotFoundError':
      return d('no reachable peer has this file\'s manifest: check the handle, and that the peers holding the file are online (`shoal peers`)')
    case 'FileNotIndexedError':
      return d('`shoal ls` lists the files this node put')
    case 'FileNotTrackedError':
      return d('`shoal tracked` lists the files this daemon checks')
    case 'InvalidHandleError':
      return d('a handle looks like shoal:bafkrei…#key, exactly as `shoal put` printed it', `malformed handle: ${err.message}`)
    case 'MissingKeyError':
      return d('use the whole handle `shoal put` printed, including the part after "#"')
    case 'AuthenticationError':
      return d('the file\'s bytes did not authenticate: the key in the handle is wrong, or a holder served tampered data')
    case 'FileUnavailableError':
      return d(`too few good shards could be fetched (needed ${String(f.needed)}, got ${String(f.found)}): bring the holders back online; \`shoal stat <handle>\` shows which ones are missing`)
    case 'TransferInterruptedError':
      return d('the daemon stopped sending: look at its output (run it with DEBUG=shoal:* for details)')
    case 'ConnectionLostError':
      return d('check that the daemon still runs (`shoal status`) and look at its output')
    case 'DaemonRunningError':
      return d(`stop that daemon first, or use another data directory with --dir. If no daemon is running, remove the stale lock ${String(f.lockPath)}`)
    case 'NotInitializedError':
      return d(`create it with \`shoal init${dirFlag}\` (\`shoal daemon\` also creates a missing one)`)
    case 'AlreadyInitializedError':
      return d(`it is ready to use: start it with \`shoal daemon${dirFlag}\`, or pick another directory with --dir`)
    case 'ConfigError':
      return d(`fix ${f.field === undefined ? 'it' : `"${String(f.field)}"`} in ${String(f.path)} (every field is described in docs/cli.md)`)
    case 'UnrecoverableFileError':
      return d(`only ${String(f.found)} of the ${String(f.needed)} shards needed are left: the file is lost unless peers holding its shards come back (\`shoal stat <handle>\` lists them)`)
    case 'ShuttingDownError':
      return d('the daemon is stopping: start it again with `shoal daemon`')
    case 'InvalidSwarmKeyError':
      return d('a swarm key file has three lines: /key/swarm/psk/1.0.0/, /base16/, then 64 hex digits')
    case 'InvalidOptionError':
    case 'UsageError':
    case 'ValidationError':
      return d('see `shoal help <command>`')
    case 'RemoteBindRefusedError':
      return d(undefined)
    default:
      break
  }
  const code = err.code
  if (code === 'ENOENT' && typeof err.path === 'string') return { name: 'FileNotFoundError', message: `no such file: ${err.path}`, exitCode: 1, fields: { path: err.path } }
  if (code === 'EISDIR' && typeof err.path === 'string') return { name: 'IsADirectoryError', message: `${err.path} is a directory`, advice: 'shoal stores single files: archive a directory first (tar -c DIR | shoal put -)', exitCode: 1, fields: { path: err.path } }
  if (code === 'EACCES' && typeof err.path === 'string') return { name: 'PermissionDeniedError', message: `permission denied: ${err.path}`, exitCode: 1, fields: { path: err.path } }
  return d(undefined)
}
