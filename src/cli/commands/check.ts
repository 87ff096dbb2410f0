/** The periodic check, by hand: check, and which files the daemon checks on its own: track, untrack, tracked. */
import { formatBytes, plural, table } from '../render.js'
import type { CheckReport } from '../../api/types.js'
import type { CommandContext } from '../context.js'
import type { Command } from 'commander'

/** "4/5 shards healthy, health 0.50": health is (healthy − k) / (n − k), before any repair. */
export function checkHealthLine (report: CheckReport): string {
  const n = report.dataShards + report.parityShards
  return `${report.healthyShards}/${n} shards healthy, health ${report.health.toFixed(2)}`
}

/** Shards still without a healthy holder once the check (and its repair, if any) is done. */
export function stillLost (report: CheckReport): number {
  const n = report.dataShards + report.parityShards
  return n - (report.repair?.healthyAfter ?? report.healthyShards)
}

export function renderCheck (report: CheckReport): string {
  const n = report.dataShards + report.parityShards
  const rows: string[][] = []
  for (let shard = 0; shard < n; shard++) {
    const kind = shard < report.dataShards ? 'data' : 'parity'
    const audits = report.audits.filter(a => a.shard === shard)
    if (audits.length === 0) rows.push([String(shard), kind, '-', 'NO HOLDER', 'no peer is known to hold it'])
    for (const [i, a] of audits.entries()) {
      rows.push([
        i === 0 ? String(shard) : '',
        i === 0 ? kind : '',
        a.peerId,
        a.outcome === 'passed' ? 'passed' : a.outcome.toUpperCase(),
        a.reason ?? ''
      ])
    }
  }
  const lines = [
    `manifest  ${report.manifest}`,
    `shards    ${report.dataShards} data + ${report.parityShards} parity`,
    '',
    table(['shard', 'kind', 'holder', 'audit', 'reason'], rows).trimEnd(),
    '',
    `health    ${checkHealthLine(report)}${report.lost.length === 0 ? '' : `, lost: ${plural(report.lost.length, 'shard')} (#${report.lost.join(', #')})`}`
  ]
  const r = report.repair
  if (r !== null && r.repaired.length > 0) {
    lines.push(
      `repaired  ${plural(r.repaired.length, 'shard')} (${r.repaired.map(x => `#${x.index} -> ${x.holder}`).join(', ')})`,
      `moved     ${formatBytes(r.bytesFetched)} fetched, ${formatBytes(r.bytesStored)} stored`,
      `after     ${r.healthyAfter}/${n} shards healthy`
    )
  } else if (report.error !== undefined) {
    lines.push(`repair    FAILED: ${report.error}`)
  } else if (report.lost.length > 0) {
    lines.push('repair    not yet: fewer shards lost than the daemon\'s repairAfterLost')
  }
  const lost = stillLost(report)
  lines.push(lost === 0 ? 'OK' : `DEGRADED: ${plural(lost, 'shard')} still lost`)
  return lines.join('\n') + '\n'
}

export function registerCheckCommands (program: Command, ctx: CommandContext): void {
  program.command('check')
    .description('audit the holders of every shard of a file, renew their leases, and repair lost shards')
    .argument('<handle>', 'the file\'s handle (the key is not needed)')
    .addHelpText('after', `
Each holder is asked to renew the leases of its blocks and to prove it has them
(a random 16 KiB chunk and its Merkle path, checked against the manifest). A
shard is healthy when one of its holders passed. Health is (healthy - k) / (n - k):
1 when every shard is healthy, 0 when one more loss makes the file unreadable.
When the daemon's repairAfterLost shards (default 1) are lost, they are rebuilt
on other peers. The daemon runs this check on its own for every tracked file
every checkIntervalMs (see \`shoal tracked\`).
Exit code 0 when no shard is lost after the check (and its repair); 1 otherwise.`)
    .action(async (handle: string, _opts, command: Command) => {
      ctx.globals(command)
      const report = await (await ctx.client()).check(handle)
      if (stillLost(report) > 0) ctx.exitCode = 1
      if (ctx.json) await ctx.printJson(report)
      else await ctx.out(renderCheck(report))
    })

  program.command('track')
    .description('add a file to the daemon\'s periodic check (files put through this daemon are tracked already)')
    .argument('<handle>', 'the file\'s handle (the key is not needed)')
    .addHelpText('after', `
Every checkIntervalMs the daemon audits a tracked file's holders, renews their
leases and repairs lost shards. Only the manifest CID is kept, never a key.`)
    .action(async (handle: string, _opts, command: Command) => {
      ctx.globals(command)
      const result = await (await ctx.client()).track(handle)
      if (ctx.json) await ctx.printJson(result)
      else await ctx.out(result.added ? `tracking ${result.manifest}\n` : `${result.manifest} was tracked already\n`)
    })

  program.command('untrack')
    .description('remove a file from the daemon\'s periodic check: its leases are no longer renewed')
    .argument('<handle>', 'the file\'s handle (the key is not needed)')
    .addHelpText('after', `
Holders keep a block until its lease runs out (leaseMs, 30 days by default):
once no node renews the file's leases, its blocks are deleted then.
Exit code 1 when the file was not tracked.`)
    .action(async (handle: string, _opts, command: Command) => {
      ctx.globals(command)
      const result = await (await ctx.client()).untrack(handle)
      if (ctx.json) {
        await ctx.printJson(result)
        return
      }
      await ctx.out(`no longer tracking ${result.manifest}\n`)
      await ctx.err('note: its leases are no longer renewed by this node: holders delete its blocks when they run out\n')
    })

  program.command('tracked')
    .description('list the files the daemon checks periodically')
    .action(async (_opts, command: Command) => {
      ctx.globals(command)
      const client = await ctx.client()
      const files = await client.tracked()
      if (ctx.json) {
        await ctx.printJson(files)
        return
      }
      if (files.length === 0) {
        await ctx.out('no files tracked: files put through this daemon are tracked, others with `shoal track <handle>`\n')
        return
      }
      const names = new Map((await client.files()).map(f => [f.manifest, f.name]))
      await ctx.out(table(['name', 'handle'], files.map(m => [names.get(m) ?? '-', `shoal:${m}`])))
    })
}
