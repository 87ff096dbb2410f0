/**
 * The periodic check, by hand: check one file now (audits, lease renewal,
 * repair), and choose which files the node checks on its own every
 * `checkIntervalMs`: track, untrack, tracked. None of them needs the key.
 */
import { parseHandle } from '../format/handle.js'
import { FileNotTrackedError } from './errors.js'
import { handleBody, noInput } from './schemas.js'
import type { ApiContext } from './context.js'
import type { FastifyInstance } from 'fastify'

export function registerCheckRoutes (app: FastifyInstance, ctx: ApiContext): void {
  // Answers the node's CheckReport. A repair that failed is reported in it
  // (`error`), not answered as an error: the audits are worth having anyway.
  app.post('/v1/files/check', { schema: handleBody }, async (request, reply) => {
    const { handle } = request.body as { handle: string }
    parseHandle(handle) // a malformed handle is a 400 before any work
    return await ctx.operations.run(reply.raw, async signal => await ctx.node.check(handle, { signal }))
  })

  // track and untrack write to the node's datastore: as operations, a shutdown waits for them.
  app.post('/v1/files/track', { schema: handleBody }, async (request, reply) => {
    const { handle } = request.body as { handle: string }
    const manifest = parseHandle(handle).manifest.toString()
    return await ctx.operations.run(reply.raw, async () => {
      const added = !ctx.node.tracked().includes(manifest)
      await ctx.node.track(handle)
      return { manifest, added }
    })
  })

  // Untracked, a file's leases are no longer renewed: its holders drop its
  // blocks once they run out (unless another node tracks it).
  app.post('/v1/files/untrack', { schema: handleBody }, async (request, reply) => {
    const { handle } = request.body as { handle: string }
    const manifest = parseHandle(handle).manifest.toString()
    return await ctx.operations.run(reply.raw, async () => {
      if (!await ctx.node.untrack(handle)) throw new FileNotTrackedError(manifest)
      return { manifest }
    })
  })

  app.get('/v1/tracked', { schema: noInput }, async () => {
    return { files: ctx.node.tracked().sort() }
  })
}
