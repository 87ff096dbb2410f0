import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode } from '../../src/index.js'
import { createMemoryShardStore } from '../../src/store/index.js'
import { prng } from '../helpers/prng.js'
import { collect, waitFor } from './network.js'
import type { ShoalNode } from '../../src/index.js'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'

/** A peer in a child process (fixtures/peer.ts), with a line-based command channel. */
class ChildPeer {
  private readonly lines: AsyncIterator<string>
  constructor (readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  }

  static start (bootstrap: string, dir?: string): ChildPeer {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/node/fixtures/peer.ts', bootstrap, dir ?? '-'], { stdio: 'pipe' })
    return new ChildPeer(child)
  }

  async line (timeoutMs = 60_000): Promise<string> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error('child peer did not answer')) }, timeoutMs) })
    try {
      const next = await Promise.race([this.lines.next(), timeout])
      if (next.done === true) throw new Error('child peer exited')
      return next.value
    } finally {
      clearTimeout(timer)
    }
  }

  async command (text: string): Promise<string> {
    this.child.stdin.write(`${text}\n`)
    return await this.line()
  }

  async stop (): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise(resolve => this.child.once('exit', resolve))
    this.child.stdin.write('exit\n')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

describe('peers in separate processes', () => {
  const nodes: ShoalNode[] = []
  const children: ChildPeer[] = []
  const dirs: string[] = []

  afterEach(async () => {
    await Promise.allSettled(children.splice(0).map(async c => { await c.stop() }))
    await Promise.allSettled(nodes.splice(0).map(async n => { await n.stop() }))
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  it('a file put in this process is read by a peer in another one, even after this one stops', async () => {
    const here = createNode({ store: createMemoryShardStore({ capacityBytes: 256 * 1024 * 1024 }), capacityBytes: 256 * 1024 * 1024, querySelfIntervalMs: 1000 })
    nodes.push(here)
    await here.start()
    const child = ChildPeer.start(here.multiaddrs[0])
    children.push(child)
    const [word, childId] = (await child.line()).split(' ')
    expect(word).toBe('ready')
    await waitFor(async () => (await here.peers()).some(p => p.peerId === childId), 30_000)

    const data = prng(77).bytes(2 * 1024 * 1024 + 5)
    const result = await here.put(data, { dataShards: 1, parityShards: 1 })
    expect(new Set(result.holders)).toEqual(new Set([here.peerId, childId]))
    const expected = `got ${createHash('sha256').update(data).digest('hex')} ${data.length}`
    expect(await child.command(`get ${result.handle}`)).toBe(expected)

    await here.stop()
    expect(await child.command(`get ${result.handle}`)).toBe(expected)
  }, 120_000)

  it('a file put in another process is read here', async () => {
    const here = createNode({ capacityBytes: 256 * 1024 * 1024, querySelfIntervalMs: 1000 })
    nodes.push(here)
    await here.start()
    const child = ChildPeer.start(here.multiaddrs[0])
    children.push(child)
    await child.line()
    await waitFor(async () => (await here.peers()).length === 1, 30_000)
    const answer = await child.command('put 1000000 13')
    expect(answer.startsWith('put shoal:')).toBe(true)
    const back = await collect(here.get(answer.slice(4)))
    const expected = new Uint8Array(1_000_000).map((_, i) => (i * 13 + (i >> 7)) & 0xff)
    expect(Buffer.compare(back, expected)).toBe(0)
  }, 120_000)

  it('a peer restarted from its data directory keeps its PeerId and serves its shards', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-restart-'))
    dirs.push(dir)
    const reader = createNode({ capacityBytes: 0, querySelfIntervalMs: 1000 })
    nodes.push(reader)
    await reader.start()
    let disk = ChildPeer.start(reader.multiaddrs[0], dir)
    children.push(disk)
    const diskId = (await disk.line()).split(' ')[1]
    const other = createNode({ capacityBytes: 256 * 1024 * 1024, querySelfIntervalMs: 1000, bootstrap: reader.multiaddrs })
    nodes.push(other)
    await other.start()
    await waitFor(async () => (await reader.peers()).length === 2, 30_000)

    // 1 + 1 on {disk peer, other}: the reader stores nothing itself
    const data = prng(99).bytes(700_000)
    const result = await reader.put(data, { dataShards: 1, parityShards: 1 })
    expect(new Set(result.holders)).toEqual(new Set([diskId, other.peerId]))

    await disk.stop()
    disk = ChildPeer.start(reader.multiaddrs[0], dir)
    children.push(disk)
    expect((await disk.line()).split(' ')[1]).toBe(diskId)
    await other.stop()
    // Only the restarted peer can serve the file now.
    await waitFor(async () => (await reader.peers()).some(p => p.peerId === diskId), 30_000)
    expect(Buffer.compare(await collect(reader.get(result.handle, { fetchTimeoutMs: 5000 })), data)).toBe(0)
  }, 120_000)
})
