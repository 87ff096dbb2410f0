/** The benchmark's output: an aligned text table for people, one JSON object for machines. */
import type { BenchEnv } from './env.js'
import type { Stats } from './measure.js'

export interface Result extends Stats {
  case: string
  impl: string
  /** shoal's kernel, for shoal subjects */
  kernel?: string
}

export interface Ratio {
  case: string
  numerator: string
  denominator: string
  /** median of numerator / median of denominator */
  ratio: number
  /** the figure the project aims for, when it has one */
  target?: number
}

export interface Skipped {
  case: string
  impl: string
  reason: string
}

export interface BenchReport {
  env: BenchEnv
  results: Result[]
  ratios: Ratio[]
  skipped: Skipped[]
}

export function ratioOf (results: readonly Result[], name: string, numerator: string, denominator: string, target?: number): Ratio | undefined {
  const a = results.find(r => r.case === name && r.impl === numerator)
  const b = results.find(r => r.case === name && r.impl === denominator)
  if (a === undefined || b === undefined || b.medianGBps === 0) return undefined
  const ratio: Ratio = { case: name, numerator, denominator, ratio: round(a.medianGBps / b.medianGBps) }
  if (target !== undefined) ratio.target = target
  return ratio
}

function round (x: number): number {
  return Number(x.toPrecision(4))
}

/** Rounds figures to 4 significant digits for the JSON output. */
export function toJson (report: BenchReport): string {
  const results = report.results.map(r => ({
    ...r,
    medianGBps: round(r.medianGBps),
    minGBps: round(r.minGBps),
    maxGBps: round(r.maxGBps),
    runs: r.runs.map(round)
  }))
  return JSON.stringify({ ...report, results }, null, 2)
}

function gbps (x: number): string {
  return x < 1 ? x.toFixed(3) : x.toFixed(2)
}

/** A plain-text table: columns padded to their widest cell, a rule under the header. */
export function table (header: string[], rows: string[][], rightAlign: boolean[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map(r => r[c].length)))
  const line = (cells: string[]): string => cells
    .map((cell, c) => rightAlign[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))
    .join(' | ')
  const rule = widths.map(w => '-'.repeat(w)).join('-|-')
  return [line(header), rule, ...rows.map(line)].join('\n')
}

export const POOL_CASE_PREFIX = 'pool '

export function formatTable (report: BenchReport): string {
  const { results, ratios, skipped, env } = report
  const best = env.bestKernel
  const find = (name: string, impl: string): Result | undefined => results.find(r => r.case === name && r.impl === impl)
  const cases = [...new Set(results.map(r => r.case))].filter(c => !c.startsWith(POOL_CASE_PREFIX) && find(c, 'shoal') !== undefined)
  const skippedFor = (name: string, impl: string): boolean => skipped.some(s => s.case === name && s.impl === impl)
  const cell = (name: string, impl: string): string => {
    const r = find(name, impl)
    if (r !== undefined) return gbps(r.medianGBps)
    return skippedFor(name, impl) ? 'n/a' : '-'
  }
  const ratioCell = (name: string, numerator: string, denominator: string): string => {
    const r = ratios.find(x => x.case === name && x.numerator === numerator && x.denominator === denominator)
    return r === undefined ? (skippedFor(name, denominator) ? 'n/a' : '-') : `${r.ratio.toFixed(2)}x`
  }
  const kernelCell = (name: string, kernel: string): string => kernel === best ? '(best)' : cell(name, `shoal-${kernel}`)

  // `shoal` is the zero-copy subject (shards from allocShards), `shoal-plain` the
  // same best kernel on plain Uint8Arrays (copied in and out of wasm memory)
  const header = [
    'case', `zero-copy GB/s (${best})`, 'spread', 'plain GB/s', 'simd', 'scalar', 'ronomon GB/s', 'wasm GB/s',
    'zero-copy/ronomon', 'plain/ronomon', 'zero-copy/wasm'
  ]
  const rows = cases.map(name => {
    const s = find(name, 'shoal') as Result
    return [
      name,
      gbps(s.medianGBps),
      `${gbps(s.minGBps)}–${gbps(s.maxGBps)}`,
      cell(name, 'shoal-plain'),
      kernelCell(name, 'simd'),
      kernelCell(name, 'scalar'),
      cell(name, 'ronomon'),
      cell(name, 'rse-wasm'),
      ratioCell(name, 'shoal', 'ronomon'),
      ratioCell(name, 'shoal-plain', 'ronomon'),
      ratioCell(name, 'shoal', 'rse-wasm')
    ]
  })
  const out = rows.length > 0 ? [table(header, rows, [false, ...header.slice(1).map(() => true)])] : []

  const notes = skipped.map(s => `n/a: ${s.impl} on ${s.case}: ${s.reason}`)
  if (notes.length > 0) out.push([...new Set(notes)].join('\n'))

  // ratios with a target, and the pool's (which have no column in the table)
  for (const r of ratios.filter(x => x.target !== undefined || x.case.startsWith(POOL_CASE_PREFIX))) {
    const a = results.find(x => x.case === r.case && x.impl === r.numerator) as Result
    const b = results.find(x => x.case === r.case && x.impl === r.denominator) as Result
    const verdict = r.target === undefined ? '' : ` (target >= ${r.target}x: ${r.ratio >= r.target ? 'meets' : 'below'})`
    out.push(
      `${r.case}: ${r.numerator} ${gbps(a.medianGBps)} GB/s (${gbps(a.minGBps)}–${gbps(a.maxGBps)}) ` +
      `vs ${r.denominator} ${gbps(b.medianGBps)} GB/s (${gbps(b.minGBps)}–${gbps(b.maxGBps)}): ` +
      `${r.ratio.toFixed(2)}x${verdict}`
    )
  }
  return out.join('\n\n')
}
