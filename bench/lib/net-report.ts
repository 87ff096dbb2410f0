/** Results of bench/network.ts: the records, the summary with targets, the text table and the JSON. */
import { table } from './report.js'
import { formatBytes, GiB, MiB } from './net-shared.js'
import type { CpuSeconds } from './net-shared.js'

/**
 * raw-push / raw-pull: one stream between the client and peer-0 (the issue's
 * reference). raw-fanout / raw-fanin: the same bytes as streams to all n
 * peers at once / from k peers at once, the traffic pattern of a put / a get
 * with none of shoal's work.
 */
export type RawKind = 'raw-push' | 'raw-pull' | 'raw-fanout' | 'raw-fanin'
export type OpKind = RawKind | 'put' | 'get'

/** One timed operation. */
export interface OpRecord {
  kind: OpKind
  /** 1-based run number; 0 for the memory run */
  run: number
  /** 'before' / 'after' for the raw streams bracketing a put or get */
  position?: 'before' | 'after'
  bytes: number
  seconds: number
  mibps: number
  /** CPU of the process that ran the operation (putter or getter) */
  clientCpu: CpuSeconds
  /** CPU seconds (user + system) of each storage peer during the operation; peer-0, the raw streams' peer, first */
  peersCpu: number[]
  peakRss: number
  startRss: number
  /** raw streams: 1 when the first stream broke and a second one was used (see the stderr of the run) */
  retries?: number
  /** start and end on the monotonic clock (µs), the time base of --cpu-prof profiles */
  clockUs: [number, number]
  /** put: time to placement and to the manifest; get: time to the manifest and to the first byte; get: time in sha256 */
  phases?: Record<string, number | undefined>
}

export interface Verdict {
  name: string
  value: number
  unit: string
  target: number
  /** 'min': value must be >= target; 'max': value must be <= target */
  kind: 'min' | 'max'
  meets: boolean
  detail: string
}

export interface NetEnv {
  node: string
  v8: string
  platform: string
  cpu: string
  cores: number
  memory: string
  /** 1, 5, 15-minute load averages when the run started */
  loadStart: number[]
  /** ... and when it ended */
  loadEnd?: number[]
  kernel: string
  versions: Record<string, string>
  tmp: string
  /** git commit of the sources measured */
  source: string
  date: string
}

export interface NetConfig {
  peers: number
  preset: string
  dataShards: number
  parityShards: number
  size: number
  rawSize: number
  runs: number
  rssSize: number | null
  encrypt: boolean
  /** put's stripeBytes; undefined: shoal's default (1 MiB) */
  stripeBytes?: number
  quick: boolean
  cpuProfDir?: string
}

export interface MemoryRun {
  size: number
  put: OpRecord
  get: OpRecord
  /** process lifetime peak (resourceUsage().maxRSS) of the fresh putter and getter */
  putterMaxRss: number
  getterMaxRss: number
}

export interface NetReport {
  env: NetEnv
  config: NetConfig
  ops: OpRecord[]
  /**
   * per run: put / (raw push × k/n), get / raw pull; raw = mean of the two
   * streams bracketing the operation. fanout, fanin: MiB/s of the run's
   * raw-fanout and raw-fanin (absent in reports without them).
   */
  runs: Array<{ run: number, putMiBps: number, putRef: number, putRatio: number, getMiBps: number, getRef: number, getRatio: number, fanout?: number, fanin?: number }>
  /** what the traffic pattern alone reaches, against the one-stream reference and against put/get (not targets) */
  patterns: string[]
  memory: MemoryRun | null
  verdicts: Verdict[]
}

