/**
 * The network benchmark's verdicts (bench/lib/net-report.ts): ratios per run
 * against the mean of the bracketing raw streams, medians over runs, the
 * traffic-pattern lines, and the RSS verdicts. Pure functions over records,
 * so every figure here is worked out by hand.
 */
import { describe, expect, it } from 'vitest'
import { formatReport, summarize } from '../../bench/lib/net-report.js'
import type { MemoryRun, NetConfig, NetEnv, OpKind, OpRecord } from '../../bench/lib/net-report.js'

const MiB = 2 ** 20

const config: NetConfig = {
  peers: 5, preset: 'personal', dataShards: 3, parityShards: 2, size: 256 * MiB, rawSize: 256 * MiB, runs: 3, rssSize: null, encrypt: true, quick: false
}

/** A record moving 256 MiB at `mibps`. */
function op (kind: OpKind, run: number, mibps: number, position?: 'before' | 'after', peakRss = 0): OpRecord {
  const seconds = 256 / mibps
  return {
    kind, run, bytes: 256 * MiB, seconds, mibps, clientCpu: { user: 1, system: 0 }, peersCpu: [0.5, 0.5], peakRss, startRss: 0, clockUs: [0, 1], ...(position !== undefined ? { position } : {})
  }
}

/** One run: raw streams around put and get, then the two traffic-pattern streams when `patterns`. */
function run (r: number, f: { pushes: [number, number], put: number, pulls: [number, number], get: number, fanout?: number, fanin?: number }): OpRecord[] {
  const ops = [
    op('raw-push', r, f.pushes[0], 'before'), op('put', r, f.put), op('raw-push', r, f.pushes[1], 'after'),
    op('raw-pull', r, f.pulls[0], 'before'), op('get', r, f.get), op('raw-pull', r, f.pulls[1], 'after')
  ]
  if (f.fanout !== undefined) ops.push(op('raw-fanout', r, f.fanout))
  if (f.fanin !== undefined) ops.push(op('raw-fanin', r, f.fanin))
  return ops
}

describe('network benchmark verdicts', () => {
  it('takes each run against the mean of its two raw streams and the median over runs', () => {
    const ops = [
      // raw push mean 300 → put reference 300 × 3/5 = 180; put 90 → 0.5
      ...run(1, { pushes: [200, 400], put: 90, pulls: [300, 300], get: 240 }),
      // push mean 250 → 150; put 120 → 0.8; pull mean 400, get 200 → 0.5
      ...run(2, { pushes: [250, 250], put: 120, pulls: [500, 300], get: 200 }),
      // push mean 100 → 60; put 30 → 0.5; pull mean 100, get 90 → 0.9
      ...run(3, { pushes: [100, 100], put: 30, pulls: [100, 100], get: 90 })
    ]
    const { runs, verdicts, patterns } = summarize(config, ops, null)
    expect(runs.map(x => x.putRatio)).toEqual([0.5, 0.8, 0.5].map(x => expect.closeTo(x, 12)))
    expect(runs.map(x => x.getRatio)).toEqual([0.8, 0.5, 0.9].map(x => expect.closeTo(x, 12)))
    expect(runs[0].putRef).toBeCloseTo(180, 12)
    const [put, get] = verdicts
    expect(put).toMatchObject({ target: 0.7, kind: 'min', meets: false })
    expect(put.value).toBeCloseTo(0.5, 12)
    expect(get).toMatchObject({ target: 0.8, kind: 'min', meets: true })
    expect(get.value).toBeCloseTo(0.8, 12)
    expect(verdicts).toHaveLength(2)
    expect(patterns).toEqual([])
  })

  it('a ratio exactly at the target meets it', () => {
    const ops = run(1, { pushes: [100, 100], put: 42, pulls: [100, 100], get: 80 })
    const { verdicts } = summarize({ ...config, runs: 1 }, ops, null)
    expect(verdicts.map(v => v.meets)).toEqual([true, true])
  })

  it('sets the traffic patterns against the one-stream reference and against put and get', () => {
    const ops = [
      ...run(1, { pushes: [300, 300], put: 45, pulls: [400, 400], get: 100, fanout: 450, fanin: 200 }),
      ...run(2, { pushes: [300, 300], put: 45, pulls: [400, 400], get: 100, fanout: 450, fanin: 200 })
    ]
    const { runs, patterns } = summarize({ ...config, runs: 2 }, ops, null)
    expect(runs[0]).toMatchObject({ fanout: 450, fanin: 200 })
    expect(patterns).toHaveLength(2)
    // fan-out 450 = 1.5 × one stream (300); the put target asks 0.7 × 300 = 210 MiB/s on the wire; put / (450 × 3/5) = 45 / 270
    expect(patterns[0]).toContain('raw putter→5 peers at once: 450 MiB/s, 1.50x one stream (300 MiB/s)')
    expect(patterns[0]).toContain('the put target asks for 210 MiB/s')
    expect(patterns[0]).toContain('put / (fan-out × 3/5) = 0.17x')
    // fan-in 200 = 0.5 × one stream (400); get / fan-in = 0.5
    expect(patterns[1]).toContain('raw 3 peers→getter at once: 200 MiB/s, 0.50x one stream (400 MiB/s)')
    expect(patterns[1]).toContain('get / fan-in = 0.50x')
  })

  it('judges the peak RSS by the larger of the sampled peak and the process maximum', () => {
    const memory: MemoryRun = {
      size: 2 * 1024 * MiB,
      put: op('put', 0, 40, undefined, 250 * MiB),
      get: op('get', 0, 80, undefined, 310 * MiB),
      putterMaxRss: 299 * MiB,
      getterMaxRss: 200 * MiB
    }
    const { verdicts } = summarize(config, [], memory)
    expect(verdicts.map(v => [Math.round(v.value), v.meets])).toEqual([[299, true], [310, false]])
  })

  it('prints the pattern lines and every verdict in the text report', () => {
    const ops = run(1, { pushes: [300, 300], put: 45, pulls: [400, 400], get: 100, fanout: 450, fanin: 200 })
    const c = { ...config, runs: 1 }
    const env: NetEnv = {
      node: 'v20', v8: '11', platform: 'linux-x64', cpu: 'cpu', cores: 2, memory: '24 GiB', loadStart: [0, 0, 0], kernel: 'simd', versions: {}, tmp: '/tmp', source: 'test', date: 'now'
    }
    const text = formatReport({ env, config: c, ops, memory: null, ...summarize(c, ops, null) })
    expect(text).toContain('raw putter→n peers')
    expect(text).toContain('raw k peers→getter')
    expect(text).toContain('the traffic patterns alone (not targets):')
    expect(text).toContain('put goodput / (raw × 3/5): 0.25x (target >= 0.7x: below)')
    expect(text).toContain('get goodput / raw: 0.25x (target >= 0.8x: below)')
  })
})
