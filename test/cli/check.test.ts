/**
 * shoal check, track, untrack and tracked, in-process, against a `shoal
 * daemon` and three storage peers on loopback: a healthy file passes every
 * audit; with one holder stopped, check finds it unreachable and repairs the
 * shard onto the peer that held nothing of the file.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '../../src/api/client.js'
import { createNode } from '../../src/node/index.js'
import { removeDir, run, startInProcess, tempDir, writeTestConfig } from './helpers.js'
import type { InProcessDaemon } from './helpers.js'
import type { ShoalNode } from '../../src/node/index.js'

let base: string
let daemon: InProcessDaemon
const peers: ShoalNode[] = []
let handle: string
let manifest: string

async function waitForStoragePeers (dir: string, count: number, timeoutMs = 30_000): Promise<void> {
  const client = await connect(dir)
  const deadline = Date.now() + timeoutMs
  while ((await client.peers()).filter(p => p.capacityBytes > 0).length < count) {
    if (Date.now() > deadline) throw new Error(`${dir} did not see ${count} storage peers`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

beforeAll(async () => {
  base = await tempDir('shoal-check-')
  const first = createNode({ capacityBytes: 64 * 1024 * 1024, querySelfIntervalMs: 1000 })
  await first.start()
  peers.push(first)
  for (let i = 0; i < 2; i++) {
    const peer = createNode({ capacityBytes: 64 * 1024 * 1024, querySelfIntervalMs: 1000, bootstrap: first.multiaddrs })
    peers.push(peer)
    await peer.start()
  }
  // no periodic check: the test's own `shoal check` must be the one that finds the loss
  await writeTestConfig(join(base, 'd'), { bootstrap: first.multiaddrs, checkIntervalMs: 0 })
  daemon = await startInProcess(join(base, 'd'))
  await waitForStoragePeers(daemon.dir, 3)
  const file = join(base, 'checked.bin')
  await writeFile(file, randomBytes(1024 * 1024 + 5))
  const put = await run(['--dir', daemon.dir, 'put', file, '--preset', 'minimal'])
  if (put.code !== 0) throw new Error(put.stderr)
  handle = put.stdout.trim()
  manifest = handle.slice('shoal:'.length).split('#')[0]
}, 60_000)

afterAll(async () => {
  await daemon?.stop()
  await Promise.all(peers.map(async p => { await p.stop() }))
  await removeDir(base)
})

describe('shoal check', () => {
  it('a healthy file: every holder passed its audit, health 1.00, exit 0', async () => {
    const result = await run(['--dir', daemon.dir, 'check', `shoal:${manifest}`]) // no key needed
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`manifest  ${manifest}`)
    expect(result.stdout).toContain('health    3/3 shards healthy, health 1.00\n')
    expect(result.stdout.match(/^\d\s+(data|parity)\s+12D3KooW\w+\s+passed$/gm)).toHaveLength(3)
    expect(result.stdout).not.toContain('repaired')
    expect(result.stdout).toMatch(/\nOK\n$/)
    const json = JSON.parse((await run(['--dir', daemon.dir, '--json', 'check', handle])).stdout)
    expect(json).toMatchObject({ manifest, dataShards: 2, parityShards: 1, healthyShards: 3, health: 1, lost: [], repair: null })
    expect(json.audits.map((a: { outcome: string }) => a.outcome)).toEqual(['passed', 'passed', 'passed'])
  })

  it('track, untrack and tracked round-trip; the put file was tracked from the start', async () => {
    const listed = await run(['--dir', daemon.dir, 'tracked'])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(new RegExp(`^checked\\.bin\\s+shoal:${manifest}$`, 'm'))
    const untrack = await run(['--dir', daemon.dir, 'untrack', handle])
    expect(untrack.code, untrack.stderr).toBe(0)
    expect(untrack.stdout).toBe(`no longer tracking ${manifest}\n`)
    expect(untrack.stderr).toContain('leases are no longer renewed')
    expect((await run(['--dir', daemon.dir, 'tracked'])).stdout).toContain('no files tracked')
    const again = await run(['--dir', daemon.dir, 'untrack', handle])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('`shoal tracked` lists the files this daemon checks')
    expect((await run(['--dir', daemon.dir, '--json', 'untrack', handle])).stderr).toContain('"name":"FileNotTrackedError"')
    const track = await run(['--dir', daemon.dir, 'track', `shoal:${manifest}`])
    expect(track.code).toBe(0)
    expect(track.stdout).toBe(`tracking ${manifest}\n`)
    expect((await run(['--dir', daemon.dir, 'track', handle])).stdout).toBe(`${manifest} was tracked already\n`)
    expect(JSON.parse((await run(['--dir', daemon.dir, '--json', 'tracked'])).stdout)).toEqual([manifest])
  })

  it('with a holder stopped: its audit fails, the shard is repaired onto the spare peer, exit 0', async () => {
    const stat = await (await connect(daemon.dir)).stat(handle)
    const holderOf = stat.shards.map(s => s.holders[0].peerId)
    const victim = peers.find(p => holderOf.includes(p.peerId)) as ShoalNode
    const victimId = victim.peerId // unreadable once stopped
    const lostShard = holderOf.indexOf(victimId)
    const spare = [daemon.peerId, ...peers.map(p => p.peerId)].find(id => !holderOf.includes(id)) as string
    await victim.stop()

    const result = await run(['--dir', daemon.dir, 'check', handle])
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^${lostShard}\\s+(data|parity)\\s+${victimId}\\s+UNREACHABLE\\s+\\S`, 'm'))
    expect(result.stdout).toContain(`health    2/3 shards healthy, health 0.00, lost: 1 shard (#${lostShard})`)
    expect(result.stdout).toContain(`repaired  1 shard (#${lostShard} -> ${spare})`)
    expect(result.stdout).toContain('after     3/3 shards healthy')
    expect(result.stdout).toMatch(/\nOK\n$/)

    // the next check finds the new holder through the DHT: nothing left to repair
    const json = JSON.parse((await run(['--dir', daemon.dir, '--json', 'check', handle])).stdout)
    expect(json).toMatchObject({ healthyShards: 3, lost: [], repair: null })
    expect(json.audits).toContainEqual(expect.objectContaining({ shard: lostShard, peerId: spare, outcome: 'passed' }))
    expect(json.audits).toContainEqual(expect.objectContaining({ shard: lostShard, peerId: victimId, outcome: 'unreachable' }))
  })
})
