/**
 * Every client command run in-process (captured output, exit codes) against
 * three real daemons started with `shoal daemon` in this process, on loopback.
 */
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '../../src/api/client.js'
import { removeDir, run, startInProcess, tempDir, writeTestConfig } from './helpers.js'
import type { InProcessDaemon } from './helpers.js'

let base: string
let a: InProcessDaemon
let b: InProcessDaemon
let c: InProcessDaemon
const data = randomBytes(3 * 1024 * 1024 + 17)
let file: string
let handle: string

async function waitForPeers (dir: string, count: number, timeoutMs = 30_000): Promise<void> {
  const client = await connect(dir)
  const deadline = Date.now() + timeoutMs
  while ((await client.peers()).filter(p => p.capacityBytes > 0).length < count) {
    if (Date.now() > deadline) throw new Error(`${dir} did not see ${count} storage peers`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

beforeAll(async () => {
  base = await tempDir('shoal-inproc-')
  file = join(base, 'photo.bin')
  await writeFile(file, data)
  for (const name of ['a', 'b', 'c']) await writeTestConfig(join(base, name))
  a = await startInProcess(join(base, 'a'))
  ;[b, c] = await Promise.all([
    startInProcess(join(base, 'b'), ['--bootstrap', a.multiaddr]),
    startInProcess(join(base, 'c'), ['--bootstrap', a.multiaddr, '--capacity', '32MiB'])
  ])
  await Promise.all([waitForPeers(a.dir, 2), waitForPeers(b.dir, 2), waitForPeers(c.dir, 2)])
}, 120_000)

afterAll(async () => {
  for (const d of [a, b, c]) await d?.stop()
  await removeDir(base)
})

describe('shoal with three daemons', () => {
  it('daemon printed version, PeerId, addresses, API and a ready line', () => {
    expect(a.stdout.text).toMatch(/^shoal \d+\.\d+\.\d+\n/)
    expect(a.stdout.text).toMatch(/PeerId\s+12D3KooW\w+/)
    expect(a.stdout.text).toMatch(/listening\s+\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/)
    expect(a.stdout.text).toMatch(/API\s+http:\/\/127\.0\.0\.1:\d+/)
    expect(a.stdout.text).toContain('daemon is ready')
  })

  it('put prints the handle on stdout and a summary on stderr', async () => {
    const result = await run(['--dir', b.dir, 'put', file, '--preset', 'minimal'])
    expect(result.code, result.stderr).toBe(0)
    handle = result.stdout.trim()
    expect(result.stdout).toMatch(/^shoal:bafkrei[a-z2-7]+#[\w-]{43}\n$/)
    expect(result.stderr).toContain('stored photo.bin (3.00 MiB) as 2+1 shards on 3 peers; it survives 1 lost holder')
    expect(result.stderr).not.toContain('\r') // no progress bar: stderr is not a terminal
  })

  it('get through another daemon gives the same bytes, to a file and to stdout', async () => {
    const out = join(base, 'out.bin')
    const toFile = await run(['--dir', c.dir, 'get', handle, '-o', out])
    expect(toFile.code, toFile.stderr).toBe(0)
    expect((await readFile(out)).equals(data)).toBe(true)
    expect(toFile.stderr).toContain(`wrote 3.00 MiB to ${out}`)
    const toStdout = await run(['--dir', a.dir, 'get', handle])
    expect(toStdout.code).toBe(0)
    expect(toStdout.stdoutBytes.equals(data)).toBe(true)
    const json = await run(['--dir', c.dir, '--json', 'get', handle, '-o', out])
    expect(JSON.parse(json.stdout)).toEqual({ handle, path: out, bytes: data.length })
  })

  it('stat shows holders per shard, health and the failures survivable', async () => {
    const result = await run(['--dir', c.dir, 'stat', handle])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('2 data + 1 parity')
    expect(result.stdout).toContain('3/3 shards healthy, readable, survives 1 more lost shard')
    for (const d of [a, b, c]) expect(result.stdout).toContain(d.peerId)
    const json = JSON.parse((await run(['--dir', c.dir, '--json', 'stat', handle])).stdout)
    expect(json).toMatchObject({ size: data.length, dataShards: 2, parityShards: 1, healthyShards: 3, readable: true, survivableFailures: 1 })
  })

  it('ls lists the files this node put, and only those', async () => {
    const mine = await run(['--dir', b.dir, 'ls'])
    expect(mine.code).toBe(0)
    expect(mine.stdout).toMatch(/photo\.bin\s+3\.00 MiB\s+2\+1\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+shoal:/)
    expect(JSON.parse((await run(['--dir', b.dir, '--json', 'ls'])).stdout)).toEqual([expect.objectContaining({ handle, name: 'photo.bin', size: data.length })])
    expect((await run(['--dir', c.dir, 'ls'])).stdout).toContain('no files yet')
  })

  it('verify reads the file through and checks every block of every shard; repair finds nothing to do', async () => {
    const verify = await run(['--dir', c.dir, 'verify', handle])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    expect(verify.stdout).toContain('every block fetched matched its hash')
    expect(verify.stdout).toContain('shards  ok: 3/3 with every block intact')
    expect(verify.stdout).toMatch(/\nOK\n$/)
    const repair = await run(['--dir', c.dir, 'repair', handle])
    expect(repair.code).toBe(0)
    expect(repair.stdout).toBe('healthy, nothing repaired (3/3 shards)\n')
  })

  it('status shows this peer, every storage peer with a capacity bar, and the network total', async () => {
    const result = await run(['--dir', a.dir, 'status'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`this peer  ${a.peerId}`)
    expect(result.stdout).toMatch(/capacity\s+\[[█░]{24}\] \d+%\s+[\d.]+ \w+ used of 64\.0 MiB/)
    expect(result.stdout).toContain('storage peers (2)')
    expect(result.stdout).toMatch(new RegExp(`${b.peerId}\\s+\\[[█░]{16}\\] \\d+%\\s+[\\d.]+ \\w+ / 64\\.0 MiB`))
    expect(result.stdout).toMatch(new RegExp(`${c.peerId}\\s+\\[[█░]{16}\\] \\d+%\\s+[\\d.]+ \\w+ / 32\\.0 MiB`))
    expect(result.stdout).toMatch(/network\s+3 peers\s+\[[█░]+\] \d+%\s+[\d.]+ \w+ used of 160 MiB/)
    const json = JSON.parse((await run(['--dir', a.dir, '--json', 'status'])).stdout)
    expect(json.network.peers).toBe(3)
    expect(json.peers.map((p: { peerId: string }) => p.peerId).sort()).toEqual([b.peerId, c.peerId].sort())
    const peers = await run(['--dir', a.dir, 'peers'])
    expect(peers.stdout).toContain(b.peerId)
    expect(peers.stdout).toContain(c.peerId)
  })

  it('put from stdin, unencrypted, then rm', async () => {
    const text = Buffer.from('from standard input')
    const put = await run(['--dir', a.dir, 'put', '-', '--no-encrypt', '--data-shards', '1', '--parity-shards', '2', '--name', 'note.txt'], { stdin: (async function * () { yield text })() })
    expect(put.code, put.stderr).toBe(0)
    const h = put.stdout.trim()
    expect(h).not.toContain('#')
    expect((await run(['--dir', b.dir, 'get', h])).stdoutBytes.equals(text)).toBe(true)
    const rm = await run(['--dir', a.dir, 'rm', h])
    expect(rm.code).toBe(0)
    expect(rm.stdout).toMatch(/removed note\.txt: [3-9] blocks deleted from its holders/)
    expect(rm.stderr).toBe('')
    // the blocks are gone from the network: the file cannot be read any more
    expect((await run(['--dir', b.dir, 'get', h])).code).toBe(1)
    const again = await run(['--dir', a.dir, 'rm', h])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('`shoal ls` lists the files this node put')
  })

  it('not enough peers: says how many were needed and found, exit 1', async () => {
    const result = await run(['--dir', b.dir, 'put', file, '--preset', 'paranoid'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('not enough storage peers: needed 15, found 3')
    expect(result.stderr).toContain('--allow-colocation')
  })

  it('malformed handle exits 2; unknown handle exits 1 with advice', async () => {
    const bad = await run(['--dir', a.dir, 'get', 'shoal:not-a-cid'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('malformed handle')
    const unknown = await run(['--dir', a.dir, 'stat', 'shoal:bafkreiesgbaef5wflchquyq6vorl6y7kvufbqiklmara3yrw7yhhrnoinu'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('no peer could provide manifest')
    expect(unknown.stderr).toContain('check the handle')
  })

  it('wrong token: exit 1, telling where the token lives', async () => {
    const path = join(b.dir, 'api.token')
    const real = await readFile(path, 'utf8')
    await writeFile(path, 'not-the-token\n')
    try {
      const result = await run(['--dir', b.dir, 'ls'])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`wrong API token: the daemon's token is in ${path}`)
    } finally {
      await writeFile(path, real)
    }
    expect((await run(['--dir', b.dir, 'ls'])).code).toBe(0)
  })

  it('a second daemon on the same directory is refused; the first keeps serving', async () => {
    const second = await run(['--dir', a.dir, 'daemon'])
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(`another daemon (pid ${process.pid}) is already running on ${a.dir}`)
    expect(second.stderr).toContain('daemon.lock')
    const status = await run(['--dir', a.dir, 'status'])
    expect(status.code).toBe(0)
    expect(status.stdout).toContain(a.peerId)
    expect((await run(['--dir', c.dir, 'get', handle])).stdoutBytes.equals(data)).toBe(true)
  })

  it('with a holder gone: stat shows it, verify exits 1, repair finds no spare peer, get still works', async () => {
    expect(await c.stop()).toBe(0)
    expect(c.stderr.text).toContain('daemon stopped')
    const stat = await run(['--dir', a.dir, 'stat', handle])
    expect(stat.stdout).toContain('2/3 shards healthy, readable, survives 0 more lost shards')
    expect(stat.stdout).toMatch(new RegExp(`${c.peerId}\\s+NO\\s+0/\\d+\\s+MISSING`))
    const verify = await run(['--dir', a.dir, 'verify', handle])
    expect(verify.code).toBe(1)
    expect(verify.stdout).toContain('shards  DEGRADED: 2/3 with every block intact')
    // both remaining peers already hold a shard: nowhere to put the lost one
    const repair = await run(['--dir', a.dir, 'repair', handle])
    expect(repair.code).toBe(1)
    expect(repair.stderr).toContain('needed 1, found 0')
    expect((await run(['--dir', a.dir, 'get', handle])).stdoutBytes.equals(data)).toBe(true)
  })
})
