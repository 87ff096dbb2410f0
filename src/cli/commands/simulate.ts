/**
 * shoal simulate: a whole shoal network in this process, stores files, breaks
 * the network step by step and reads every file back after each step.
 */
import { simulate, SCENARIOS } from '../../sim/index.js'
import { PRESETS } from '../../node/constants.js'
import { parseBytes } from '../../api/bytes.js'
import { UsageError } from '../errors.js'
import { formatBytes, plural } from '../render.js'
import type { CommandContext } from '../context.js'
import type { ScenarioName, SimEvent, SimStep } from '../../sim/index.js'
import type { PresetName } from '../../node/constants.js'
import type { Command } from 'commander'

interface SimulateFlags {
  peers: string
  files: string
  size: string
  preset?: string
  dataShards?: string
  parityShards?: string
  scenario: string
  seed: string
  transport: string
}

function count (value: string, name: string, min: number): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, got ${JSON.stringify(value)}`)
  return n
}

function stepLine (s: SimStep): string {
  const files = `${s.filesReadable}/${s.filesTotal} files readable`
  const parts = [`${s.peersAlive} peers alive`, files]
  if (s.shardsLost > 0) parts.push(`${plural(s.shardsLost, 'shard')} lost`)
  if (s.corruptFound > 0) parts.push(`${plural(s.corruptFound, 'damaged shard')} found`)
  if (s.auditFailures > 0) parts.push(`${plural(s.auditFailures, 'audit')} failed`)
  if (s.shardsRepaired > 0) parts.push(`${plural(s.shardsRepaired, 'shard')} repaired (${formatBytes(s.repairBytes)} moved)`)
  parts.push(`${(s.ms / 1000).toFixed(1)} s`)
  const verdict = s.ok ? 'ok' : `UNEXPECTED (expected ${s.expectedReadable} readable)`
  const lost = s.unreadable.length === 0 ? '' : `\n         unreadable: ${s.unreadable.map(u => `file ${u.file} (${u.error})`).join(', ')}`
  return `step ${s.step}  ${s.action}\n         ${parts.join(', ')}: ${verdict}${lost}\n`
}

export function registerSimulate (program: Command, ctx: CommandContext): void {
  program.command('simulate')
    .description('run a local multi-peer network in this process and show files surviving failures')
    .option('--peers <n>', 'peers to start', '20')
    .option('--files <n>', 'files to store', '10')
    .option('--size <size>', 'bytes per file, e.g. 4MiB', '1MiB')
    .option('--preset <name>', `redundancy: ${Object.entries(PRESETS).map(([k, [d, p]]) => `${k} ${d}-of-${d + p}`).join(', ')} (default personal)`)
    .option('--data-shards <n>', 'data shards k (with --parity-shards, instead of a preset)')
    .option('--parity-shards <n>', 'parity shards m')
    .option('--scenario <name>', `what happens to the network: ${SCENARIOS.join(', ')}`, 'kill')
    .option('--seed <n>', 'the same seed replays the same run', '1')
    .option('--transport <name>', 'tcp (127.0.0.1) or memory (no sockets: for networks of hundreds of peers)', 'tcp')
    .addHelpText('after', `
Scenarios:
  kill       m holders of one file stop at once (every file stays readable), then one
             more (exactly the files that lost more than m shards become unreadable)
  churn      round after round a holder leaves and a new peer joins; the owner's
             periodic check repairs
  corrupt    bytes are flipped in stored shards; reads never return them, the
             audits find each one, repair rebuilds them elsewhere
  liar       a holder drops its blocks and keeps claiming them; its audits fail,
             its shards are rebuilt elsewhere, it gets no shard of the next file
  partition  the network is cut in two; the owner's side repairs what it reaches;
             after healing every file is whole

Every peer listens on 127.0.0.1 (or in memory with --transport memory). Exit
code 0 when every step went as the placement predicts; 1 otherwise.`)
    .action(async (flags: SimulateFlags, command: Command) => {
      ctx.globals(command)
      if (!SCENARIOS.includes(flags.scenario as ScenarioName)) {
        throw new UsageError(`--scenario must be one of ${SCENARIOS.join(', ')}, got ${JSON.stringify(flags.scenario)}`)
      }
      if (flags.transport !== 'tcp' && flags.transport !== 'memory') {
        throw new UsageError(`--transport must be tcp or memory, got ${JSON.stringify(flags.transport)}`)
      }
      const fileBytes = parseBytes(flags.size)
      if (fileBytes === null) throw new UsageError(`--size ${flags.size} is not a size such as 4MiB`)
      if (flags.preset !== undefined && !Object.hasOwn(PRESETS, flags.preset)) {
        throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}`)
      }
      if ((flags.dataShards === undefined) !== (flags.parityShards === undefined)) {
        throw new UsageError('give both --data-shards and --parity-shards, or a --preset')
      }
      const options = {
        peers: count(flags.peers, 'peers', 2),
        files: count(flags.files, 'files', 1),
        fileBytes,
        scenario: flags.scenario as ScenarioName,
        seed: count(flags.seed, 'seed', 0),
        preset: flags.preset as PresetName | undefined,
        dataShards: flags.dataShards === undefined ? undefined : count(flags.dataShards, 'data-shards', 1),
        parityShards: flags.parityShards === undefined ? undefined : count(flags.parityShards, 'parity-shards', 0),
        transport: flags.transport as 'tcp' | 'memory'
      }
      const started = Date.now()
      const onProgress = ctx.json
        ? undefined
        : (event: SimEvent): void => {
            let line = ''
            if (event.type === 'sim:start') line = `starting ${event.detail.peers} peers ${options.transport === 'memory' ? 'in memory' : 'on 127.0.0.1'} (scenario ${event.detail.scenario}, seed ${event.detail.seed})\n`
            if (event.type === 'sim:converged') line = `peers started and found each other in ${(event.detail.ms / 1000).toFixed(1)} s\n`
            if (event.type === 'sim:stored') line = `stored ${plural(event.detail.files, 'file')} of ${formatBytes(fileBytes)} in ${(event.detail.ms / 1000).toFixed(1)} s\n\n`
            if (event.type === 'sim:step') line = stepLine(event.detail)
            ctx.io.stdout.write(line)
          }
      let report
      try {
        report = await simulate({ ...options, onProgress })
      } catch (err) {
        if (err instanceof RangeError) throw new UsageError(err.message)
        throw err
      }
      if (!report.ok) ctx.exitCode = 1
      if (ctx.json) {
        await ctx.printJson(report)
        return
      }
      const k = report.dataShards
      await ctx.out(`\n${report.ok ? 'OK' : 'FAILED'}: ${k}-of-${k + report.parityShards} over ${report.peers} peers, ` +
        `${report.steps.length} steps in ${((Date.now() - started) / 1000).toFixed(1)} s, peak memory ${formatBytes(report.peakRssBytes)}\n`)
    })
}
