import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

describe('examples/codec-basic.ts', () => {
  it('rebuilds the message after losing two shards', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/codec-basic.ts'], { timeout: 60_000 })
    expect(stdout).toContain('6 shards of 14 bytes')
    expect(stdout).toContain('verify: true')
    expect(stdout).toContain('restored: Any four of these six shards bring this sentence back.')
  })
})
