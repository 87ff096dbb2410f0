/** Options, events and results of the simulation. */

import type { PresetName } from '../node/constants.js'

export type ScenarioName = 'kill' | 'churn' | 'corrupt' | 'liar' | 'partition'
export const SCENARIOS: readonly ScenarioName[] = ['kill', 'churn', 'corrupt', 'liar', 'partition']

export interface SimulateOptions {
  /** Peers to start. Default 12. */
  peers?: number
  /** Files to store. Default 4. */
  files?: number
  /** Bytes per file. Default 1 MiB. */
  fileBytes?: number
  /** Redundancy: a preset (default 'personal', 3-of-5) or explicit counts. */
  preset?: PresetName
  dataShards?: number
  parityShards?: number
  /** Default 'kill'. */
  scenario?: ScenarioName
  /** Seeds identities, placement, file contents and every choice: the same seed replays the same run. Default 1. */
  seed?: number
  /**
   * 'tcp' (127.0.0.1, the default) or 'memory' (@libp2p/memory: no sockets;
   * for networks too large for the process's file descriptors, ~2 per
   * connection, dozens of connections per peer).
   */
  transport?: 'tcp' | 'memory'
  /** Storage each peer offers. Default 256 MiB. */
  capacityBytes?: number
  signal?: AbortSignal
  onProgress?: (event: SimEvent) => void
}

export interface SimStep {
  step: number
  /** What happened in this step, in words. */
  action: string
  peersAlive: number
  filesReadable: number
  filesTotal: number
  /** Shards that became unavailable in this step (dead or damaged holders). */
  shardsLost: number
  /** Shards regenerated onto other peers in this step. */
  shardsRepaired: number
  /** Bytes fetched and stored by repair in this step. */
  repairBytes: number
  /** Damaged shards that the audits flagged in this step. */
  corruptFound: number
  /** Audit challenges a holder failed in this step (it claimed a block it could not prove). */
  auditFailures: number
  /** Wall time of the step, ms. */
  ms: number
  /** Files that could not be read, with the error's name. */
  unreadable: Array<{ file: number, error: string }>
  /** Files the placement says should be readable now. */
  expectedReadable: number
  /** Every readable file came back byte for byte, and readability matched the expectation. */
  ok: boolean
}

export interface SimReport {
  scenario: ScenarioName
  seed: number
  peers: number
  files: number
  fileBytes: number
  dataShards: number
  parityShards: number
  /**
   * Time to start the peers and until the owner knew every other one as a
   * storage peer (above 32 peers: 4n of them), ms.
   */
  convergenceMs: number
  steps: SimStep[]
  /** Every step ok. */
  ok: boolean
  /** Largest resident set size seen during the run, bytes. */
  peakRssBytes: number
}

export type SimEvent =
  | { type: 'sim:start', detail: { peers: number, files: number, scenario: ScenarioName, seed: number } }
  | { type: 'sim:converged', detail: { ms: number } }
  | { type: 'sim:stored', detail: { files: number, ms: number } }
  | { type: 'sim:step', detail: SimStep }
