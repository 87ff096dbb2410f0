/**
 * Network benchmark (issue 3): put and get of a file over n storage peers on
 * loopback, each peer its own process, against the raw throughput of one
 * libp2p stream between the same processes, measured in the same run; then
 * the peak RSS of the putting and of the getting process for a 2 GiB file.
 *
 *   node --import tsx bench/network.ts [--quick] [--json] [--size 256MiB] [--rss-size 2GiB | --no-rss] ...
 *   npm run bench:network [-- --json]
 *
 * See bench/README.md (Network). Progress goes to stderr; the table (or with
 * --json, one JSON object and nothing else) goes to stdout. Exit status: 0
 * when the run completed (targets met or not), 1 when it failed (a wrong byte,
 * a peer that died, a timeout), 2 on bad arguments, 130 on Ctrl-C.
 */
import '../src/polyfill.js'
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, statfs } from 'node:fs/promises'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { availableKernels, PRESETS } from '../src/index.js'
import { formatEnv, formatReport, summarize, toJson } from './lib/net-report.js'
import { formatBytes, GiB, mibps, MiB, parseSize } from './lib/net-shared.js'
import type { Answer, Command, GetReport, OpReport, PeerConfig, PutReport, UsageReport } from './lib/net-shared.js'
import type { MemoryRun, NetConfig, NetEnv, NetReport, OpKind, OpRecord, RawKind } from './lib/net-report.js'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import type { PresetName } from '../src/index.js'

/** Time after the storage peers are up before anything is measured (their last early DHT announcement is at 30 s). */
const SETTLE_MS = 32_000

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
const PEER_SCRIPT = join(ROOT, 'bench', 'lib', 'net-peer.ts')

export const USAGE = `usage: node --import tsx bench/network.ts [options]
  --peers N          storage peers, each its own process (default: n of the preset)
  --preset NAME      minimal 2+1 | personal 3+2 | federation 5+4 | paranoid 7+8 (default personal)
  --size SIZE        file size of the put/get runs (default 256MiB)
  --raw-size SIZE    bytes of each raw reference stream (default: --size, at most 256MiB)
  --runs R           put/get runs, each bracketed by raw streams; median over runs (default 3)
  --rss-size SIZE    file size of the memory run, fresh putter and getter (default 2GiB)
  --no-rss           skip the memory run
  --no-encrypt       put with encrypt: false (to see what encryption costs)
  --stripe SIZE      put with this stripeBytes (default: shoal's, 1 MiB)
  --quick            smoke test: 32MiB, 1 run, no memory run (figures are not results)
  --cpu-prof DIR     run every peer process with node --cpu-prof, profiles in DIR/<process name>/
  --tmp DIR          where the storage peers' data directories go (default: the OS temp dir)
  --json             print one JSON object to stdout, nothing else
  --verbose          forward the peers' stderr
Sizes: 256MiB, 2GiB, 1000000 (bytes).`

interface NetArgs extends NetConfig {
  json: boolean
  verbose: boolean
  tmp: string
  help: boolean
}

