import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

describe('examples/node-api.ts', () => {
  it('stores a file on six peers, loses one holder, reads it back, and the writer\'s check repairs it', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/node-api.ts'], { timeout: 90_000 })
    expect(stdout).toContain('stored 122000 bytes as 3-of-5')
    expect(stdout).toContain('survives 2 lost peers')
    expect(stdout).toContain('read back 122000 bytes: identical')
    expect(stdout).toContain('health 4/5 shards, survives 1 more lost peers')
    expect(stdout).toContain('check: 4/5 shards passed their audit, repaired 1')
    expect(stdout).toContain('health after repair 5/5 shards')
  }, 120_000)
})
