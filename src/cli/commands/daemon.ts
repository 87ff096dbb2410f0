/** shoal daemon: run a peer and its local control API until SIGINT/SIGTERM. */
import { InvalidArgumentError, Option } from 'commander'
import { plural } from '../render.js'
import { packageVersion } from '../version.js'
import type { CheckOutcome } from '../../api/types.js'
import type { CommandContext } from '../context.js'
import type { Command } from 'commander'

interface DaemonOptions {
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  capacity?: string
  swarmKey?: string
  apiPort?: number
}

function parsePort (value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('a port is an integer 0..65535')
  return n
}

/**
 * A periodic check worth telling the daemon's owner about (a shard was lost,
 * or the file could not be checked), as one line; undefined for a healthy file.
 */
export function checkNotice (outcome: CheckOutcome): string | undefined {
  if (!('audits' in outcome)) return `check ${outcome.manifest}: could not check: ${outcome.error}`
  if (outcome.lost.length === 0) return undefined
  const n = outcome.dataShards + outcome.parityShards
  const repair = outcome.repair
  const what = repair !== null && repair.repaired.length > 0
    ? `repaired ${plural(repair.repaired.length, 'shard')}, ${repair.healthyAfter}/${n} healthy now`
    : outcome.error !== undefined ? `repair failed: ${outcome.error}` : 'not repaired yet (repairAfterLost)'
  return `check ${outcome.manifest}: ${plural(outcome.lost.length, 'shard')} lost (${outcome.healthyShards}/${n} healthy); ${what}`
}

/** Resolves with the exit code once shutdown was asked for: 0 on the first signal, 1 when a second one forces the exit. */
function waitForShutdown (ctx: CommandContext, onFirst: () => void): { first: Promise<void>, forced: Promise<number>, dispose: () => void } {
  let resolveFirst!: () => void
  let resolveForced!: (code: number) => void
  const first = new Promise<void>(resolve => { resolveFirst = resolve })
  const forced = new Promise<number>(resolve => { resolveForced = resolve })
  let count = 0
  const onSignal = (): void => {
    count++
    if (count === 1) { onFirst(); resolveFirst() } else resolveForced(1)
  }
  const signal = ctx.io.shutdown
  if (signal !== undefined) {
    if (signal.aborted) onSignal()
    else signal.addEventListener('abort', onSignal, { once: true })
    return { first, forced, dispose: () => { signal.removeEventListener('abort', onSignal) } }
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    first,
    forced,
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}

export function registerDaemon (program: Command, ctx: CommandContext): void {
  program.command('daemon')
    .description('run a peer: store shards for the network and serve the local control API')
    .option('--listen <multiaddr...>', 'libp2p listen addresses (default: config "listen")')
    .option('--announce <multiaddr...>', 'addresses to announce instead of the listen addresses')
    .option('--bootstrap <multiaddr...>', 'peers to join through, with /p2p/<PeerId> (default: config "bootstrap")')
    .option('--capacity <size>', 'storage offered to the network, e.g. 10GiB, 500MB; 0 for none (default: config "capacity")')
    .option('--swarm-key <file>', 'private network key file (default: config "swarmKeyFile")')
    .addOption(new Option('--api-port <port>', 'control API port; 0 picks a free one (default: config "api.port")').argParser(parsePort))
    .addHelpText('after', `
Prints the version, PeerId, listen addresses and API address, then "daemon is ready".
Clients find the API through <dir>/api.json and authenticate with <dir>/api.token.
A data directory without a config is initialised first (as \`shoal init\` would).
Every checkIntervalMs (config) it checks the files it tracks: audits their
holders, renews their leases, repairs lost shards; a check that found a loss
is reported on stderr (with --json: a {"event":"check"} line on stdout).
Stop with Ctrl-C or SIGTERM: requests in flight get 10 s to finish, unfinished
uploads are rolled back. A second Ctrl-C exits at once.
Logs: DEBUG=shoal:* shoal daemon`)
    .action(async (opts: DaemonOptions, command: Command) => {
      ctx.globals(command)
      const version = packageVersion()
      // Loaded here: only the daemon needs libp2p.
      const { startDaemon } = await import('../../api/daemon.js')
      const shutdown = waitForShutdown(ctx, () => { void ctx.err('shutting down (Ctrl-C again to force)\n') })
      try {
        const daemon = await startDaemon({
          dir: ctx.dir,
          init: true,
          version,
          overrides: {
            listen: opts.listen,
            announce: opts.announce,
            bootstrap: opts.bootstrap,
            capacity: opts.capacity,
            swarmKeyFile: opts.swarmKey,
            apiPort: opts.apiPort
          },
          onCheck: outcome => {
            const notice = checkNotice(outcome)
            if (notice === undefined) return
            if (ctx.json) {
              const { manifest } = outcome
              const fields = 'audits' in outcome
                ? { healthyShards: outcome.healthyShards, health: outcome.health, lost: outcome.lost, repaired: outcome.repair?.repaired ?? [], error: outcome.error ?? null }
                : { error: outcome.error }
              void ctx.out(JSON.stringify({ event: 'check', manifest, ...fields }) + '\n')
            } else {
              void ctx.err(`${notice}\n`)
            }
          }
        })
        for (const warning of daemon.warnings) await ctx.err(`warning: ${warning}\n`)
        const addresses = daemon.node.multiaddrs
        if (ctx.json) {
          await ctx.out(JSON.stringify({ event: 'ready', version, dir: daemon.dir, peerId: daemon.node.peerId, addresses, api: daemon.api.url, initialized: daemon.initialized }) + '\n')
        } else {
          const lines = [`shoal ${version}`]
          if (daemon.initialized) lines.push(`initialised ${daemon.dir}`)
          lines.push(`data dir   ${daemon.dir}`, `PeerId     ${daemon.node.peerId}`)
          for (const a of addresses) lines.push(`listening  ${a}`)
          lines.push(`API        ${daemon.api.url}`, 'daemon is ready')
          await ctx.out(lines.join('\n') + '\n')
        }
        const code = await Promise.race([shutdown.first.then(async () => {
          await daemon.stop()
          return 0
        }), shutdown.forced])
        if (code !== 0) {
          await ctx.err('forced exit: requests in flight were cut off\n')
          ctx.exitCode = code
          return
        }
        if (ctx.json) await ctx.out(JSON.stringify({ event: 'stopped' }) + '\n')
        else await ctx.err('daemon stopped\n')
      } finally {
        shutdown.dispose()
      }
    })
}
