/**
 * The node API: start a small shoal network on this machine, store a file,
 * lose one of the peers holding it, read it back, and let the writer's check
 * (the one its timer runs every hour) audit the holders and repair the file.
 *
 *   npx tsx examples/node-api.ts
 */
import '../src/polyfill.js'
import { createNode } from '../src/index.js'
import type { ShoalNode } from '../src/index.js'

const peers: ShoalNode[] = []
try {
  // Six peers on 127.0.0.1, each joining through the ones already running.
  for (let i = 0; i < 6; i++) {
    const node = createNode({
      capacityBytes: 64 * 1024 * 1024,
      querySelfIntervalMs: 1000,
      bootstrap: peers.flatMap(p => p.multiaddrs)
    })
    await node.start()
    peers.push(node)
  }
  // Wait (at most 30 s) until the writer and the reader know the others as storage peers.
  for (let tries = 0; (await Promise.all(peers.slice(0, 2).map(async p => (await p.peers()).length))).some(n => n < 5); tries++) {
    if (tries === 150) throw new Error('the peers did not find each other')
    await new Promise(resolve => setTimeout(resolve, 200))
  }

  const text = 'shoal keeps this sentence alive while its peers come and go.\n'.repeat(2000)
  const stored = await peers[0].put(new TextEncoder().encode(text), { preset: 'personal' })
  console.log(`stored ${stored.size} bytes as ${stored.dataShards}-of-${stored.dataShards + stored.parityShards}`)
  console.log(`handle ${stored.handle.slice(0, 24)}… survives ${stored.faultTolerance} lost peers`)

  // Stop one peer that holds a shard (not the writer, not the reader).
  const victim = peers.find(p => p !== peers[0] && p !== peers[1] && stored.holders.includes(p.peerId)) as ShoalNode
  await victim.stop()
  console.log('stopped one holder')

  const parts: Uint8Array[] = []
  for await (const chunk of peers[1].get(stored.handle)) parts.push(chunk)
  const back = new TextDecoder().decode(Buffer.concat(parts))
  console.log(`read back ${back.length} bytes: ${back === text ? 'identical' : 'DIFFERENT'}`)

  const stat = await peers[1].stat(stored.handle)
  console.log(`health ${stat.healthyShards}/${stat.shards.length} shards, survives ${stat.survivableFailures} more lost peers`)

  // The writer tracks what it put: a check audits every holder (a Merkle-proof
  // challenge each), renews their leases and rebuilds the lost shard elsewhere.
  const check = await peers[0].check(stored.handle)
  console.log(`check: ${check.healthyShards}/${stored.dataShards + stored.parityShards} shards passed their audit, repaired ${check.repair?.repaired.length ?? 0}`)
  const after = await peers[1].stat(stored.handle)
  console.log(`health after repair ${after.healthyShards}/${after.shards.length} shards`)
} finally {
  await Promise.allSettled(peers.map(async p => { await p.stop() }))
}
