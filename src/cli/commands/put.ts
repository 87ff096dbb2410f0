/** shoal put: store a file (or stdin) across the network; prints its handle. */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { InvalidArgumentError, Option } from 'commander'
import { UsageError } from '../errors.js'
import { createProgress } from '../progress.js'
import { formatBytes, plural } from '../render.js'
import type { CommandContext } from '../context.js'
import type { Command } from 'commander'

export const PRESET_NAMES = ['minimal', 'personal', 'federation', 'paranoid'] as const

interface PutOptions {
  dataShards?: number
  parityShards?: number
  preset?: typeof PRESET_NAMES[number]
  encrypt: boolean
  name?: string
  allowColocation?: boolean
}

export function parseCount (value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number')
  return Number(value)
}

async function * fromStdin (stdin: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
  for await (const chunk of stdin) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk
}

export function registerPut (program: Command, ctx: CommandContext): void {
  program.command('put')
    .description('store a file across the network and print its handle')
    .argument('<file>', 'the file to store, or - for standard input')
    .addOption(new Option('--preset <name>', 'redundancy preset: minimal 2+1, personal 3+2, federation 5+4, paranoid 7+8 (default: personal)').choices(PRESET_NAMES))
    .addOption(new Option('--data-shards <n>', 'data shards k: any k of the k+m shards rebuild the file (with --parity-shards)').argParser(parseCount))
    .addOption(new Option('--parity-shards <n>', 'parity shards m: the file survives m lost holders (with --data-shards)').argParser(parseCount))
    .option('--no-encrypt', 'store the bytes unencrypted (the handle then carries no key)')
    .option('--name <name>', 'name shown by `shoal ls` (default: the file\'s name)')
    .option('--allow-colocation', 'when too few peers have room, put several shards on one peer instead of failing')
    .addHelpText('after', `
Prints the handle (shoal:<manifest CID>#<key>) on stdout: keep it, it is the
only way to read the file back, and anyone holding it can.
Examples:
  shoal put photo.jpg
  tar -c docs | shoal put - --name docs.tar --preset federation`)
    .action(async (file: string, opts: PutOptions, command: Command) => {
      ctx.globals(command)
      if (opts.preset !== undefined && (opts.dataShards !== undefined || opts.parityShards !== undefined)) {
        throw new UsageError('give --preset or --data-shards with --parity-shards, not both')
      }
      if ((opts.dataShards === undefined) !== (opts.parityShards === undefined)) {
        throw new UsageError('--data-shards and --parity-shards go together')
      }
      let source: AsyncIterable<Uint8Array>
      let size: number | undefined
      let name = opts.name
      if (file === '-') {
        source = fromStdin(ctx.io.stdin)
      } else {
        const info = await stat(file) // ENOENT: "no such file"
        if (info.isDirectory()) throw Object.assign(new Error(`${file} is a directory`), { code: 'EISDIR', path: file })
        size = info.isFile() ? info.size : undefined
        source = createReadStream(file, { highWaterMark: 256 * 1024 })
        name ??= basename(file)
      }
      const client = await ctx.client()
      const progress = createProgress(ctx.io.stderr, 'put', size, ctx.progressEnabled)
      let result
      try {
        result = await client.put(source, {
          preset: opts.preset,
          dataShards: opts.dataShards,
          parityShards: opts.parityShards,
          encrypt: opts.encrypt,
          allowColocation: opts.allowColocation,
          name,
          size,
          onSent: progress.update
        })
      } finally {
        progress.done()
        if ('destroy' in source && typeof source.destroy === 'function') source.destroy()
      }
      if (ctx.json) {
        await ctx.printJson(result)
        return
      }
      await ctx.out(result.handle + '\n')
      const peers = new Set(result.holders).size
      await ctx.err(`stored ${result.name ?? 'stdin'} (${formatBytes(result.size)}) as ${result.dataShards}+${result.parityShards} shards on ${plural(peers, 'peer')}; it survives ${plural(result.faultTolerance, 'lost holder')}\n`)
    })
}
