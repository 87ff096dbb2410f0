/** The scenarios of the simulation (described in simulate.ts), as steps (steps.ts). */
import { parseHandle } from '../format/handle.js'
import { corruptMemoryShardForTesting } from '../store/memory-store.js'
import { CONVERGE_TIMEOUT_MS, goodShards, killPeers, liveHolders, loadManifest, periodicCheck, sha256, step } from './steps.js'
import type { SimPeer } from './network.js'
import type { SimFile, StepContext } from './steps.js'
import type { ScenarioName } from './types.js'

async function killScenario (ctx: StepContext): Promise<void> {
  const target = ctx.files[0]
  const victims = liveHolders(ctx, target)
  await step(ctx, `${ctx.m} holders of file 0 stop at once (m = ${ctx.m})`, async () => ({ shardsLost: await killPeers(ctx, victims.slice(0, ctx.m)) }))
  await step(ctx, `one more holder of file 0 stops (m + 1 = ${ctx.m + 1}): past the limit, no repair`, async () => ({ shardsLost: await killPeers(ctx, victims.slice(ctx.m, ctx.m + 1)) }))
}

async function churnScenario (ctx: StepContext): Promise<void> {
  const rounds = ctx.m + 3
  for (let round = 1; round <= rounds; round++) {
    await step(ctx, `churn ${round}/${rounds}: a holder leaves, a new peer joins, the periodic check repairs`, async () => {
      const candidates = ctx.files.flatMap(f => liveHolders(ctx, f))
      const victim = candidates[ctx.rng.int(candidates.length)]
      const lost = await killPeers(ctx, [victim])
      await ctx.net.add()
      await ctx.net.converge(ctx.owner, CONVERGE_TIMEOUT_MS, ctx.options.signal, ctx.minKnown)
      const { reports: _, ...effects } = await periodicCheck(ctx)
      return { shardsLost: lost, ...effects }
    })
  }
}

async function corruptScenario (ctx: StepContext): Promise<void> {
  const damaged: Array<{ file: SimFile, shard: number }> = []
  await step(ctx, `bytes flipped in stored blocks (up to m = ${ctx.m} shards per file)`, async () => {
    for (const file of ctx.files) {
      const manifest = await loadManifest(ctx, file)
      const shards = Array.from({ length: file.holders.length }, (_, i) => i)
      const count = 1 + ctx.rng.int(ctx.m)
      for (let c = 0; c < count && manifest.shards[0].blocks.length > 0; c++) {
        const shard = shards.splice(ctx.rng.int(shards.length), 1)[0]
        const holder = ctx.net.byId([...file.holders[shard]][0]) as SimPeer
        const block = manifest.shards[shard].blocks[ctx.rng.int(manifest.shards[shard].blocks.length)]
        corruptMemoryShardForTesting(holder.store, block, bytes => { bytes[ctx.rng.int(bytes.length)] ^= 0x5a; return bytes })
        file.holders[shard] = new Set() // no good copy any more
        damaged.push({ file, shard })
      }
    }
    return { shardsLost: damaged.length }
  })
  await step(ctx, 'the periodic check audits every block: finds every damaged shard and rebuilds it elsewhere', async () => {
    // A damaged block is either answered CORRUPT to its challenge or already
    // quarantined by its holder (the reads of the last step re-hashed it):
    // either way its shard has no healthy holder. Nothing undamaged may be flagged.
    const { reports, ...effects } = await periodicCheck(ctx)
    let found = 0
    let falseAlarms = 0
    for (const report of reports) {
      const file = ctx.files.find(f => parseHandle(f.handle).manifest.toString() === report.manifest) as SimFile
      for (const index of report.lost) {
        if (damaged.some(d => d.file === file && d.shard === index)) found++
        else falseAlarms++
      }
    }
    return { ...effects, corruptFound: found, ok: found === damaged.length && falseAlarms === 0 && effects.shardsRepaired === damaged.length }
  })
}

async function liarScenario (ctx: StepContext): Promise<void> {
  const liar = liveHolders(ctx, ctx.files[0])[0]
  await step(ctx, `peer ${liar.index}, a holder of file 0, drops every block it holds and keeps saying it has them`, async () => {
    await liar.liar.startLying()
    let lost = 0
    for (const file of ctx.files) {
      for (const set of file.holders) if (set.delete(liar.peerId)) lost++
    }
    return { shardsLost: lost }
  })
  await step(ctx, 'the periodic check: the liar fails its audits, its shards are rebuilt on other peers', async () => {
    const lostBefore = ctx.files.reduce((sum, f) => sum + f.holders.filter(set => set.size === 0).length, 0)
    const { reports, ...effects } = await periodicCheck(ctx)
    const caught = reports.some(r => r.audits.some(a => a.peerId === liar.peerId && a.outcome === 'failed'))
    return { ...effects, ok: caught && effects.shardsRepaired === lostBefore }
  })
  await step(ctx, 'a new file is stored: the liar is not chosen as a holder', async () => {
    const data = ctx.rng.bytes(Math.max(1, ctx.report.fileBytes))
    const put = await ctx.owner.node.put(data, { dataShards: ctx.k, parityShards: ctx.m, placementSeed: ctx.rng.bytes(16), signal: ctx.options.signal })
    ctx.files.push({ index: ctx.files.length, handle: put.handle, sha256: sha256(data), holders: put.holders.map(h => new Set([h])) })
    ctx.report.files = ctx.files.length
    return { ok: !put.holders.includes(liar.peerId) }
  })
}

async function partitionScenario (ctx: StepContext): Promise<void> {
  const others = ctx.net.alive().filter(p => p !== ctx.owner)
  for (let i = others.length - 1; i > 0; i--) {
    const j = ctx.rng.int(i + 1)
    ;[others[i], others[j]] = [others[j], others[i]]
  }
  const side = [ctx.owner, ...others.slice(0, Math.ceil(others.length / 2))]
  await step(ctx, `the network is cut in two: the owner and ${side.length - 1} peers | ${others.length - side.length + 1} peers`, async () => {
    const before = ctx.files.map(f => goodShards(ctx, f))
    await ctx.net.partition(side)
    return { shardsLost: ctx.files.reduce((sum, f, i) => sum + before[i] - goodShards(ctx, f), 0) }
  })
  await step(ctx, 'the periodic check on the owner\'s side rebuilds there what it can reach', async () => {
    const { reports: _, ...effects } = await periodicCheck(ctx)
    return effects
  })
  await step(ctx, 'the partition heals', async () => {
    await ctx.net.heal(ctx.owner)
    await ctx.net.converge(ctx.owner, CONVERGE_TIMEOUT_MS, ctx.options.signal, ctx.minKnown)
    return {}
  })
  await step(ctx, 'the periodic check after healing: every shard healthy, nothing to repair', async () => {
    const { reports, ...effects } = await periodicCheck(ctx)
    return { ...effects, ok: effects.shardsRepaired === 0 && reports.every(r => r.lost.length === 0) }
  })
}

export const SCENARIO_STEPS: Record<ScenarioName, (ctx: StepContext) => Promise<void>> = {
  kill: killScenario,
  churn: churnScenario,
  corrupt: corruptScenario,
  liar: liarScenario,
  partition: partitionScenario
}