function parseNetArgs (argv: string[]): NetArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      peers: { type: 'string' },
      preset: { type: 'string', default: 'personal' },
      size: { type: 'string' },
      'raw-size': { type: 'string' },
      runs: { type: 'string' },
      'rss-size': { type: 'string' },
      'no-rss': { type: 'boolean', default: false },
      'no-encrypt': { type: 'boolean', default: false },
      stripe: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      tmp: { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  const preset = values.preset as string
  if (!(preset in PRESETS)) throw new Error(`unknown preset ${JSON.stringify(preset)}: ${Object.keys(PRESETS).join(', ')}`)
  const [dataShards, parityShards] = PRESETS[preset as PresetName]
  const quick = values.quick === true
  const peers = values.peers === undefined ? dataShards + parityShards : Number(values.peers)
  if (!Number.isInteger(peers) || peers < dataShards + parityShards || peers > 64) {
    throw new Error(`--peers must be an integer in ${dataShards + parityShards}..64 for ${preset} ${dataShards}+${parityShards}`)
  }
  const runs = values.runs === undefined ? (quick ? 1 : 3) : Number(values.runs)
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error('--runs must be an integer in 1..20')
  const size = values.size === undefined ? (quick ? 32 * MiB : 256 * MiB) : parseSize(values.size)
  const rawSize = values['raw-size'] === undefined ? Math.min(size, 256 * MiB) : parseSize(values['raw-size'])
  const rssSize = quick || values['no-rss'] === true ? null : values['rss-size'] === undefined ? 2 * GiB : parseSize(values['rss-size'])
  return {
    peers, preset, dataShards, parityShards, size, rawSize, runs, rssSize, quick,
    encrypt: values['no-encrypt'] !== true,
    ...(values.stripe !== undefined ? { stripeBytes: parseSize(values.stripe) } : {}),
    cpuProfDir: values['cpu-prof'],
    tmp: values.tmp ?? os.tmpdir(),
    json: values.json === true,
    verbose: values.verbose === true,
    help: values.help === true
  }
}

