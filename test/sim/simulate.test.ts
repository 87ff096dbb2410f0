import { describe, expect, it } from 'vitest'
import { simulate } from '../../src/index.js'
import type { SimReport } from '../../src/index.js'

const small = { peers: 8, files: 3, fileBytes: 150_000 }

/** What must replay exactly with the same seed. */
function outcome (report: SimReport): unknown {
  return report.steps.map(s => ({ action: s.action, alive: s.peersAlive, readable: s.filesReadable, lost: s.shardsLost, unreadable: s.unreadable }))
}

describe('simulation', () => {
  it('kill: m holders lost, every file readable; m + 1, exactly the affected files unreadable; the same seed replays', async () => {
    // 12 peers at 2-of-3 (m = 1). Replay depends on seeded placement waiting
    // for every capacity answer; on a quiet machine every answer arrives in
    // time anyway, so this replay check alone would not catch that regressing.
    const options = { peers: 12, files: 3, fileBytes: 150_000, preset: 'minimal' as const, scenario: 'kill' as const, seed: 5 }
    const report = await simulate(options)
    expect(report.ok).toBe(true)
    expect(report.steps).toHaveLength(3)
    const [stored, killM, killMore] = report.steps
    expect(stored).toMatchObject({ filesReadable: 3, peersAlive: 12 })
    expect(killM).toMatchObject({ filesReadable: 3, peersAlive: 11, expectedReadable: 3 })
    expect(killM.shardsLost).toBeGreaterThanOrEqual(1)
    expect(killMore.peersAlive).toBe(10)
    // file 0 lost m + 1 shards: it must be reported unreadable, with the typed error
    expect(killMore.unreadable).toContainEqual({ file: 0, error: 'FileUnavailableError' })
    expect(killMore.filesReadable).toBe(killMore.expectedReadable)
    expect(killMore.unreadable.every(u => u.error === 'FileUnavailableError')).toBe(true)

    const again = await simulate(options)
    expect(outcome(again)).toEqual(outcome(report))
  }, 240_000)

  it('churn with repair: far more than m holders lost over time, every file readable after every step', async () => {
    const report = await simulate({ ...small, scenario: 'churn', seed: 9 })
    expect(report.ok).toBe(true)
    const churn = report.steps.slice(1)
    expect(churn).toHaveLength(5)
    const lost = churn.reduce((a, s) => a + s.shardsLost, 0)
    expect(lost).toBeGreaterThan(2) // past m = 2 in total
    expect(churn.reduce((a, s) => a + s.shardsRepaired, 0)).toBe(lost)
    for (const s of churn) {
      expect(s.filesReadable).toBe(3)
      if (s.shardsRepaired > 0) expect(s.repairBytes).toBeGreaterThan(0)
    }
  }, 240_000)

  it('corrupt: every damaged shard is found by the audits, never returned as data, and repaired', async () => {
    const report = await simulate({ ...small, scenario: 'corrupt', seed: 3 })
    expect(report.ok).toBe(true)
    expect(report.steps).toHaveLength(3)
    const [, damage, check] = report.steps
    expect(damage.shardsLost).toBeGreaterThanOrEqual(3)
    expect(damage.filesReadable).toBe(3) // byte-checked reads
    expect(check.corruptFound).toBe(damage.shardsLost)
    expect(check.shardsRepaired).toBe(damage.shardsLost)
    expect(check.filesReadable).toBe(3)
  }, 240_000)

  it('liar: a holder that keeps claiming dropped blocks fails its audits, its shards are repaired, and it gets no new shards', async () => {
    const report = await simulate({ ...small, scenario: 'liar', seed: 4 })
    expect(report.ok).toBe(true)
    expect(report.steps).toHaveLength(4)
    const [, lie, check, next] = report.steps
    expect(lie.shardsLost).toBeGreaterThanOrEqual(1)
    expect(lie.filesReadable).toBe(3)
    expect(check.auditFailures).toBeGreaterThanOrEqual(1)
    expect(check.shardsRepaired).toBe(lie.shardsLost)
    expect(next).toMatchObject({ ok: true, filesTotal: 4, filesReadable: 4 })
  }, 240_000)

  it('partition: the owner\'s side repairs what it reaches; after healing every file is readable and nothing more is repaired', async () => {
    const report = await simulate({ peers: 12, files: 3, fileBytes: 150_000, scenario: 'partition', seed: 6 })
    expect(report.ok).toBe(true)
    expect(report.steps).toHaveLength(5)
    const [, cut, during, healed, after] = report.steps
    expect(cut.shardsLost).toBeGreaterThanOrEqual(1)
    expect(cut.filesReadable).toBe(cut.expectedReadable)
    expect(during.shardsRepaired).toBeGreaterThanOrEqual(1)
    expect(healed.filesReadable).toBe(3)
    expect(after).toMatchObject({ filesReadable: 3, shardsRepaired: 0 })
  }, 240_000)

  it('the memory transport (no sockets, for large networks) runs the same scenario to the same outcome as TCP', async () => {
    const options = { ...small, scenario: 'kill' as const, seed: 8 }
    const overMemory = await simulate({ ...options, transport: 'memory' })
    expect(overMemory.ok).toBe(true)
    const overTcp = await simulate(options)
    expect(outcome(overMemory)).toEqual(outcome(overTcp))
  }, 240_000)

  it('refuses a network too small for the redundancy', async () => {
    await expect(simulate({ peers: 5, preset: 'personal' })).rejects.toThrow(RangeError)
  })
})
