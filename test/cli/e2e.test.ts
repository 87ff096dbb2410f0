/**
 * End to end with real processes: three `shoal daemon` processes on loopback,
 * a file put through one with `shoal put` and read back through another with
 * `shoal get`; `shoal status` shows all three peers with their capacities; a
 * second daemon process on a directory in use is refused, the first unharmed.
 */
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { connect } from '../../src/api/client.js'
import { killProcess, removeDir, runProcess, spawnDaemon, tempDir, writeTestConfig } from './helpers.js'
import type { ProcessDaemon } from './helpers.js'

const daemons: ProcessDaemon[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(daemons.splice(0).map(async d => { await killProcess(d.child) }))
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function waitForStoragePeers (dir: string, count: number, timeoutMs = 30_000): Promise<void> {
  const client = await connect(dir)
  const deadline = Date.now() + timeoutMs
  while ((await client.peers()).length < count) {
    if (Date.now() > deadline) throw new Error(`${dir} did not see ${count} storage peers`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

describe('three daemon processes', () => {
  it('put through one, get through another, status shows all three; a second daemon is refused', async () => {
    const base = await tempDir('shoal-e2e-')
    dirs.push(base)
    const [da, db, dc] = ['a', 'b', 'c'].map(n => join(base, n))
    await Promise.all([writeTestConfig(da), writeTestConfig(db, { capacity: '48MiB' }), writeTestConfig(dc, { capacity: '32MiB' })])

    const a = await spawnDaemon(da)
    daemons.push(a)
    const [b, c] = await Promise.all([
      spawnDaemon(db, ['--bootstrap', a.multiaddr]),
      spawnDaemon(dc, ['--bootstrap', a.multiaddr])
    ])
    daemons.push(b, c)
    expect(a.output()).toMatch(/^shoal \d+\.\d+\.\d+\n/)
    await Promise.all([waitForStoragePeers(db, 2), waitForStoragePeers(dc, 2)])

    const data = randomBytes(2 * 1024 * 1024 + 99)
    const input = join(base, 'input.bin')
    await writeFile(input, data)
    const put = await runProcess(['--dir', db, 'put', input, '--preset', 'minimal'])
    expect(put.code, put.stderr).toBe(0)
    const handle = put.stdout.toString().trim()
    expect(handle).toMatch(/^shoal:bafkrei[a-z2-7]+#[\w-]{43}$/)

    const output = join(base, 'output.bin')
    const get = await runProcess(['--dir', dc, 'get', handle, '-o', output])
    expect(get.code, get.stderr).toBe(0)
    expect((await readFile(output)).equals(data)).toBe(true)

    const status = await runProcess(['--dir', da, 'status'])
    expect(status.code, status.stderr).toBe(0)
    const text = status.stdout.toString()
    expect(text).toContain(`this peer  ${a.peerId}`)
    expect(text).toMatch(/capacity\s+\[[█░]+\] \d+%\s+[\d.]+ \w+ used of 64\.0 MiB/)
    expect(text).toMatch(new RegExp(`${b.peerId}\\s+\\[[█░]+\\] \\d+%\\s+[\\d.]+ \\w+ / 48\\.0 MiB`))
    expect(text).toMatch(new RegExp(`${c.peerId}\\s+\\[[█░]+\\] \\d+%\\s+[\\d.]+ \\w+ / 32\\.0 MiB`))
    expect(text).toMatch(/network\s+3 peers\s+.*used of 144 MiB/)

    const second = await runProcess(['--dir', da, 'daemon'])
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(`another daemon (pid ${a.child.pid as number}) is already running on ${da}`)
    const after = await runProcess(['--dir', da, '--json', 'status'])
    expect(after.code).toBe(0)
    expect(JSON.parse(after.stdout.toString()).peerId).toBe(a.peerId)
    const again = await runProcess(['--dir', da, 'get', handle])
    expect(again.stdout.equals(data)).toBe(true)

    // SIGTERM: a clean stop that removes api.json and the lock
    await killProcess(b.child)
    expect(b.child.exitCode).toBe(0)
    expect(b.output()).toContain('daemon stopped')
    await expect(readFile(join(db, 'api.json'))).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(readFile(join(db, 'daemon.lock'))).rejects.toMatchObject({ code: 'ENOENT' })
  }, 120_000)
})
