/**
 * Operations on one file, named by a handle in a JSON body (which keeps the
 * key out of URLs): stat, verify, repair, rm.
 */
import { parseHandle } from '../format/handle.js'
import { FileNotIndexedError } from './errors.js'
import { toHttpError } from './http-errors.js'
import { handleBody } from './schemas.js'
import type { ApiContext } from './context.js'
import type { FastifyInstance } from 'fastify'

/** Errors that mean the file could not be checked at all (answered as errors, not as a failed check). */
const NOT_CHECKABLE = new Set(['InvalidHandleError', 'ManifestNotFoundError', 'MissingKeyError', 'AbortError', 'NodeNotStartedError'])

export function registerOpRoutes (app: FastifyInstance, ctx: ApiContext): void {
  app.post('/v1/files/stat', { schema: handleBody }, async (request, reply) => {
    const { handle } = request.body as { handle: string }
    return await ctx.operations.run(reply.raw, async signal => await ctx.node.stat(handle, { signal }))
  })

  // Read the whole file, discarding it (every block fetched is checked against
  // its hash and every segment authenticated), then check every block of all
  // n shards on their holders, which finds damage a read would not touch.
  app.post('/v1/files/verify', { schema: handleBody }, async (request, reply) => {
    const { handle } = request.body as { handle: string }
    parseHandle(handle)
    return await ctx.operations.run(reply.raw, async signal => {
      let bytes = 0
      let shardFailures = 0
      let error: Record<string, unknown> | null = null
      const started = performance.now()
      try {
        for await (const chunk of ctx.node.get(handle, {
          signal,
          onProgress: e => { if (e.type === 'node:get:shard-failed') shardFailures++ }
        })) bytes += chunk.length
      } catch (err) {
        if (NOT_CHECKABLE.has((err as Error).name)) throw err
        error = toHttpError(err).body.error
      }
      const seconds = (performance.now() - started) / 1000
      const shards = await ctx.node.verify(handle, { signal })
      const stat = await ctx.node.stat(handle, { signal })
      const readOk = error === null && bytes === stat.size
      const allShardsHealthy = shards.ok
      return { ok: readOk && shardFailures === 0 && allShardsHealthy, readOk, allShardsHealthy, bytes, size: stat.size, seconds, shardFailures, error, stat, shards }
    })
  })

  app.post('/v1/files/repair', { schema: handleBody }, async (request, reply) => {
    const { handle } = request.body as { handle: string }
    return await ctx.operations.run(reply.raw, async signal => {
      const report = await ctx.node.repair(handle, { signal })
      const stat = await ctx.node.stat(handle, { signal })
      return { healthy: stat.healthyShards === stat.dataShards + stat.parityShards, repairedShards: report.repaired.length, report, stat }
    })
  })

  // rm: a file this node put. Its holders delete the blocks this node stored
  // (they check the owner), then the file leaves the local index.
  app.post('/v1/files/rm', { schema: handleBody }, async (request, reply) => {
    const { handle } = request.body as { handle: string }
    const manifest = parseHandle(handle).manifest.toString()
    if (ctx.index.list().every(f => f.manifest !== manifest)) throw new FileNotIndexedError(manifest)
    const deletion = await ctx.operations.run(reply.raw, async signal => await ctx.node.delete(handle, { signal }))
    const removed = await ctx.index.remove(manifest)
    if (removed === undefined) throw new FileNotIndexedError(manifest)
    return { removed, blocksDeleted: deletion.unreachable.length === 0, deletion }
  })
}
