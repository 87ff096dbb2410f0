/**
 * Codec benchmark: shoal's kernels against @ronomon/reed-solomon (native) and
 * the reed-solomon-erasure crate in wasm, measured side by side in one run.
 *
 *   node --import tsx bench/codec.ts [--json] [--quick] [--filter TEXT] [--all-kernels]
 *   npm run bench [-- --json]          (compiled: node dist/bench/codec.js)
 *
 * See bench/README.md for the method. Progress goes to stderr; the table (or
 * with --json, one JSON object and nothing else) goes to stdout.
 */
import '../src/polyfill.js'
import { createPoolSubject, createShoalSubject, POOL_WORKERS } from './impl/shoal.js'
import { createRonomonSubject } from './impl/ronomon.js'
import { createRseSubject } from './impl/rse-wasm.js'
import { matchesFilter, parseBenchArgs, USAGE } from './lib/args.js'
import { BenchCheckError, expectShards, range } from './lib/check.js'
import { COLD_CASE_PREFIX, coldCopies, coldGeometry, rotating } from './lib/cold.js'
import { describeEnv, formatEnv } from './lib/env.js'
import { FULL_TIMING, isUnsupported, measure, QUICK_TIMING } from './lib/measure.js'
import { formatTable, POOL_CASE_PREFIX, ratioOf, toJson } from './lib/report.js'
import { allWorkloads, GEOMETRIES, makeData, workload } from './lib/workload.js'
import type { BenchArgs } from './lib/args.js'
import type { Subject, Timing } from './lib/measure.js'
import type { BenchReport } from './lib/report.js'
import type { Workload } from './lib/workload.js'
import type { KernelName } from '../src/index.js'

/** The pool must reach this multiple of one thread's encode throughput with 2 workers. */
const POOL_TARGET_RATIO = 1.8

function progress (line: string): void {
  process.stderr.write(`${line}\n`)
}

/** Kernels to time on a workload: the best always, simd when it is not the best, scalar on the reduced set. */
function kernelsFor (w: Workload, available: readonly KernelName[], args: BenchArgs): KernelName[] {
  const best = available[0]
  return available.filter(k => k === best || k === 'simd' || (k === 'scalar' && (w.scalar || args.allKernels)))
}

/**
 * Runs every subject's own round trip, and checks that the parity of every
 * implementation using the Backblaze/klauspost matrix equals the first one's.
 */
async function verifyAll (w: Workload, subjects: readonly Subject[]): Promise<void> {
  let reference: { impl: string, parity: Uint8Array[] } | undefined
  for (const s of subjects) {
    const parity = await s.verify()
    if (parity === undefined) continue
    if (reference === undefined) {
      reference = { impl: s.impl, parity }
      continue
    }
    expectShards(`${w.name}: parity of ${s.impl} vs ${reference.impl}`, range(0, w.parityShards), parity, reference.parity)
  }
}

/** Checks `subjects` (verifyAll), times them side by side and records their results as case `name`. */
async function checkAndTime (name: string, w: Workload, subjects: readonly Subject[], report: BenchReport, timing: Timing): Promise<void> {
  await verifyAll(w, subjects)
  progress(`${name}: timing`)
  const stats = await measure(subjects, w.dataBytes, timing)
  subjects.forEach((s, i) => {
    report.results.push({ case: name, impl: s.impl, ...(s.kernel !== undefined ? { kernel: s.kernel } : {}), ...stats[i] })
  })
}

async function closeAll (subjects: readonly Subject[]): Promise<void> {
  for (const s of subjects) await s.close?.()
}

async function runCase (w: Workload, report: BenchReport, timing: Timing, args: BenchArgs): Promise<void> {
  const { kernels, bestKernel } = report.env
  const data = makeData(w)
  // zero-copy shards (allocShards) for every kernel timed, plain arrays for the best one
  const subjects: Subject[] = kernelsFor(w, kernels, args).map(k => createShoalSubject(w, data, k, bestKernel, 'zero-copy'))
  subjects.push(createShoalSubject(w, data, bestKernel, bestKernel, 'plain'))
  for (const anchor of [createRonomonSubject(w, data), createRseSubject(w, data)]) {
    if (isUnsupported(anchor)) report.skipped.push({ case: w.name, impl: anchor.impl, reason: anchor.unsupported })
    else subjects.push(anchor)
  }
  progress(`${w.name}: checking ${subjects.map(s => s.impl).join(', ')}`)
  await checkAndTime(w.name, w, subjects, report, timing)
  for (const shoal of ['shoal', 'shoal-plain']) {
    for (const anchor of ['ronomon', 'rse-wasm']) {
      const ratio = ratioOf(report.results, w.name, shoal, anchor)
      if (ratio !== undefined) report.ratios.push(ratio)
    }
  }
}

