/**
 * Shared by the network tests: seeded randomness, and a registry of nodes,
 * datastores and temporary directories that `cleanup()` (called from
 * afterEach) stops, closes and removes even when a test failed.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createShoalLibp2p, type ShoalLibp2p, type ShoalLibp2pInit } from '../../src/net/libp2p.js'
import type { ServiceMap } from '@libp2p/interface'

/** mulberry32: small, fast, seedable; the seed is printed in the test name so a failure can be replayed. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `length` pseudo-random bytes from a seeded generator. */
export function randomBytes (rand: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  const words = Math.floor(length / 4)
  const view = new DataView(out.buffer)
  for (let i = 0; i < words; i++) view.setUint32(i * 4, (rand() * 4294967296) >>> 0, true)
  for (let i = words * 4; i < length; i++) out[i] = (rand() * 256) >>> 0
  return out
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** Poll `check` until it returns true or `timeoutMs` passes; resolves with the elapsed ms. */
export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 50): Promise<number> {
  const start = Date.now()
  while (true) {
    if (await check()) return Date.now() - start
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(intervalMs)
  }
}

export class Harness {
  readonly nodes: Array<ShoalLibp2p<any>> = []
  readonly closers: Array<() => Promise<void>> = []
  readonly dirs: string[] = []

  async node<S extends ServiceMap = Record<string, unknown>> (init: ShoalLibp2pInit<S> = {}): Promise<ShoalLibp2p<S>> {
    const node = await createShoalLibp2p<S>(init)
    this.nodes.push(node)
    return node
  }

  async tempDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-net-'))
    this.dirs.push(dir)
    return dir
  }

  /** Stop every node, then run closers (datastores), then remove temp dirs. Never throws. */
  async cleanup (): Promise<void> {
    await Promise.allSettled(this.nodes.splice(0).map(async node => { await node.stop() }))
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => {})
    await Promise.allSettled(this.dirs.splice(0).map(async dir => { await rm(dir, { recursive: true, force: true }) }))
  }
}
