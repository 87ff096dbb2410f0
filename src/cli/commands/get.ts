/** shoal get: read a file back, to a file or to stdout. */
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { UsageError } from '../errors.js'
import { writeAll } from '../io.js'
import { createProgress } from '../progress.js'
import { formatBytes } from '../render.js'
import type { CommandContext } from '../context.js'
import type { Command } from 'commander'

async function * counted (body: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  let n = 0
  for await (const chunk of body) {
    n += chunk.length
    onBytes(n)
    yield chunk
  }
}

export function registerGet (program: Command, ctx: CommandContext): void {
  program.command('get')
    .description('read a file back from the network')
    .argument('<handle>', 'the handle `shoal put` printed')
    .option('-o, --output <file>', 'write to this file (- or omitted: standard output)')
    .addHelpText('after', `
Every block is checked against its hash and every segment authenticated before
it is written. With -o FILE the bytes go to a temporary file next to FILE,
renamed into place only once the whole file arrived: a failed get leaves no
partial FILE.`)
    .action(async (handle: string, opts: { output?: string }, command: Command) => {
      ctx.globals(command)
      const toStdout = opts.output === undefined || opts.output === '-'
      if (toStdout && ctx.json) throw new UsageError('--json needs -o FILE (the file\'s bytes would go to stdout)')
      const client = await ctx.client()
      const download = await client.get(handle)
      const progress = createProgress(ctx.io.stderr, 'get', download.size, ctx.progressEnabled)
      let bytes = 0
      const body = counted(download.body, n => { bytes = n; progress.update(n) })
      try {
        if (toStdout) {
          for await (const chunk of body) await writeAll(ctx.io.stdout, chunk)
        } else {
          const path = opts.output as string
          const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.partial`)
          try {
            await pipeline(Readable.from(body), createWriteStream(tmp, { flags: 'wx', mode: 0o644 }))
            await rename(tmp, path)
          } catch (err) {
            await unlink(tmp).catch(() => {})
            throw err
          }
        }
      } finally {
        progress.done()
      }
      if (toStdout) return
      if (ctx.json) await ctx.printJson({ handle, path: opts.output, bytes })
      else await ctx.err(`wrote ${formatBytes(bytes)} to ${String(opts.output)}\n`)
    })
}
