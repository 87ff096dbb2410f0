/**
 * The control API over real HTTP on 127.0.0.1, against a real (lone) node:
 * token, body limits, schema validation, typed errors, streamed put/get, the
 * local index.
 */
import { randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '../../src/api/client.js'
import { startDaemon } from '../../src/api/daemon.js'
import { createNode } from '../../src/node/index.js'
import { tokenMatches } from '../../src/api/token.js'
import { removeDir, tempDir, writeTestConfig } from '../cli/helpers.js'
import { waitForRoutingTable } from './helpers.js'
import type { ApiClient } from '../../src/api/client.js'
import type { Daemon } from '../../src/api/daemon.js'
import type { ShoalNode } from '../../src/node/index.js'

const UNKNOWN = 'shoal:bafkreiesgbaef5wflchquyq6vorl6y7kvufbqiklmara3yrw7yhhrnoinu'

let dir: string
let daemon: Daemon
/** A peer that stores nothing: it gives the daemon's DHT a routing table (a lone node's DHT queries wait for peers until they time out). */
let helper: ShoalNode
let client: ApiClient
let token: string

beforeAll(async () => {
  dir = await tempDir('shoal-api-')
  helper = createNode({ capacityBytes: 0, querySelfIntervalMs: 1000 })
  await helper.start()
  await writeTestConfig(dir, { bootstrap: helper.multiaddrs })
  daemon = await startDaemon({ dir, version: '0.0.0-test', init: true })
  await waitForRoutingTable(daemon.node)
  client = await connect(dir)
  token = (await readFile(join(dir, 'api.token'), 'utf8')).trim()
})

afterAll(async () => {
  await daemon?.stop()
  await helper?.stop()
  await removeDir(dir)
})

async function call (method: string, path: string, init: { body?: string | Uint8Array, headers?: Record<string, string>, auth?: string | null } = {}): Promise<{ status: number, headers: Headers, json: any }> {
  const headers: Record<string, string> = { ...init.headers }
  if (init.auth !== null) headers.authorization = `Bearer ${init.auth ?? token}`
  const res = await fetch(`${daemon.api.url}${path}`, { method, headers, body: init.body })
  const text = await res.text()
  let json: any
  try { json = JSON.parse(text) } catch { json = text }
  return { status: res.status, headers: res.headers, json }
}

async function * bytesOf (data: Uint8Array, chunk = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk)
}

async function collect (body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const part of body) parts.push(part)
  return Buffer.concat(parts)
}

describe('token', () => {
  const routes: Array<[string, string, string?]> = [
    ['GET', '/v1/status'], ['GET', '/v1/peers'], ['GET', '/v1/files'], ['GET', `/v1/files/${encodeURIComponent(UNKNOWN)}`],
    ['PUT', '/v1/files', 'bytes'], ['POST', '/v1/files/stat', '{}'], ['POST', '/v1/files/verify', '{}'],
    ['POST', '/v1/files/repair', '{}'], ['POST', '/v1/files/rm', '{}'], ['POST', '/v1/files/check', '{}'],
    ['POST', '/v1/files/track', '{}'], ['POST', '/v1/files/untrack', '{}'], ['GET', '/v1/tracked'], ['GET', '/v1/nowhere']
  ]

  it('is required on every route: 401 saying where the token lives', async () => {
    for (const [method, path, body] of routes) {
      const headers = body === 'bytes' ? { 'content-type': 'application/octet-stream' } : body === undefined ? undefined : { 'content-type': 'application/json' }
      const missing = await call(method, path, { auth: null, body, headers })
      expect(missing.status, `${method} ${path}`).toBe(401)
      expect(missing.json.error.name).toBe('UnauthorizedError')
      expect(missing.json.error.tokenPath).toBe(join(dir, 'api.token'))
      expect(missing.json.error.message).toContain(join(dir, 'api.token'))
      expect(missing.headers.get('www-authenticate')).toBe('Bearer')
      const wrong = await call(method, path, { auth: 'f'.repeat(64), body, headers })
      expect(wrong.status).toBe(401)
      expect(wrong.json.error.message).toContain('wrong API token')
    }
    expect((await client.files()).length).toBe(0) // the refused upload stored nothing
  })

  it('rejects other schemes and a token of another length', async () => {
    expect((await call('GET', '/v1/status', { auth: null, headers: { authorization: `Basic ${token}` } })).status).toBe(401)
    expect((await call('GET', '/v1/status', { auth: token.slice(1) })).status).toBe(401)
    expect((await call('GET', '/v1/status', { auth: `${token}0` })).status).toBe(401)
    expect((await call('GET', '/v1/status')).status).toBe(200)
  })

  it('is compared in constant time (hash first) and exactly', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true)
    expect(tokenMatches('abc', 'abd')).toBe(false)
    expect(tokenMatches('abc', 'abcd')).toBe(false)
    expect(tokenMatches('abc', undefined)).toBe(false)
  })

  it('a client with a wrong token gets UnauthorizedError with the path', async () => {
    const { ApiClient } = await import('../../src/api/client.js')
    const bad = new ApiClient({ url: daemon.api.url, token: 'nope', dir })
    await expect(bad.status()).rejects.toMatchObject({ name: 'UnauthorizedError', status: 401, fields: { tokenPath: join(dir, 'api.token') } })
  })
})

