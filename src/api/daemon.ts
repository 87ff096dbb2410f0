/**
 * The daemon: one node for a data directory, and its control API on loopback.
 * Start order: lock (a second daemon is refused before it touches anything),
 * config, token, node, index, API, then `<dir>/api.json` telling clients where
 * the API listens. Stop order: refuse new requests, let those in flight finish
 * (SHUTDOWN_GRACE_MS), abort the rest (their puts roll back), stop the node,
 * remove api.json, release the lock. While it runs, the node checks every
 * tracked file every `checkIntervalMs` of the config (audits, lease renewal,
 * repair) on its own.
 */
import { unlink } from 'node:fs/promises'
import { isIP } from 'node:net'
import { logger as createLogger } from '@libp2p/logger'
import { loadSwarmKey } from '../net/swarm-key.js'
import { createNode } from '../node/index.js'
import { applyOverrides, capacityBytes, checkSettings, configPath, loadConfig, swarmKeyPath } from './config.js'
import { SHUTDOWN_GRACE_MS } from './constants.js'
import { apiInfoPath, readApiInfo } from './daemon-info.js'
import { initDataDir } from './data-dir.js'
import { NotInitializedError, RemoteBindRefusedError, ShuttingDownError } from './errors.js'
import { FileIndex } from './file-index.js'
import { writeFileAtomic } from '../net/atomic-file.js'
import { acquireLock } from './lock.js'
import { createApiServer } from './server.js'
import { ensureToken, tokenIsExposed, tokenPath } from './token.js'
import type { ConfigOverrides, ShoalConfig } from './config.js'
import type { ApiInfo } from './daemon-info.js'
import type { CheckOutcome, ShoalNode } from '../node/index.js'

export interface DaemonInit {
  dir: string
  /** Command-line values over the config file. */
  overrides?: ConfigOverrides
  /** Initialise the directory when it has no config (instead of NotInitializedError). Default false. */
  init?: boolean
  /** Reported by the API's status. */
  version: string
  /** How long requests in flight may run on after stop() is called. Default SHUTDOWN_GRACE_MS. */
  shutdownGraceMs?: number
  /**
   * Called after each periodic check of a tracked file (every
   * `checkIntervalMs` of the config): the node's CheckReport, or why the file
   * could not be checked. A throwing listener is ignored. Default: none.
   */
  onCheck?: (outcome: CheckOutcome) => void
}

export interface Daemon {
  readonly dir: string
  readonly node: ShoalNode
  readonly config: ShoalConfig
  readonly api: ApiInfo
  /** True when this start created the data directory. */
  readonly initialized: boolean
  /** Warnings worth showing the user (e.g. a token file others can read). */
  readonly warnings: string[]
  stop: () => Promise<void>
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost (host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}

function urlOf (host: string, port: number): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`
}

export async function startDaemon (init: DaemonInit): Promise<Daemon> {
  const log = createLogger('shoal:daemon')
  const { dir } = init
  let initialized = false
  const cleanups: Array<() => Promise<void>> = []
  const cleanup = async (): Promise<void> => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(err => { log.error('shutdown step failed: %s', err.message) })
  }

  let config: ShoalConfig
  try {
    config = await loadConfig(dir)
  } catch (err) {
    if (!(err instanceof NotInitializedError) || init.init !== true) throw err
    await initDataDir(dir).catch(async e => { if (e?.name !== 'AlreadyInitializedError') throw e })
    initialized = true
    config = await loadConfig(dir)
  }
  config = applyOverrides(config, init.overrides ?? {}, configPath(dir))
  if (!isLoopbackHost(config.api.host) && !config.api.allowRemote) throw new RemoteBindRefusedError(config.api.host)

  const lock = await acquireLock(dir)
  cleanups.push(async () => { await lock.release() })
  try {
    const warnings: string[] = []
    const token = await ensureToken(dir)
    if (await tokenIsExposed(dir)) warnings.push(`the API token ${tokenPath(dir)} is readable by other users: chmod 600 it`)
    const keyPath = swarmKeyPath(config, dir)
    const swarmKey = keyPath === undefined ? undefined : await loadSwarmKey(keyPath)

    const node = createNode({
      dir,
      capacityBytes: capacityBytes(config),
      listen: config.listen,
      announce: config.announce.length > 0 ? config.announce : undefined,
      bootstrap: config.bootstrap,
      swarmKey,
      querySelfIntervalMs: config.querySelfIntervalMs ?? undefined,
      ...checkSettings(config),
      onCheck: init.onCheck
    })
    await node.start()
    cleanups.push(async () => { await node.stop() })

    const index = new FileIndex(dir)
    await index.load()

    let url: string | undefined
    const server = createApiServer({ node, index, token, tokenPath: tokenPath(dir), dir, version: init.version, apiUrl: () => url })
    await server.app.listen({ host: config.api.host, port: config.api.port })
    const address = server.app.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : config.api.port
    url = urlOf(config.api.host, port)
    const grace = init.shutdownGraceMs ?? SHUTDOWN_GRACE_MS
    cleanups.push(async () => {
      server.refuseNew()
      const closing = server.app.close()
      await server.operations.idle(grace)
      server.operations.abortAll(new ShuttingDownError())
      // A client that keeps its connection open after its answer (a stalled
      // upload) must not hold up the exit.
      const timer = setTimeout(() => { server.app.server.closeAllConnections() }, 1000)
      await closing
      clearTimeout(timer)
    })

    const api: ApiInfo = { url, host: config.api.host, port, pid: process.pid, peerId: node.peerId, version: init.version, startedAt: new Date().toISOString() }
    await writeFileAtomic(apiInfoPath(dir), JSON.stringify(api, null, 2) + '\n', { mode: 0o600 })
    cleanups.push(async () => {
      const current = await readApiInfo(dir)
      if (current?.pid === process.pid && current.url === url) await unlink(apiInfoPath(dir)).catch(() => {})
    })
    log('daemon for %s: peer %s, API %s', dir, node.peerId, url)

    let stopping: Promise<void> | undefined
    return {
      dir,
      node,
      config,
      api,
      initialized,
      warnings,
      stop: async () => {
        stopping ??= cleanup()
        await stopping
      }
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}
