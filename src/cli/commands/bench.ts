/** shoal bench codec: run the codec benchmark (bench/codec.ts) in a child process. */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { CommandFailedError } from '../errors.js'
import { packageRoot } from '../version.js'
import type { CommandContext } from '../context.js'
import type { Command } from 'commander'

interface BenchOptions {
  quick?: boolean
  filter?: string
  allKernels?: boolean
}

/** The benchmark's command: the compiled dist/bench/codec.js, else the source through tsx. */
export function benchCommand (root: string): string[] | null {
  const compiled = join(root, 'dist', 'bench', 'codec.js')
  if (existsSync(compiled)) return [compiled]
  const source = join(root, 'bench', 'codec.ts')
  if (existsSync(source) && existsSync(join(root, 'node_modules', 'tsx'))) return ['--import', 'tsx', source]
  return null
}

export function registerBench (program: Command, ctx: CommandContext): void {
  const bench = program.command('bench')
    .description('run benchmarks')
    .addHelpText('after', '\nSee bench/README.md for how the figures are measured.')
  bench.command('codec')
    .description('benchmark the Reed-Solomon codec (encode, verify, reconstruct) against other implementations')
    .option('--quick', 'two short runs per case: a smoke test, not a figure')
    .option('--filter <text>', 'only cases whose name contains TEXT, e.g. "10x4 1MiB"')
    .option('--all-kernels', 'also time the scalar kernel on every case')
    .addHelpText('after', '\nWith --json, prints one JSON object {env, results, ratios, skipped} on stdout.')
    .action(async (opts: BenchOptions, command: Command) => {
      ctx.globals(command)
      const root = packageRoot()
      const base = benchCommand(root)
      if (base === null) throw new CommandFailedError('the benchmark is not built: run `npm run build` in the shoal package')
      const args = [...base]
      if (ctx.json) args.push('--json')
      if (opts.quick === true) args.push('--quick')
      if (opts.filter !== undefined) args.push('--filter', opts.filter)
      if (opts.allKernels === true) args.push('--all-kernels')
      const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...ctx.io.env } })
      child.stdout.on('data', (chunk: Buffer) => { ctx.io.stdout.write(chunk) })
      child.stderr.on('data', (chunk: Buffer) => { ctx.io.stderr.write(chunk) })
      const code = await new Promise<number>((resolve, reject) => {
        child.once('error', reject)
        child.once('close', (status, signal) => { resolve(status ?? (signal === null ? 1 : 128)) })
      })
      if (code !== 0) ctx.exitCode = code === 2 ? 2 : 1
    })
}