describe('bad requests', () => {
  const json = { 'content-type': 'application/json' }

  it('malformed JSON: 400 InvalidJsonError', async () => {
    const res = await call('POST', '/v1/files/stat', { body: '{"handle": ', headers: json })
    expect(res.status).toBe(400)
    expect(res.json.error.name).toBe('InvalidJsonError')
    const empty = await call('POST', '/v1/files/stat', { body: '', headers: json })
    expect(empty.status).toBe(400)
  })

  it('oversized JSON body: 413 BodyTooLargeError', async () => {
    const res = await call('POST', '/v1/files/stat', { body: JSON.stringify({ handle: 'x'.repeat(100_000) }), headers: json })
    expect(res.status).toBe(413)
    expect(res.json.error.name).toBe('BodyTooLargeError')
  })

  it('schema violations: 400 ValidationError', async () => {
    for (const body of ['{}', '{"handle": ["a", "b"]}', '{"handle": null}', `{"handle": "${UNKNOWN}", "extra": 1}`, '[]']) {
      const res = await call('POST', '/v1/files/stat', { body, headers: json })
      expect(res.status, body).toBe(400)
      expect(res.json.error.name).toBe('ValidationError')
    }
    expect((await call('GET', '/v1/status?verbose=1')).json.error.name).toBe('ValidationError')
    expect((await call('PUT', '/v1/files?preset=huge', { body: 'x', headers: { 'content-type': 'application/octet-stream' } })).status).toBe(400)
    expect((await call('PUT', '/v1/files?dataShards=0&parityShards=1', { body: 'x', headers: { 'content-type': 'application/octet-stream' } })).status).toBe(400)
  })

  it('an upload that is not application/octet-stream: 415', async () => {
    const res = await call('PUT', '/v1/files', { body: '{"a":1}', headers: json })
    expect(res.status).toBe(415)
    expect(res.json.error.name).toBe('UnsupportedMediaTypeError')
  })

  it('malformed handle: 400 InvalidHandleError, on every route taking one', async () => {
    for (const handle of ['bafkrei', 'shoal:nonsense', `${UNKNOWN}#tooshort`]) {
      const res = await call('POST', '/v1/files/stat', { body: JSON.stringify({ handle }), headers: json })
      expect(res.status, handle).toBe(400)
      expect(res.json.error.name).toBe('InvalidHandleError')
      expect((await call('GET', `/v1/files/${encodeURIComponent(handle)}`)).json.error.name).toBe('InvalidHandleError')
      for (const op of ['verify', 'repair', 'rm', 'check', 'track', 'untrack']) {
        expect((await call('POST', `/v1/files/${op}`, { body: JSON.stringify({ handle }), headers: json })).status).toBe(400)
      }
    }
  })

  it('unknown handle: 404 ManifestNotFoundError; rm of an unindexed file: 404', async () => {
    const res = await call('POST', '/v1/files/stat', { body: JSON.stringify({ handle: UNKNOWN }), headers: json })
    expect(res.status).toBe(404)
    expect(res.json.error).toMatchObject({ name: 'ManifestNotFoundError', manifest: UNKNOWN.slice(6) })
    const get = await call('GET', `/v1/files/${encodeURIComponent(UNKNOWN)}`)
    expect(get.status).toBe(404)
    expect(get.json.error.name).toBe('ManifestNotFoundError')
    const rm = await call('POST', '/v1/files/rm', { body: JSON.stringify({ handle: UNKNOWN }), headers: json })
    expect(rm.status).toBe(404)
    expect(rm.json.error.name).toBe('FileNotIndexedError')
    const check = await call('POST', '/v1/files/check', { body: JSON.stringify({ handle: UNKNOWN }), headers: json })
    expect(check.status).toBe(404)
    expect(check.json.error).toMatchObject({ name: 'ManifestNotFoundError', manifest: UNKNOWN.slice(6) })
    const untrack = await call('POST', '/v1/files/untrack', { body: JSON.stringify({ handle: UNKNOWN }), headers: json })
    expect(untrack.status).toBe(404)
    expect(untrack.json.error).toMatchObject({ name: 'FileNotTrackedError', manifest: UNKNOWN.slice(6) })
  })

  it('unknown route: 404', async () => {
    const res = await call('GET', '/v1/nowhere')
    expect(res.status).toBe(404)
    expect(res.json.error.name).toBe('RouteNotFoundError')
  })
})