export function median (xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

function mean (xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}

/** Ratios per run, and the verdicts against the targets of issue 3. */
export function summarize (config: NetConfig, ops: OpRecord[], memory: MemoryRun | null): Pick<NetReport, 'runs' | 'verdicts' | 'patterns'> {
  const k = config.dataShards
  const n = config.dataShards + config.parityShards
  const runs: NetReport['runs'] = []
  for (let r = 1; r <= config.runs; r++) {
    const of = (kind: OpKind): OpRecord[] => ops.filter(o => o.run === r && o.kind === kind)
    const put = of('put')[0]
    const get = of('get')[0]
    if (put === undefined || get === undefined) continue
    const push = mean(of('raw-push').map(o => o.mibps))
    const pull = mean(of('raw-pull').map(o => o.mibps))
    const putRef = push * k / n
    const fanout = of('raw-fanout')[0]?.mibps
    const fanin = of('raw-fanin')[0]?.mibps
    runs.push({
      run: r, putMiBps: put.mibps, putRef, putRatio: put.mibps / putRef, getMiBps: get.mibps, getRef: pull, getRatio: get.mibps / pull,
      ...(fanout !== undefined ? { fanout } : {}), ...(fanin !== undefined ? { fanin } : {})
    })
  }
  const patterns: string[] = []
  const withFanout = runs.filter(x => x.fanout !== undefined)
  if (withFanout.length > 0) {
    const fanout = median(withFanout.map(x => x.fanout as number))
    const single = median(withFanout.map(x => x.putRef * n / k))
    patterns.push(`raw putter→${n} peers at once: ${fmt(fanout)} MiB/s, ${(fanout / single).toFixed(2)}x one stream (${fmt(single)} MiB/s); ` +
      `the put target asks for ${fmt(0.7 * single)} MiB/s of shard bytes on the wire; put / (fan-out × ${k}/${n}) = ${median(withFanout.map(x => x.putMiBps / ((x.fanout as number) * k / n))).toFixed(2)}x`)
  }
  const withFanin = runs.filter(x => x.fanin !== undefined)
  if (withFanin.length > 0) {
    const fanin = median(withFanin.map(x => x.fanin as number))
    const single = median(withFanin.map(x => x.getRef))
    patterns.push(`raw ${k} peers→getter at once: ${fmt(fanin)} MiB/s, ${(fanin / single).toFixed(2)}x one stream (${fmt(single)} MiB/s); ` +
      `get / fan-in = ${median(withFanin.map(x => x.getMiBps / (x.fanin as number))).toFixed(2)}x`)
  }
  const verdicts: Verdict[] = []
  if (runs.length > 0) {
    const putRatio = median(runs.map(x => x.putRatio))
    const getRatio = median(runs.map(x => x.getRatio))
    verdicts.push({
      name: `put goodput / (raw × ${k}/${n})`, value: putRatio, unit: 'x', target: 0.7, kind: 'min', meets: putRatio >= 0.7,
      detail: `put ${fmt(median(runs.map(x => x.putMiBps)))} MiB/s vs raw putter→peer ${fmt(median(runs.map(x => x.putRef)) * n / k)} MiB/s × ${k}/${n}`
    })
    verdicts.push({
      name: 'get goodput / raw', value: getRatio, unit: 'x', target: 0.8, kind: 'min', meets: getRatio >= 0.8,
      detail: `get ${fmt(median(runs.map(x => x.getMiBps)))} MiB/s vs raw peer→getter ${fmt(median(runs.map(x => x.getRef)))} MiB/s`
    })
  }
  if (memory !== null) {
    for (const [who, op, lifetime] of [['putter', memory.put, memory.putterMaxRss], ['getter', memory.get, memory.getterMaxRss]] as const) {
      const peak = Math.max(op.peakRss, lifetime)
      verdicts.push({
        name: `peak RSS of the ${who}, ${formatBytes(memory.size)} file`, value: peak / MiB, unit: 'MiB', target: 300, kind: 'max', meets: peak <= 300 * MiB,
        detail: `sampled during the ${op.kind} ${fmt(op.peakRss / MiB)} MiB (${fmt(op.startRss / MiB)} MiB before it), process maxRSS ${fmt(lifetime / MiB)} MiB`
      })
    }
  }
  return { runs, verdicts, patterns }
}

function fmt (x: number): string {
  if (!Number.isFinite(x)) return String(x)
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)
}

