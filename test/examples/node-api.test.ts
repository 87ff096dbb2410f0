import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

describe('examples/node-api.ts', () => {
  it('stores a file on six peers, loses one holder, reads it back', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/node-api.ts'], { timeout: 90_000 })
    expect(stdout).toContain('stored 122000 bytes as 3-of-5')
    expect(stdout).toContain('survives 2 lost peers')
    expect(stdout).toContain('read back 122000 bytes: identical')
    expect(stdout).toContain('health 4/5 shards, survives 1 more lost peers')
  }, 120_000)
})
