/**
 * The simulation: start a network, store files, then break it step by step
 * (scenario), reading every file back after every step and checking each byte
 * and each outcome against what the placement says should happen.
 *
 * - kill:      m holders of one file stop at once (everything stays readable),
 *              then one more (exactly the files that lost more than m shards
 *              become unreadable, with FileUnavailableError). No repair.
 * - churn:     round after round a holder leaves and a new peer joins; the
 *              owner's periodic check repairs. Goes well past m failures in total.
 * - corrupt:   bytes are flipped in stored blocks (at most m shards per file);
 *              get never returns them, the check's audits find every one and
 *              repair replaces them.
 * - liar:      a holder drops every block it holds but keeps saying it has
 *              them; audits catch it, its shards are rebuilt elsewhere, and it
 *              is not chosen for the next file.
 * - partition: the network is cut in two; the owner's side repairs what it can
 *              reach; after healing every file is readable and whole.
 *
 * The owner's periodic check (the node's own audit, lease renewal and repair,
 * `checkAll()`) runs after each step instead of on its timer, so that a run
 * with the same seed replays step for step.
 */

import { resolveRedundancy } from '../node/redundancy.js'
import { SimNetwork } from './network.js'
import { SCENARIO_STEPS } from './scenarios.js'
import { CONVERGE_TIMEOUT_MS, emit, random, sha256, step } from './steps.js'
import type { SimFile, StepContext } from './steps.js'
import type { ScenarioName, SimReport, SimulateOptions } from './types.js'

/**
 * Up to this many peers the owner waits to know every other peer (placement
 * then sees the whole network, and a seed replays exactly); above it, to know
 * 4n of them, with every routing table filled a little.
 */
const FULL_VIEW_PEERS = 32

export async function simulate (options: SimulateOptions = {}): Promise<SimReport> {
  const peers = options.peers ?? 12
  const fileCount = options.files ?? 4
  const fileBytes = options.fileBytes ?? 1024 * 1024
  const seed = options.seed ?? 1
  const scenario: ScenarioName = options.scenario ?? 'kill'
  const { dataShards: k, parityShards: m } = resolveRedundancy(options)
  const n = k + m
  if (!Number.isSafeInteger(peers) || peers < n + 1) throw new RangeError(`the ${scenario} scenario needs at least ${n + 1} peers for ${k}-of-${n}`)
  if (!Number.isSafeInteger(fileCount) || fileCount < 1) throw new RangeError('files must be a positive integer')
  if (!Number.isSafeInteger(fileBytes) || fileBytes < 0) throw new RangeError('fileBytes must be a non-negative integer')

  const rng = random(seed)
  // Every block of every holder is challenged: the corrupt scenario must catch every flipped byte.
  const net = new SimNetwork(seed, options.capacityBytes ?? 256 * 1024 * 1024, peers, {
    checkIntervalMs: 0,
    gcIntervalMs: 0,
    auditChallenges: 'all',
    libp2p: options.transport === 'memory' ? { transport: 'memory' } : undefined
  })
  const report: SimReport = { scenario, seed, peers, files: fileCount, fileBytes, dataShards: k, parityShards: m, convergenceMs: 0, steps: [], ok: false, peakRssBytes: 0 }
  const rssTimer = setInterval(() => { report.peakRssBytes = Math.max(report.peakRssBytes, process.memoryUsage().rss) }, 100)
  emit(options, { type: 'sim:start', detail: { peers, files: fileCount, scenario, seed } })

  try {
    const started = Date.now()
    for (let i = 0; i < peers; i++) await net.add()
    const owner = net.peers[0] // puts, reads and repairs; never killed
    const minKnown = peers <= FULL_VIEW_PEERS ? undefined : 4 * n
    await net.converge(owner, CONVERGE_TIMEOUT_MS, options.signal, minKnown)
    report.convergenceMs = Date.now() - started
    emit(options, { type: 'sim:converged', detail: { ms: report.convergenceMs } })

    const stored = Date.now()
    const files: SimFile[] = []
    for (let f = 0; f < fileCount; f++) {
      const data = rng.bytes(fileBytes)
      const put = await owner.node.put(data, { dataShards: k, parityShards: m, placementSeed: rng.bytes(16), signal: options.signal })
      files.push({ index: f, handle: put.handle, sha256: sha256(data), holders: put.holders.map(h => new Set([h])) })
    }
    emit(options, { type: 'sim:stored', detail: { files: fileCount, ms: Date.now() - stored } })

    const ctx: StepContext = { net, owner, files, k, m, rng, options, report, minKnown }
    await step(ctx, 'all files stored', async () => ({}))
    await SCENARIO_STEPS[scenario](ctx)
    report.ok = report.steps.every(s => s.ok)
    return report
  } finally {
    clearInterval(rssTimer)
    report.peakRssBytes = Math.max(report.peakRssBytes, process.memoryUsage().rss)
    await net.stop()
  }
}