const T0 = performance.now()
function progress (line: string): void {
  process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`)
}

/** Generous but finite limit for moving `bytes`: a minute plus 2 MiB/s. */
function limitFor (bytes: number): number {
  return 60_000 + Math.ceil(bytes / (2 * MiB)) * 1000
}

/** A peer process, with a line-based command channel (one command at a time). */
class Child {
  readonly name: string
  readonly process: ChildProcessWithoutNullStreams
  peerId = ''
  addrs: string[] = []
  private readonly lines: AsyncIterator<string>
  private readonly stderrTail: string[] = []
  private exited: Promise<void>

  constructor (config: PeerConfig, execArgv: string[], verbose: boolean) {
    this.name = config.name
    this.process = spawn(process.execPath, ['--import', 'tsx', ...execArgv, PEER_SCRIPT, JSON.stringify(config)], { cwd: ROOT, stdio: 'pipe' })
    this.exited = new Promise(resolve => this.process.once('exit', () => { resolve() }))
    this.lines = createInterface({ input: this.process.stdout })[Symbol.asyncIterator]()
    createInterface({ input: this.process.stderr }).on('line', line => {
      this.stderrTail.push(line)
      if (this.stderrTail.length > 40) this.stderrTail.shift()
      if (verbose || /raw (stream|pull|push) failed/.test(line)) progress(`[${this.name}] ${line}`)
    })
  }

  get alive (): boolean {
    return this.process.exitCode === null && this.process.signalCode === null
  }

  /** The last lines this process wrote on stderr. */
  get stderr (): readonly string[] {
    return this.stderrTail
  }

  private failure (what: string): Error {
    const tail = this.stderrTail.length > 0 ? `\n--- last stderr lines of ${this.name} ---\n${this.stderrTail.join('\n')}` : ''
    return new Error(`${this.name}: ${what}${tail}`)
  }

  /** The next JSON answer (non-JSON stdout lines are skipped), within `timeoutMs`. */
  async answer (timeoutMs: number): Promise<Answer> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(this.failure(`no answer within ${Math.round(timeoutMs / 1000)} s`)) }, timeoutMs)
    })
    try {
      while (true) {
        const next = await Promise.race([this.lines.next(), timeout])
        if (next.done === true) {
          await Promise.race([this.exited, new Promise(resolve => setTimeout(resolve, 1000))])
          throw this.failure(`exited (code ${String(this.process.exitCode)}, signal ${String(this.process.signalCode)})`)
        }
        const line = next.value.trim()
        if (!line.startsWith('{')) continue
        try {
          return JSON.parse(line) as Answer
        } catch {
          continue
        }
      }
    } finally {
      clearTimeout(timer)
    }
  }

  async ready (timeoutMs = 60_000): Promise<void> {
    const a = await this.answer(timeoutMs)
    if (a.type !== 'ready') throw this.failure(`expected ready, got ${JSON.stringify(a)}`)
    this.peerId = a.peerId
    this.addrs = a.addrs
    progress(`${this.name} ready: pid ${a.pid}, ${a.peerId}`)
  }

  async command<T> (c: Command, timeoutMs: number): Promise<T> {
    if (!this.alive) throw this.failure('is not running')
    this.process.stdin.write(`${JSON.stringify(c)}\n`)
    const a = await this.answer(timeoutMs)
    if (a.type === 'error') throw this.failure(`${c.cmd} failed: ${a.name}: ${a.message}`)
    if (a.type !== 'ok' || a.cmd !== c.cmd) throw this.failure(`unexpected answer to ${c.cmd}: ${JSON.stringify(a)}`)
    return a.result as T
  }

  /** Asks the peer to exit; kills it if it has not within `graceMs`. Never throws. */
  async stop (graceMs = 8000): Promise<void> {
    if (!this.alive) return
    try { this.process.stdin.write(`${JSON.stringify({ cmd: 'exit' })}\n`) } catch {}
    const timer = setTimeout(() => { this.process.kill('SIGKILL') }, graceMs)
    await this.exited
    clearTimeout(timer)
  }

  killNow (): void {
    if (this.alive) this.process.kill('SIGKILL')
  }
}

function packageVersion (name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return '?'
  }
}

/** The commit the sources come from, and whether src/ differs from it (read-only git calls). */
function describeSource (): string {
  const git = (...args: string[]): string | undefined => {
    const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8', timeout: 5000 })
    return r.status === 0 ? r.stdout.trim() : undefined
  }
  const commit = git('rev-parse', '--short', 'HEAD')
  if (commit === undefined) return 'unknown (no git)'
  const changed = git('status', '--porcelain', '--', 'src')?.split('\n').filter(l => l.trim() !== '').length ?? 0
  return changed === 0 ? `commit ${commit}` : `commit ${commit} + ${changed} uncommitted change(s) in src/`
}

async function describeEnv (tmp: string): Promise<NetEnv> {
  const cpus = os.cpus()
  const kernels = availableKernels()
  let fsType = ''
  try {
    const s = await statfs(tmp)
    fsType = `, ${formatBytes(Math.floor(s.bavail * s.bsize / GiB) * GiB)} free`
  } catch {}
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory: formatBytes(Math.round(os.totalmem() / GiB) * GiB),
    loadStart: os.loadavg().map(x => Number(x.toFixed(2))),
    kernel: `${kernels[0]} (available: ${kernels.join(', ')})`,
    versions: Object.fromEntries(['libp2p', '@libp2p/tcp', '@chainsafe/libp2p-noise', '@libp2p/yamux'].map(p => [p, packageVersion(p)])),
    tmp: `${tmp}${fsType}`,
    source: describeSource(),
    date: new Date().toISOString()
  }
}

function sumCpu (usages: UsageReport[]): number {
  return usages.reduce((a, u) => a + u.cpu.user + u.cpu.system, 0)
}

class Bench {
  readonly children: Child[] = []
  storage: Child[] = []
  tmpDir = ''
  storageReadyAt = 0
  readonly ops: OpRecord[] = []

  constructor (readonly args: NetArgs) {}

  spawn (config: PeerConfig, profile: boolean): Child {
    const execArgv = profile && this.args.cpuProfDir !== undefined
      // one directory per process: with --import tsx, the module loader's thread writes a profile too
      ? ['--cpu-prof', '--cpu-prof-dir', join(this.args.cpuProfDir, config.name)]
      : []
    const child = new Child(config, execArgv, this.args.verbose)
    this.children.push(child)
    return child
  }

  async startStorage (): Promise<void> {
    this.tmpDir = await mkdtemp(join(this.args.tmp, 'shoal-bench-net-'))
    const capacityBytes = 1024 * GiB // advertised room; the disk is checked before the memory run
    const first = this.spawn({ role: 'storage', name: 'peer-0', dir: join(this.tmpDir, 'peer-0'), capacityBytes, bootstrap: [] }, true)
    await first.ready()
    const rest = Array.from({ length: this.args.peers - 1 }, (_, i) => this.spawn({
      role: 'storage', name: `peer-${i + 1}`, dir: join(this.tmpDir, `peer-${i + 1}`), capacityBytes, bootstrap: first.addrs
    }, true))
    await Promise.all(rest.map(async c => { await c.ready() }))
    this.storage = [first, ...rest]
    this.storageReadyAt = performance.now()
  }

  /** A putter or getter (capacity 0) bootstrapped from every storage peer, once it sees all of them with room. */
  async startClient (name: string): Promise<Child> {
    const child = this.spawn({ role: 'client', name, capacityBytes: 0, bootstrap: this.storage.flatMap(s => s.addrs) }, true)
    await child.ready()
    await child.command({ cmd: 'wait-peers', count: this.args.peers, timeoutMs: 60_000 }, 75_000)
    return child
  }

  async peersUsage (): Promise<UsageReport[]> {
    return await Promise.all(this.storage.map(async s => await s.command<UsageReport>({ cmd: 'usage' }, 10_000)))
  }

  /** Runs one operation on `client` and records it with the storage peers' CPU over the same interval. */
  async op<T extends OpReport> (client: Child, kind: OpKind, run: number, c: Command, position?: 'before' | 'after'): Promise<T> {
    const before = await this.peersUsage()
    const timeoutMs = 'timeoutMs' in c ? c.timeoutMs + 15_000 : 60_000
    const r = await client.command<T>(c, timeoutMs)
    const after = await this.peersUsage()
    const each = after.map((u, i) => sumCpu([u]) - sumCpu([before[i]]))
    const record: OpRecord = {
      kind, run, bytes: r.bytes, seconds: r.seconds, mibps: mibps(r.bytes, r.seconds),
      clientCpu: r.cpu, peersCpu: each, peakRss: r.peakRss, startRss: r.startRss, clockUs: r.clockUs
    }
    const retries = (r as { retries?: number }).retries ?? 0
    if (retries > 0) record.retries = retries
    if (position !== undefined) record.position = position
    if (kind === 'put') {
      const p = r as unknown as PutReport
      record.phases = { placement: p.placementSeconds, shards: p.shardsSeconds }
    } else if (kind === 'get') {
      const g = r as unknown as GetReport
      record.phases = { manifest: g.manifestSeconds, 'first byte': g.firstByteSeconds, sha256: g.hashSeconds }
    }
    this.ops.push(record)
    progress(`  ${client.name} ${kind}${position !== undefined ? ` (${position})` : ''}: ${formatBytes(r.bytes)} in ${r.seconds.toFixed(2)} s = ${record.mibps.toFixed(1)} MiB/s; CPU s: client ${(r.cpu.user + r.cpu.system).toFixed(2)}, peers ${each.map(x => x.toFixed(2)).join(' ')} (clock µs ${r.clockUs[0]}-${r.clockUs[1]})`)
    return r
  }

  /**
   * A raw reference: one stream with peer-0 (raw-push, raw-pull), or the
   * traffic pattern of a put or a get without shoal's work (raw-fanout: the
   * putter streams to n peers at once; raw-fanin: the getter pulls from k
   * peers at once), `bytes` in total either way.
   */
  async raw (client: Child, kind: RawKind, run: number, bytes: number, position?: 'before' | 'after'): Promise<void> {
    const { dataShards: k, parityShards: m } = this.args
    const peers = (kind === 'raw-fanout' ? this.storage.slice(0, k + m) : kind === 'raw-fanin' ? this.storage.slice(0, k) : this.storage.slice(0, 1)).map(s => s.peerId)
    const cmd = kind === 'raw-push' || kind === 'raw-fanout' ? 'raw-push' : 'raw-pull'
    await this.op(client, kind, run, { cmd, peers, bytes, timeoutMs: limitFor(bytes) }, position)
  }

  async putGet (putter: Child, getter: Child, size: number, seed: number, record: { run: number, bracket: boolean } | null): Promise<{ put: PutReport, get: GetReport }> {
    const { dataShards, parityShards, encrypt, stripeBytes } = this.args
    const putCmd: Command = { cmd: 'put', size, seed, dataShards, parityShards, encrypt, stripeBytes, timeoutMs: limitFor(size) }
    let put: PutReport
    if (record === null) {
      put = await putter.command<PutReport>(putCmd, limitFor(size) + 15_000)
    } else {
      const bracket = record.bracket
      if (bracket) await this.raw(putter, 'raw-push', record.run, this.args.rawSize, 'before')
      put = await this.op<PutReport>(putter, 'put', record.run, putCmd)
      if (bracket) await this.raw(putter, 'raw-push', record.run, this.args.rawSize, 'after')
      if (bracket) await this.raw(putter, 'raw-fanout', record.run, this.args.rawSize)
    }
    const getCmd: Command = { cmd: 'get', handle: put.handle, timeoutMs: limitFor(size) }
    let get: GetReport
    if (record === null) {
      get = await getter.command<GetReport>(getCmd, limitFor(size) + 15_000)
    } else {
      if (record.bracket) await this.raw(getter, 'raw-pull', record.run, this.args.rawSize, 'before')
      get = await this.op<GetReport>(getter, 'get', record.run, getCmd)
      if (record.bracket) await this.raw(getter, 'raw-pull', record.run, this.args.rawSize, 'after')
      if (record.bracket) await this.raw(getter, 'raw-fanin', record.run, this.args.rawSize)
    }
    // The putter regenerates its file and hashes it (outside the timed put).
    const expected = await putter.command<{ sha256: string }>({ cmd: 'hash', size, seed }, limitFor(size))
    if (get.bytes !== size || get.sha256 !== expected.sha256) {
      throw new BenchCheckFailure(`get returned ${get.bytes} bytes with sha256 ${get.sha256}; the putter put ${size} bytes with sha256 ${expected.sha256}`)
    }
    return { put, get }
  }

  async checkDisk (bytes: number): Promise<void> {
    const s = await statfs(this.tmpDir)
    const free = s.bavail * s.bsize
    if (free < bytes) throw new Error(`the memory run needs about ${formatBytes(bytes)} of disk in ${this.args.tmp}, ${formatBytes(free)} free (use --tmp DIR or --no-rss)`)
  }

  async memoryRun (size: number): Promise<MemoryRun> {
    const n = this.args.dataShards + this.args.parityShards
    await this.checkDisk(Math.ceil(size * n / this.args.dataShards * 1.1))
    progress(`memory run: put and get of ${formatBytes(size)} with a fresh putter and getter`)
    const putter = await this.startClient('putter-rss')
    const getter = await this.startClient('getter-rss')
    await this.putGet(putter, getter, size, 0x2000, { run: 0, bracket: false })
    const [pu, gu] = await Promise.all([putter.command<UsageReport>({ cmd: 'usage' }, 10_000), getter.command<UsageReport>({ cmd: 'usage' }, 10_000)])
    const put = this.ops.find(o => o.run === 0 && o.kind === 'put') as OpRecord
    const get = this.ops.find(o => o.run === 0 && o.kind === 'get') as OpRecord
    await Promise.all([putter.stop(), getter.stop()])
    return { size, put, get, putterMaxRss: pu.maxRss, getterMaxRss: gu.maxRss }
  }

  async run (env: NetEnv): Promise<NetReport> {
    const a = this.args
    progress(`starting ${a.peers} storage peers in ${a.tmp}`)
    await this.startStorage()
    progress('starting the putter and the getter')
    const [putter, getter] = await Promise.all([this.startClient('putter'), this.startClient('getter')])

    // The first transfers of a process run at a third of the later speed (JIT): warm both directions up.
    const warm = a.quick ? 16 * MiB : 64 * MiB
    progress(`warm-up: raw streams of ${formatBytes(warm)} both ways, put and get of 8 MiB`)
    await putter.command({ cmd: 'raw-push', peers: [this.storage[0].peerId], bytes: warm, timeoutMs: limitFor(warm) }, limitFor(warm) + 15_000)
    await getter.command({ cmd: 'raw-pull', peers: [this.storage[0].peerId], bytes: warm, timeoutMs: limitFor(warm) }, limitFor(warm) + 15_000)
    await this.putGet(putter, getter, 8 * MiB, 0x1000, null)

    // Storage peers announce themselves in the DHT 1, 3, 10 and 30 s after
    // they start (EARLY_ANNOUNCE_DELAYS_MS in src/node/constants.ts): measure
    // the network in its steady state, after the last of those.
    const settle = a.quick ? 0 : this.storageReadyAt + SETTLE_MS - performance.now()
    if (settle > 0) {
      progress(`waiting ${(settle / 1000).toFixed(0)} s for the storage peers' start-up announcements to pass`)
      await new Promise(resolve => setTimeout(resolve, settle))
    }

    for (let r = 1; r <= a.runs; r++) {
      progress(`run ${r}/${a.runs}: ${formatBytes(a.size)}`)
      await this.putGet(putter, getter, a.size, r, { run: r, bracket: true })
    }
    await Promise.all([putter.stop(), getter.stop()])

    const memory = a.rssSize === null ? null : await this.memoryRun(a.rssSize)
    env.loadEnd = os.loadavg().map(x => Number(x.toFixed(2)))
    const config: NetConfig = {
      peers: a.peers, preset: a.preset, dataShards: a.dataShards, parityShards: a.parityShards, size: a.size, rawSize: a.rawSize,
      runs: a.runs, rssSize: a.rssSize, encrypt: a.encrypt, quick: a.quick, ...(a.stripeBytes !== undefined ? { stripeBytes: a.stripeBytes } : {}), ...(a.cpuProfDir !== undefined ? { cpuProfDir: a.cpuProfDir } : {})
    }
    return { env, config, ops: this.ops, ...summarize(config, this.ops, memory), memory }
  }

  /** Stops every process (killing those that do not exit) and removes the data directories. */
  async cleanup (): Promise<void> {
    await Promise.allSettled(this.children.map(async c => { await c.stop() }))
    if (this.tmpDir !== '') await rm(this.tmpDir, { recursive: true, force: true }).catch(() => {})
  }
}