describe('files', () => {
  it('streams a put in and a get out, indexes it, verifies, repairs nothing, removes it', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 123)
    const put = await client.put(bytesOf(data), { size: data.length, preset: 'minimal', allowColocation: true, name: 'five.bin' })
    expect(put).toMatchObject({ size: data.length, dataShards: 2, parityShards: 1, name: 'five.bin' })
    expect(put.handle).toMatch(/^shoal:bafkrei[a-z2-7]+#[A-Za-z0-9_-]{43}$/)

    const download = await client.get(put.handle)
    expect(download.size).toBe(data.length)
    expect((await collect(download.body)).equals(data)).toBe(true)

    const files = await client.files()
    expect(files).toEqual([expect.objectContaining({ handle: put.handle, name: 'five.bin', size: data.length, encrypted: true })])
    expect((await stat(join(dir, 'files.json'))).mode & 0o777).toBe(0o600)

    const verify = await client.verify(put.handle)
    expect(verify).toMatchObject({ ok: true, readOk: true, bytes: data.length, error: null })
    expect(verify.stat.healthyShards).toBe(3)
    expect(verify.shards).toMatchObject({ ok: true, goodShards: 3, badBlocks: 0 })
    const repair = await client.repair(put.handle)
    expect(repair).toMatchObject({ healthy: true, repairedShards: 0 })

    const removed = await client.remove(put.handle)
    expect(removed).toMatchObject({ removed: { manifest: put.manifest }, blocksDeleted: true, deletion: { unreachable: [] } })
    expect(removed.deletion.deleted).toBeGreaterThanOrEqual(3)
    expect(await client.files()).toEqual([])
    expect(JSON.parse(await readFile(join(dir, 'files.json'), 'utf8')).files).toEqual([])
  })

  it('stores an empty file and an unencrypted one', async () => {
    const empty = await client.put(bytesOf(new Uint8Array(0)), { size: 0, preset: 'minimal', allowColocation: true })
    expect((await collect((await client.get(empty.handle)).body)).length).toBe(0)
    const plain = await client.put(bytesOf(Buffer.from('plain text')), { preset: 'minimal', allowColocation: true, encrypt: false })
    expect(plain.handle).not.toContain('#')
    expect((await collect((await client.get(plain.handle)).body)).toString()).toBe('plain text')
  })

  it('not enough peers: 503 with needed and found, answered before the upload is read', async () => {
    let sent = 0
    const total = 256 * 1024 * 1024
    async function * huge (): AsyncGenerator<Uint8Array> {
      const chunk = new Uint8Array(1024 * 1024)
      for (let i = 0; i < total; i += chunk.length) yield chunk
    }
    await expect(client.put(huge(), { size: total, onSent: n => { sent = n } }))
      .rejects.toMatchObject({ name: 'NotEnoughPeersError', status: 503, fields: { needed: 5, found: 0 } }) // no room for a 256 MiB file's shard
    expect(sent).toBeLessThan(total / 4)
    expect((await client.status()).peerId).toBe(daemon.node.peerId) // still serving
  })

  it('check audits every holder (no key needed); a put file is tracked, and track/untrack/tracked round-trip', async () => {
    const put = await client.put(bytesOf(randomBytes(300_000)), { preset: 'minimal', allowColocation: true, name: 'checked.bin' })
    expect(await client.tracked()).toContain(put.manifest) // tracked by the put itself
    const report = await client.check(`shoal:${put.manifest}`)
    expect(report).toMatchObject({ manifest: put.manifest, dataShards: 2, parityShards: 1, healthyShards: 3, health: 1, lost: [], repair: null })
    expect(report.error).toBeUndefined()
    expect(report.audits.map(a => [a.shard, a.outcome]).sort()).toEqual([[0, 'passed'], [1, 'passed'], [2, 'passed']])
    expect(report.audits.every(a => a.peerId === daemon.node.peerId && a.challenged.length === 1)).toBe(true)

    expect(await client.untrack(put.handle)).toEqual({ manifest: put.manifest })
    expect(await client.tracked()).not.toContain(put.manifest)
    await expect(client.untrack(put.handle)).rejects.toMatchObject({ name: 'FileNotTrackedError', status: 404, fields: { manifest: put.manifest } })
    expect(await client.track(`shoal:${put.manifest}`)).toEqual({ manifest: put.manifest, added: true })
    expect(await client.track(put.handle)).toEqual({ manifest: put.manifest, added: false })
    const tracked = await client.tracked()
    expect(tracked.filter(m => m === put.manifest)).toHaveLength(1)
    expect(tracked).toEqual([...tracked].sort())
    // rm stops the check too
    await client.remove(put.handle)
    expect(await client.tracked()).not.toContain(put.manifest)
  })

  it('status reports this peer, its capacity and the network total', async () => {
    const s = await client.status()
    expect(s).toMatchObject({ version: '0.0.0-test', dir, api: daemon.api.url, peerId: daemon.node.peerId })
    expect(s.capacity.capacityBytes).toBe(64 * 1024 * 1024)
    expect(s.peers).toEqual([expect.objectContaining({ peerId: helper.peerId, capacityBytes: 0 })])
    expect(s.network).toMatchObject({ peers: 2, capacityBytes: 64 * 1024 * 1024 })
    expect(s.addresses[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
  })
})
