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
    const report = await simulate({ ...small, scenario: 'kill', seed: 5 })
    expect(report.ok).toBe(true)
    expect(report.steps).toHaveLength(3)
    const [stored, killM, killMore] = report.steps
    expect(stored).toMatchObject({ filesReadable: 3, peersAlive: 8 })
    expect(killM).toMatchObject({ filesReadable: 3, peersAlive: 6, expectedReadable: 3 })
    expect(killM.shardsLost).toBeGreaterThanOrEqual(2)
    expect(killMore.peersAlive).toBe(5)
    // file 0 lost m + 1 shards: it must be reported unreadable, with the typed error
    expect(killMore.unreadable).toContainEqual({ file: 0, error: 'FileUnavailableError' })
    expect(killMore.filesReadable).toBe(killMore.expectedReadable)
    expect(killMore.unreadable.every(u => u.error === 'FileUnavailableError')).toBe(true)

    const again = await simulate({ ...small, scenario: 'kill', seed: 5 })
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

  it('corrupt: every damaged shard is found by verify, never returned as data, and repaired', async () => {
    const report = await simulate({ ...small, scenario: 'corrupt', seed: 3 })
    expect(report.ok).toBe(true)
    const [, damage, verify, repair] = report.steps
    expect(damage.shardsLost).toBeGreaterThanOrEqual(3)
    expect(damage.filesReadable).toBe(3) // byte-checked reads
    expect(verify.corruptFound).toBe(damage.shardsLost)
    expect(repair.shardsRepaired).toBe(damage.shardsLost)
  }, 240_000)

  it('refuses a network too small for the redundancy', async () => {
    await expect(simulate({ peers: 5, preset: 'personal' })).rejects.toThrow(RangeError)
  })
})
