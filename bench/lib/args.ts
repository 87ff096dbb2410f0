/** Command line of bench/codec.ts. */
import { parseArgs } from 'node:util'

export interface BenchArgs {
  /** print one JSON object to stdout instead of the table */
  json: boolean
  /** 2 short runs per measurement: a smoke test, not a figure */
  quick: boolean
  /** only cases whose name contains this (case-insensitive) */
  filter?: string
  /** measure the scalar kernel on every case, not only the reduced set */
  allKernels: boolean
  help: boolean
}

export const USAGE = `usage: node --import tsx bench/codec.ts [--json] [--quick] [--filter TEXT] [--all-kernels]
  --json          print one JSON object {env, results, ratios, skipped} to stdout, nothing else
  --quick         2 runs of 0.3 s each (smoke test; figures are not meaningful)
  --filter TEXT   only cases whose name contains TEXT, e.g. --filter "10x4 1MiB" or --filter pool
  --all-kernels   also time the scalar kernel on every case (default: 10x4 cases only)`

export function parseBenchArgs (argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      filter: { type: 'string' },
      'all-kernels': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  return {
    json: values.json === true,
    quick: values.quick === true,
    filter: values.filter,
    allKernels: values['all-kernels'] === true,
    help: values.help === true
  }
}

export function matchesFilter (name: string, filter: string | undefined): boolean {
  return filter === undefined || name.toLowerCase().includes(filter.toLowerCase())
}