export function formatEnv (env: NetEnv, config: NetConfig): string {
  const load = (l: number[]): string => l.map(x => x.toFixed(2)).join(' / ')
  const rows: Array<[string, string]> = [
    ['node', `${env.node} (${env.platform})`],
    ['v8', env.v8],
    ['cpu', `${env.cpu}, ${env.cores} cores, ${env.memory} RAM`],
    ['load', `${load(env.loadStart)} (1/5/15-min averages at start)${env.loadEnd !== undefined ? `; ${load(env.loadEnd)} at end` : ''}`],
    ['source', `${env.source}, ${env.date}`],
    ['codec kernel', env.kernel],
    ['stack', Object.entries(env.versions).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['network', `${config.peers} storage peers + putter + getter, each its own process, TCP on 127.0.0.1; ${config.preset} ${config.dataShards}+${config.parityShards}; encryption ${config.encrypt ? 'on (AES-256-GCM)' : 'off'}; stripes ${config.stripeBytes === undefined ? '1 MiB (default)' : formatBytes(config.stripeBytes)}; stores on ${env.tmp}`],
    ['method', `${config.runs} run(s) of: raw putter→peer, put ${formatBytes(config.size)}, raw putter→peer, raw putter→${config.dataShards + config.parityShards} peers, raw peer→getter, get, raw peer→getter, raw ${config.dataShards} peers→getter (raw streams ${formatBytes(config.rawSize)} in total); ratios per run against the mean of the two raw streams around the operation, median over runs${config.rssSize !== null ? `; then a memory run of ${formatBytes(config.rssSize)} with a fresh putter and getter` : ''}${config.quick ? '; QUICK: smoke test, not a figure' : ''}`]
  ]
  const width = Math.max(...rows.map(r => r[0].length))
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}

const label: Record<OpKind, string> = {
  'raw-push': 'raw putter→peer',
  'raw-pull': 'raw peer→getter',
  'raw-fanout': 'raw putter→n peers',
  'raw-fanin': 'raw k peers→getter',
  put: 'put',
  get: 'get'
}

function cpuCell (c: CpuSeconds, seconds: number): string {
  return `${fmt((c.user + c.system) / seconds * 100)}%`
}

export function formatReport (report: NetReport): string {
  const out: string[] = []
  const rows = report.ops.map(o => [
    o.run === 0 ? 'memory' : String(o.run),
    `${label[o.kind]}${o.position !== undefined ? ` (${o.position})` : ''}${o.retries !== undefined ? ' (retried)' : ''}`,
    formatBytes(o.bytes),
    fmt(o.seconds),
    fmt(o.mibps),
    cpuCell(o.clientCpu, o.seconds),
    `${fmt(o.peersCpu.reduce((a, b) => a + b, 0) / o.seconds * 100)}%`,
    fmt((o.clientCpu.user + o.clientCpu.system + o.peersCpu.reduce((a, b) => a + b, 0)) / (o.bytes / GiB)),
    fmt(o.startRss / MiB),
    fmt(o.peakRss / MiB),
    o.phases === undefined ? '' : Object.entries(o.phases).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${fmt(v as number)}s`).join(', ')
  ])
  out.push(table(
    ['run', 'operation', 'bytes', 's', 'MiB/s', 'client CPU', 'peers CPU', 'CPU s/GiB', 'RSS before', 'peak RSS', 'phases'],
    rows, [true, false, true, true, true, true, true, true, true, true, false]))
  out.push([
    'client CPU: the putter or getter, % of one core; peers CPU: all storage peers together, % of one core;',
    'CPU s/GiB: CPU seconds of all these processes per GiB of file (or raw stream) moved, a figure less sensitive to other load than MiB/s;',
    'RSS (MiB) of the putter/getter just before the operation, and its peak sampled every 50 ms during it.'
  ].join('\n'))

  if (report.runs.length > 0) {
    out.push(table(
      ['run', 'put MiB/s', 'raw×k/n MiB/s', 'put ratio', 'get MiB/s', 'raw MiB/s', 'get ratio'],
      report.runs.map(r => [String(r.run), fmt(r.putMiBps), fmt(r.putRef), `${r.putRatio.toFixed(2)}x`, fmt(r.getMiBps), fmt(r.getRef), `${r.getRatio.toFixed(2)}x`]),
      [true, true, true, true, true, true, true]))
  }
  if (report.patterns.length > 0) out.push(['the traffic patterns alone (not targets):', ...report.patterns.map(p => `  ${p}`)].join('\n'))
  out.push(report.verdicts.map(v => {
    const value = v.unit === 'x' ? `${v.value.toFixed(2)}x` : `${fmt(v.value)} ${v.unit}`
    const target = v.unit === 'x' ? `${v.kind === 'min' ? '>=' : '<='} ${v.target}x` : `${v.kind === 'min' ? '>=' : '<='} ${v.target} ${v.unit}`
    return `${v.name}: ${value} (target ${target}: ${v.meets ? 'meets' : 'below'}) — ${v.detail}`
  }).join('\n'))
  return out.join('\n\n')
}

function round (x: number): number {
  return Number(x.toPrecision(4))
}

/** One JSON object, figures rounded to 4 significant digits. */
export function toJson (report: NetReport): string {
  return JSON.stringify(report, (_key, value: unknown) => typeof value === 'number' && !Number.isInteger(value) ? round(value) : value, 2)
}
