/**
 * The daemon's lifecycle: one per data directory (a second is refused, the
 * first unharmed), stale locks, the API refusing non-loopback interfaces, a
 * clean shutdown that answers a stalled upload and leaves nothing behind,
 * and files surviving a restart.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { readFile, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { connect } from '../../src/api/client.js'
import { isLoopbackHost, startDaemon } from '../../src/api/daemon.js'
import { createNode } from '../../src/node/index.js'
import { removeDir, tempDir, writeTestConfig } from '../cli/helpers.js'
import { waitForRoutingTable } from './helpers.js'
import type { Daemon } from '../../src/api/daemon.js'
import type { CheckOutcome, ShoalNode } from '../../src/node/index.js'

const daemons: Daemon[] = []
const nodes: ShoalNode[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(daemons.splice(0).map(async d => { await d.stop() }))
  await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function helperNode (): Promise<ShoalNode> {
  const node = createNode({ capacityBytes: 0, querySelfIntervalMs: 1000 })
  await node.start()
  nodes.push(node)
  return node
}

async function newDir (extra: Record<string, unknown> = {}): Promise<string> {
  const dir = await tempDir('shoal-daemon-')
  dirs.push(dir)
  await writeTestConfig(dir, extra)
  return dir
}

async function start (dir: string, grace?: number): Promise<Daemon> {
  const daemon = await startDaemon({ dir, version: 't', init: true, shutdownGraceMs: grace })
  daemons.push(daemon)
  return daemon
}

async function * once1 (bytes: Uint8Array): AsyncGenerator<Uint8Array> { yield bytes }

async function collect (body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const p of body) parts.push(p)
  return Buffer.concat(parts)
}

describe('one daemon per data directory', () => {
  it('refuses a second daemon with a clear error while the first keeps serving, and files survive a restart', async () => {
    const helper = await helperNode()
    const dir = await newDir({ bootstrap: helper.multiaddrs })
    const first = await start(dir)
    await waitForRoutingTable(first.node)
    const client = await connect(dir)
    const data = Buffer.from('kept safe across a refused second daemon and a restart')
    const put = await client.put(once1(data), { preset: 'minimal', allowColocation: true, name: 'kept.txt' })
    const lockBefore = await readFile(join(dir, 'daemon.lock'), 'utf8')
    const apiBefore = await readFile(join(dir, 'api.json'), 'utf8')

    await expect(startDaemon({ dir, version: 't', init: true })).rejects.toMatchObject({
      name: 'DaemonRunningError', pid: process.pid, dir, lockPath: join(dir, 'daemon.lock')
    })
    // the first is untouched: same lock, same api.json, still answering, file intact
    expect(await readFile(join(dir, 'daemon.lock'), 'utf8')).toBe(lockBefore)
    expect(await readFile(join(dir, 'api.json'), 'utf8')).toBe(apiBefore)
    expect((await client.status()).peerId).toBe(first.node.peerId)
    expect((await collect((await client.get(put.handle)).body)).equals(data)).toBe(true)

    const peerId = first.node.peerId
    await first.stop()
    daemons.splice(daemons.indexOf(first), 1)
    await expect(readFile(join(dir, 'api.json'))).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(readFile(join(dir, 'daemon.lock'))).rejects.toMatchObject({ code: 'ENOENT' })

    const again = await start(dir)
    expect(again.node.peerId).toBe(peerId) // same identity
    const client2 = await connect(dir)
    expect((await client2.files()).map(f => f.name)).toEqual(['kept.txt'])
    expect((await collect((await client2.get(put.handle)).body)).equals(data)).toBe(true)
  })

  it('takes over a stale lock left by a dead process', async () => {
    const dir = await newDir()
    const child = spawn(process.execPath, ['-e', ''])
    await once(child, 'exit')
    await writeFile(join(dir, 'daemon.lock'), JSON.stringify({ pid: child.pid, host: hostname(), nonce: 'dead', createdAt: new Date().toISOString() }))
    const daemon = await start(dir)
    expect(JSON.parse(await readFile(join(dir, 'daemon.lock'), 'utf8')).pid).toBe(process.pid)
    expect(daemon.api.port).toBeGreaterThan(0)
  })
})

describe('the periodic check\'s config', () => {
  it('refuses a check interval as long as the lease before taking the lock, naming the field', async () => {
    const dir = await newDir({ checkIntervalMs: 60_000, leaseMs: 60_000 })
    await expect(startDaemon({ dir, version: 't' })).rejects.toMatchObject({ name: 'ConfigError', field: 'checkIntervalMs', path: join(dir, 'config.json') })
    await expect(readFile(join(dir, 'daemon.lock'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('checks tracked files on its own every checkIntervalMs, and tells onCheck', async () => {
    const helper = await helperNode()
    const dir = await newDir({ bootstrap: helper.multiaddrs, checkIntervalMs: 1000, leaseMs: 3_600_000 })
    const outcomes: CheckOutcome[] = []
    const daemon = await startDaemon({ dir, version: 't', onCheck: o => { outcomes.push(o) } })
    daemons.push(daemon)
    expect(daemon.config).toMatchObject({ checkIntervalMs: 1000, leaseMs: 3_600_000 })
    await waitForRoutingTable(daemon.node)
    const put = await (await connect(dir)).put(once1(Buffer.from('checked by the timer')), { preset: 'minimal', allowColocation: true })
    const deadline = Date.now() + 10_000
    while (!outcomes.some(o => o.manifest === put.manifest)) {
      if (Date.now() > deadline) throw new Error('no periodic check of the file within 10 s')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    expect(outcomes.find(o => o.manifest === put.manifest)).toMatchObject({ healthyShards: 3, lost: [], repair: null })
  })
})

describe('the API stays on this machine', () => {
  it('refuses a non-loopback interface unless api.allowRemote is set, before taking the lock', async () => {
    const dir = await newDir({ api: { host: '0.0.0.0', port: 0 } })
    await expect(startDaemon({ dir, version: 't' })).rejects.toMatchObject({ name: 'RemoteBindRefusedError', host: '0.0.0.0' })
    await expect(readFile(join(dir, 'daemon.lock'))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(isLoopbackHost('127.0.0.1')).toBe(true)
    expect(isLoopbackHost('127.1.2.3')).toBe(true)
    expect(isLoopbackHost('::1')).toBe(true)
    expect(isLoopbackHost('localhost')).toBe(true)
    expect(isLoopbackHost('0.0.0.0')).toBe(false)
    expect(isLoopbackHost('192.168.1.2')).toBe(false)
  })

  it('listens on 127.0.0.1 and says where in api.json', async () => {
    const dir = await newDir()
    const daemon = await start(dir)
    const info = JSON.parse(await readFile(join(dir, 'api.json'), 'utf8'))
    expect(info).toMatchObject({ host: '127.0.0.1', port: daemon.api.port, pid: process.pid, peerId: daemon.node.peerId, url: `http://127.0.0.1:${daemon.api.port}` })
  })
})

describe('shutdown', () => {
  it('answers a stalled upload with ShuttingDownError, stores nothing, and removes api.json and the lock', async () => {
    const dir = await newDir()
    const daemon = await start(dir, 300)
    const token = (await readFile(join(dir, 'api.token'), 'utf8')).trim()
    const req = request(`${daemon.api.url}/v1/files?preset=minimal&allowColocation=true`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }
    })
    req.on('error', () => {})
    const response = once(req, 'response')
    req.write(Buffer.alloc(100_000, 7)) // ...and then nothing more
    await new Promise(resolve => setTimeout(resolve, 300))
    const stopping = daemon.stop()
    const [res] = await response as [import('node:http').IncomingMessage]
    let body = ''
    for await (const chunk of res) body += chunk
    expect(res.statusCode).toBe(503)
    expect(JSON.parse(body).error.name).toBe('ShuttingDownError')
    await stopping
    req.destroy()
    await expect(readFile(join(dir, 'api.json'))).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(readFile(join(dir, 'daemon.lock'))).rejects.toMatchObject({ code: 'ENOENT' })
    const index = await readFile(join(dir, 'files.json'), 'utf8').catch(() => '{"files":[]}')
    expect(JSON.parse(index).files).toEqual([])
  })
})
