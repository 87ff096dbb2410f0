/**
 * Timing: warm-up, then runs interleaved across implementations, so machine
 * noise hits them alike. A run is a loop of calls until at least `runMs`
 * elapsed; its throughput is data bytes over elapsed time.
 */

/** One call of the operation on buffers prepared beforehand. */
export type Call =
  | { kind: 'sync', run: () => void }
  | { kind: 'async', run: () => Promise<void> }

/** One implementation, prepared for one workload. */
export interface Subject {
  /** `shoal`, `shoal-simd`, `ronomon`, ... */
  readonly impl: string
  /** the shoal kernel, when the subject is shoal */
  readonly kernel?: string
  /**
   * Encodes, checks that reconstruct restores the dropped shards byte for
   * byte, and leaves the buffers ready for timing. Resolves to the parity
   * shards when the implementation uses the Backblaze/klauspost matrix (for
   * a cross-check), undefined when it has its own. Throws BenchCheckError.
   */
  verify: () => Promise<Uint8Array[] | undefined>
  readonly call: Call
  close?: () => Promise<void>
}

/** Why an implementation cannot run a workload (shown as n/a). */
export interface Unsupported {
  readonly impl: string
  readonly unsupported: string
}

export function isUnsupported (s: Subject | Unsupported): s is Unsupported {
  return 'unsupported' in s
}

export interface Timing {
  warmupMs: number
  runs: number
  runMs: number
}

export const FULL_TIMING: Timing = { warmupMs: 300, runs: 5, runMs: 1000 }
export const QUICK_TIMING: Timing = { warmupMs: 100, runs: 2, runMs: 300 }

/** Calls per second over one loop of at least `ms` milliseconds. */
async function loop (call: Call, ms: number): Promise<number> {
  let calls = 0
  const start = performance.now()
  let now = start
  if (call.kind === 'sync') {
    do {
      call.run()
      calls++
      now = performance.now()
    } while (now - start < ms)
  } else {
    do {
      await call.run()
      calls++
      now = performance.now()
    } while (now - start < ms)
  }
  return calls / ((now - start) / 1000)
}

export interface Stats {
  medianGBps: number
  minGBps: number
  maxGBps: number
  /** GB/s of each run, in order */
  runs: number[]
}

export function stats (runs: number[]): Stats {
  const sorted = [...runs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { medianGBps: median, minGBps: sorted[0], maxGBps: sorted[sorted.length - 1], runs }
}

/**
 * Warms each subject up, then runs subject 1 run 1, subject 2 run 1, ...,
 * subject 1 run 2, ... Returns the stats of each subject, in order.
 * `dataBytes` is what one call processes (k × shard size).
 */
export async function measure (subjects: readonly Subject[], dataBytes: number, timing: Timing): Promise<Stats[]> {
  for (const s of subjects) await loop(s.call, timing.warmupMs)
  const runs: number[][] = subjects.map(() => [])
  for (let r = 0; r < timing.runs; r++) {
    for (let i = 0; i < subjects.length; i++) {
      const callsPerSecond = await loop(subjects[i].call, timing.runMs)
      runs[i].push(callsPerSecond * dataBytes / 1e9)
    }
  }
  return runs.map(stats)
}
