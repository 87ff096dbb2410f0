/** Commands on stored files: stat, ls, rm, verify, repair. */
import { formatBytes, formatSeconds, plural, table } from '../render.js'
import type { FileStat } from '../../api/types.js'
import type { CommandContext } from '../context.js'
import type { Command } from 'commander'

/** Health summary: "3/5 shards healthy (33%), readable, survives 1 more lost holder". */
export function healthLine (stat: FileStat): string {
  const n = stat.dataShards + stat.parityShards
  const survive = stat.survivableFailures >= 0
    ? `survives ${plural(stat.survivableFailures, 'more lost shard')}`
    : `${plural(-stat.survivableFailures, 'shard')} short of readable`
  return `${stat.healthyShards}/${n} shards healthy, ${stat.readable ? 'readable' : 'NOT READABLE'}, ${survive}`
}

export function renderStat (stat: FileStat): string {
  const head = [
    `manifest  ${stat.manifest}`,
    `size      ${formatBytes(stat.size)} (${stat.size} bytes), ${stat.encrypted ? 'encrypted' : 'not encrypted'}`,
    `shards    ${stat.dataShards} data + ${stat.parityShards} parity, ${plural(stat.stripes, 'stripe')}`,
    `health    ${healthLine(stat)}`,
    ''
  ].join('\n')
  const rows: string[][] = []
  for (const shard of stat.shards) {
    for (const [i, h] of shard.holders.entries()) {
      rows.push([
        i === 0 ? String(shard.index) : '',
        i === 0 ? (shard.index < stat.dataShards ? 'data' : 'parity') : '',
        h.peerId,
        h.reachable ? 'yes' : 'NO',
        `${h.blocksPresent}/${stat.stripes}`,
        i === 0 ? (shard.healthy ? 'ok' : 'MISSING') : ''
      ])
    }
  }
  return `${head}\n${table(['shard', 'kind', 'holder', 'reachable', 'blocks', 'state'], rows)}`
}