class BenchCheckFailure extends Error {}

async function main (): Promise<number> {
  let args: NetArgs
  try {
    args = parseNetArgs(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const env = await describeEnv(args.tmp)
  const config: NetConfig = { ...args }
  if (!args.json) process.stdout.write(`shoal network benchmark\n\n${formatEnv(env, config)}\n\n`)

  const bench = new Bench(args)
  let interrupted = false
  const onSignal = (): void => {
    if (interrupted) return
    interrupted = true
    progress('interrupted: stopping the peers')
    void bench.cleanup().finally(() => process.exit(130))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // last resort if we exit without cleaning up
  process.on('exit', () => { for (const c of bench.children) c.killNow() })

  try {
    const report = await bench.run(env)
    process.stdout.write(args.json ? `${toJson(report)}\n` : `${formatReport(report)}\n\nload average at end: ${(env.loadEnd ?? []).join(' / ')}\n`)
    return 0
  } catch (err) {
    if (err instanceof BenchCheckFailure) {
      process.stderr.write(`correctness check failed, no figures reported: ${err.message}\n`)
    } else {
      process.stderr.write(`network benchmark failed: ${(err as Error).message}\n`)
      for (const c of bench.children) {
        const lines = c.stderr.filter(l => l.trim() !== '').slice(-10)
        if (lines.length > 0 && !(err as Error).message.includes(`last stderr lines of ${c.name}`)) {
          process.stderr.write(`--- last stderr lines of ${c.name} ---\n${lines.join('\n')}\n`)
        }
      }
    }
    return 1
  } finally {
    await bench.cleanup()
  }
}

process.exitCode = await main()
