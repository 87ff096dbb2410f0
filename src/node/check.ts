/**
 * The periodic check of a file: audit every shard's holders (renewing their
 * leases on the way), compute health = (healthy − k) / (n − k) from the audits,
 * and repair as soon as `repairAfterLost` shards have no healthy holder. A node
 * runs it on every file it tracks (those it put, and any it was asked to
 * track) every `checkIntervalMs`; it needs no decryption key.
 */

import { parseHandle } from '../format/handle.js'
import { Key } from 'interface-datastore'
import { DEFAULT_LEASE_MS, DEFAULT_REPAIR_AFTER_LOST } from './constants.js'
import { emit } from './events.js'
import { loadManifest } from './manifest-lookup.js'
import { auditedHealth, repairFile } from './repair.js'
import type { AuditResult } from './audit.js'
import type { NodeContext } from './context.js'
import type { ProgressOptions } from './events.js'
import type { RepairReport } from './repair.js'
import type { Datastore } from 'interface-datastore'

export interface CheckOptions extends ProgressOptions {
  /** Lease renewed on the healthy holders and asked of new ones. Default DEFAULT_LEASE_MS. */
  leaseMs?: number
  /** Repair once this many shards have no healthy holder; Infinity never repairs. Default 1. */
  repairAfterLost?: number
  /** Blocks challenged per holder audit: a count of random stripes, or 'all'. Default 1. */
  challenges?: number | 'all'
}

export interface CheckReport {
  manifest: string
  dataShards: number
  parityShards: number
  /** Shards with a holder that passed its audit, before any repair. */
  healthyShards: number
  /** (healthy − k) / (n − k) before repair; 1 when m = 0 and every shard is healthy. */
  health: number
  /** Shards with no healthy holder, before repair. */
  lost: number[]
  /** Every audit made, holder by holder. */
  audits: AuditResult[]
  /** The repair made, or null when none was needed (or it failed: see error). */
  repair: RepairReport | null
  /** Why the repair failed (too few healthy shards, too few peers with room...). */
  error?: string
}

export async function checkFile (ctx: NodeContext, handleText: string, options: CheckOptions = {}): Promise<CheckReport> {
  const handle = parseHandle(handleText)
  const manifest = await loadManifest(ctx, handle.manifest, options)
  const k = manifest.dataShards
  const n = k + manifest.parityShards
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS
  const health = await auditedHealth(ctx, handle.manifest, manifest, { signal: options.signal, leaseMs, challenges: options.challenges })
  const lost = health.healthyHolder.flatMap((h, i) => h === null ? [i] : [])
  const healthy = n - lost.length
  const report: CheckReport = {
    manifest: handle.manifest.toString(),
    dataShards: k,
    parityShards: manifest.parityShards,
    healthyShards: healthy,
    health: n === k ? (healthy === n ? 1 : 0) : (healthy - k) / (n - k),
    lost,
    audits: health.audits.flatMap(a => a.results),
    repair: null
  }
  if (lost.length > 0 && lost.length >= (options.repairAfterLost ?? DEFAULT_REPAIR_AFTER_LOST)) {
    try {
      report.repair = await repairFile(ctx, `shoal:${handle.manifest.toString()}`, { signal: options.signal, onProgress: options.onProgress, health, manifest, leaseMs, threshold: n - 1 })
    } catch (err) {
      options.signal?.throwIfAborted()
      report.error = `${(err as Error).name}: ${(err as Error).message}`
    }
  }
  ctx.log('check %s: %d/%d healthy%s%s', report.manifest, healthy, n, report.repair === null ? '' : `, repaired ${report.repair.repaired.length}`, report.error === undefined ? '' : `, ${report.error}`)
  emit(options, { type: 'node:check:file', detail: report })
  return report
}

const TRACKED_PREFIX = '/shoal/tracked/'

/**
 * The manifests a node checks periodically: only manifest CIDs, never keys.
 * Written through to the node's datastore when it has one, so they survive a restart.
 */
export class TrackedFiles {
  private readonly files = new Set<string>()

  constructor (private readonly datastore?: Datastore) {}

  async load (): Promise<void> {
    if (this.datastore === undefined) return
    for await (const key of this.datastore.queryKeys({ prefix: TRACKED_PREFIX })) {
      this.files.add(key.toString().slice(TRACKED_PREFIX.length))
    }
  }

  list (): string[] {
    return [...this.files]
  }

  async add (manifest: string): Promise<void> {
    if (this.files.has(manifest)) return
    this.files.add(manifest)
    await this.datastore?.put(new Key(TRACKED_PREFIX + manifest), new Uint8Array(0))
  }

  async remove (manifest: string): Promise<boolean> {
    if (!this.files.delete(manifest)) return false
    await this.datastore?.delete(new Key(TRACKED_PREFIX + manifest))
    return true
  }
}