export function registerFileCommands (program: Command, ctx: CommandContext): void {
  program.command('stat')
    .description('show who holds each shard of a file, its health and how many failures it survives')
    .argument('<handle>', 'the file\'s handle (the part after "#" is not needed)')
    .addHelpText('after', `
Asks every holder whether it still has every block of its shard. A shard is
healthy when a reachable holder has all of its blocks; the file is readable
with any ${'k'} healthy shards.`)
    .action(async (handle: string, _opts, command: Command) => {
      ctx.globals(command)
      const stat = await (await ctx.client()).stat(handle)
      if (ctx.json) await ctx.printJson(stat)
      else await ctx.out(renderStat(stat))
    })

  program.command('ls')
    .description('list the files this node put (its local index)')
    .addHelpText('after', `
The index lives in <dir>/files.json (mode 0600: it holds handles, and handles
carry keys). Files put through another node are not listed here.`)
    .action(async (_opts, command: Command) => {
      ctx.globals(command)
      const files = await (await ctx.client()).files()
      if (ctx.json) {
        await ctx.printJson(files)
        return
      }
      if (files.length === 0) {
        await ctx.out('no files yet: store one with `shoal put FILE`\n')
        return
      }
      await ctx.out(table(['name', 'size', 'shards', 'survives', 'stored', 'handle'], files.map(f => [
        f.name ?? '-',
        formatBytes(f.size),
        `${f.dataShards}+${f.parityShards}`,
        String(f.faultTolerance),
        f.createdAt.slice(0, 19).replace('T', ' '),
        f.handle
      ])))
    })

  program.command('rm')
    .description('delete a file this node put: its holders drop its blocks, and it leaves the index')
    .argument('<handle>', 'the file\'s handle')
    .addHelpText('after', `
Holders delete only blocks this node stored (they check the owner). Holders that
cannot be reached keep their blocks; the command says how many were reached.`)
    .action(async (handle: string, _opts, command: Command) => {
      ctx.globals(command)
      const result = await (await ctx.client()).remove(handle)
      if (ctx.json) {
        await ctx.printJson(result)
        return
      }
      const d = result.deletion
      await ctx.out(`removed ${result.removed.name ?? result.removed.manifest}: ${plural(d.deleted, 'block', 'blocks')} deleted from its holders\n`)
      if (d.notOwned > 0) await ctx.err(`note: ${plural(d.notOwned, 'block was', 'blocks were')} stored by another peer and kept\n`)
      if (d.unreachable.length > 0) await ctx.err(`note: ${plural(d.unreachable.length, 'holder', 'holders')} could not be reached and keep their blocks\n`)
    })

  program.command('verify')
    .description('read a file through, then check every block of all its shards on their holders')
    .argument('<handle>', 'the file\'s full handle (with its key, for an encrypted file)')
    .addHelpText('after', `
Exit code 0 when the whole file was read back intact, no block fetch failed and
every block of every shard (data and parity) is on a holder and matches its
hash; 1 otherwise.`)
    .action(async (handle: string, _opts, command: Command) => {
      ctx.globals(command)
      const result = await (await ctx.client()).verify(handle)
      if (!result.ok) ctx.exitCode = 1
      if (ctx.json) {
        await ctx.printJson(result)
        return
      }
      const n = result.stat.dataShards + result.stat.parityShards
      const lines: string[] = []
      if (result.readOk) {
        lines.push(`read    ok: ${formatBytes(result.bytes)} in ${formatSeconds(result.seconds)}, every block fetched matched its hash${result.shardFailures > 0 ? ` (${plural(result.shardFailures, 'block fetch', 'block fetches')} failed and were replaced)` : ''}`)
      } else {
        const why = result.error !== null ? `${result.error.name}: ${result.error.message}` : `read ${result.bytes} of ${result.size} bytes`
        lines.push(`read    FAILED: ${why}`)
      }
      const bad = result.shards.shards.filter(x => x.blocksGood < result.shards.stripes)
      lines.push(`shards  ${result.allShardsHealthy ? 'ok' : 'DEGRADED'}: ${result.shards.goodShards}/${n} with every block intact` +
        (bad.length === 0 ? '' : ` (${bad.map(x => `shard ${x.index}: ${x.blocksBad} bad, ${x.blocksMissing} missing`).join('; ')})`))
      lines.push(`health  ${healthLine(result.stat)}`)
      lines.push(result.ok ? 'OK' : `FAILED${result.readOk ? ' (the file is readable, but not every shard is intact: see `shoal stat`)' : ''}`)
      await ctx.out(lines.join('\n') + '\n')
    })

  program.command('repair')
    .description('rebuild a file\'s lost shards on other peers')
    .argument('<handle>', 'the file\'s handle (the key is not needed)')
    .addHelpText('after', `
Fetches k healthy shards stripe by stripe, regenerates the lost ones and places
them on peers that hold nothing of the file yet; they announce them in the DHT.
Exit code 1 when fewer than k shards are left (UnrecoverableFileError) or when
shards are still missing afterwards.`)
    .action(async (handle: string, _opts, command: Command) => {
      ctx.globals(command)
      const result = await (await ctx.client()).repair(handle)
      if (!result.healthy) ctx.exitCode = 1
      if (ctx.json) {
        await ctx.printJson(result)
        return
      }
      const n = result.stat.dataShards + result.stat.parityShards
      if (result.repairedShards === 0) {
        await ctx.out(`${result.healthy ? 'healthy' : 'DEGRADED'}, nothing repaired (${result.stat.healthyShards}/${n} shards)\n`)
        return
      }
      const r = result.report
      await ctx.out(`repaired ${plural(r.repaired.length, 'shard', 'shards')} (${r.repaired.map(x => `#${x.index} -> ${x.holder}`).join(', ')})\n` +
        `moved   ${formatBytes(r.bytesFetched)} fetched, ${formatBytes(r.bytesStored)} stored\n` +
        `health  ${result.stat.healthyShards}/${n} shards healthy\n`)
    })
}