/**
 * The case on a working set larger than the caches (bench/lib/cold.ts): shoal's
 * best kernel on zero-copy shards against ronomon, each rotating over its own
 * copies of the shards.
 */
async function runColdCase (w: Workload, report: BenchReport, timing: Timing): Promise<void> {
  const name = `${COLD_CASE_PREFIX}${w.name}`
  const best = report.env.bestKernel
  const data = makeData(w)
  const copies = coldCopies(w)
  const subjects: Subject[] = [rotating(range(0, copies).map(() => createShoalSubject(w, data, best, best, 'zero-copy')))]
  const anchors = range(0, copies).map(() => createRonomonSubject(w, data))
  const unsupported = anchors.find(isUnsupported)
  if (unsupported !== undefined) report.skipped.push({ case: name, impl: unsupported.impl, reason: unsupported.unsupported })
  else subjects.push(rotating(anchors as Subject[]))
  const mib = Math.round(copies * (w.dataShards + w.parityShards) * w.shardBytes / 2 ** 20)
  progress(`${name}: checking ${subjects.map(s => s.impl).join(', ')} (${copies} copies each, ${mib} MiB)`)
  try {
    await checkAndTime(name, w, subjects, report, timing)
  } finally {
    await closeAll(subjects)
  }
  const ratio = ratioOf(report.results, name, 'shoal', 'ronomon')
  if (ratio !== undefined) report.ratios.push(ratio)
}

/**
 * encode 10x4 1MiB: the pool with 2 workers against one thread (best kernel),
 * all on zero-copy shards, interleaved: one call at a time, and two calls in
 * flight (a stream of stripes). The target applies to the pool's throughput,
 * which is the second.
 */
async function runPool (report: BenchReport, timing: Timing): Promise<void> {
  const geometry = GEOMETRIES[0]
  const w = workload('encode', geometry)
  const name = `${POOL_CASE_PREFIX}${w.name}`
  const data = makeData(w)
  const best = report.env.bestKernel
  const subjects: Subject[] = [createShoalSubject(w, data, best, best, 'zero-copy')]
  try {
    try {
      for (const inFlight of [1, 2] as const) subjects.push(await createPoolSubject(w, data, POOL_WORKERS, inFlight))
    } catch (err) {
      // a pool that cannot start is a missing figure, not a reason to lose the table
      const reason = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err)
      report.skipped.push({ case: name, impl: `shoal-pool-${POOL_WORKERS}w`, reason })
      progress(`${name}: pool unavailable: ${reason}`)
      return
    }
    progress(`${name}: checking ${subjects.map(s => s.impl).join(', ')}`)
    await checkAndTime(name, w, subjects, report, timing)
  } finally {
    await closeAll(subjects)
  }
  for (const [pool, target] of [[subjects[1], undefined], [subjects[2], POOL_TARGET_RATIO]] as const) {
    const ratio = ratioOf(report.results, name, pool.impl, subjects[0].impl, target)
    if (ratio !== undefined) report.ratios.push(ratio)
  }
}

async function main (): Promise<number> {
  let args: BenchArgs
  try {
    args = parseBenchArgs(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const timing = args.quick ? QUICK_TIMING : FULL_TIMING
  const workloads = allWorkloads().filter(w => matchesFilter(w.name, args.filter))
  const cold = allWorkloads().filter(w => coldGeometry(w) && matchesFilter(`${COLD_CASE_PREFIX}${w.name}`, args.filter))
  const pool = matchesFilter(`${POOL_CASE_PREFIX}${workload('encode', GEOMETRIES[0]).name}`, args.filter)
  if (workloads.length === 0 && cold.length === 0 && !pool) {
    process.stderr.write(`no case matches --filter ${JSON.stringify(args.filter)}\n`)
    return 2
  }
  const report: BenchReport = { env: describeEnv(timing, args.quick), results: [], ratios: [], skipped: [] }
  if (!args.json) process.stdout.write(`shoal codec benchmark\n\n${formatEnv(report.env)}\n\n`)
  try {
    for (const w of workloads) await runCase(w, report, timing, args)
    for (const w of cold) await runColdCase(w, report, timing)
    if (pool) await runPool(report, timing)
  } catch (err) {
    if (err instanceof BenchCheckError) {
      process.stderr.write(`correctness check failed, no figures reported: ${err.message}\n`)
      return 1
    }
    throw err
  }

  process.stdout.write(args.json ? `${toJson(report)}\n` : `${formatTable(report)}\n`)
  return 0
}

process.exitCode = await main()
