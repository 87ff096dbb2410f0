/** The machine and engine a benchmark ran on: printed before any figure. */
import os from 'node:os'
import { availableKernels } from '../../src/index.js'
import { ronomonVersion } from '../impl/ronomon.js'
import { rseVersion } from '../impl/rse-wasm.js'
import type { KernelName } from '../../src/index.js'
import type { Timing } from './measure.js'

export interface BenchEnv {
  node: string
  v8: string
  platform: string
  cpu: string
  cores: number
  /** 1-minute load average when the run started (other work on the machine skews figures) */
  loadAverage: number
  kernels: KernelName[]
  bestKernel: KernelName
  simd: boolean
  relaxedSimd: boolean
  anchors: Record<string, string>
  timing: Timing & { quick: boolean }
  date: string
}

export function describeEnv (timing: Timing, quick: boolean): BenchEnv {
  const kernels = availableKernels()
  const cpus = os.cpus()
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    loadAverage: Number(os.loadavg()[0].toFixed(2)),
    kernels,
    bestKernel: kernels[0],
    simd: kernels.includes('simd') || kernels.includes('relaxed-simd'),
    relaxedSimd: kernels.includes('relaxed-simd'),
    anchors: {
      ronomon: `@ronomon/reed-solomon ${ronomonVersion()} (native C addon)`,
      'rse-wasm': `@digitaldefiance/reed-solomon-erasure.wasm ${rseVersion()} (Rust crate, wasm without SIMD)`
    },
    timing: { ...timing, quick },
    date: new Date().toISOString()
  }
}

export function formatEnv (env: BenchEnv): string {
  const t = env.timing
  const yes = (b: boolean): string => b ? 'yes' : 'no'
  const rows: Array<[string, string]> = [
    ['node', `${env.node} (${env.platform})`],
    ['v8', env.v8],
    ['cpu', `${env.cpu}, ${env.cores} cores`],
    ['load', `${env.loadAverage} (1-min average at start)`],
    ['kernels', `${env.kernels.join(', ')} (best: ${env.bestKernel})`],
    ['wasm simd', `${yes(env.simd)} (relaxed-simd: ${yes(env.relaxedSimd)})`],
    ...Object.entries(env.anchors).map(([k, v]): [string, string] => [`anchor ${k}`, v]),
    ['method', `warm-up ${t.warmupMs / 1000} s, ${t.runs} runs of >= ${t.runMs / 1000} s, interleaved; median (min–max) of data GB/s (1e9 B/s)${env.timing.quick ? '; QUICK: smoke test, not a figure' : ''}`]
  ]
  const width = Math.max(...rows.map(r => r[0].length))
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}
