/** This peer and the network: GET /v1/status, GET /v1/peers. */
import { noInput } from './schemas.js'
import type { ApiContext } from './context.js'
import type { StoragePeer } from '../node/index.js'
import type { FastifyInstance } from 'fastify'

export interface PeerView {
  peerId: string
  addresses: string[]
  capacityBytes: number
  usedBytes: number
  freeBytes: number
  shardCount: number
}

function view (p: StoragePeer): PeerView {
  return { peerId: p.peerId, addresses: p.addresses, capacityBytes: p.capacityBytes, usedBytes: p.usedBytes, freeBytes: p.freeBytes, shardCount: p.shardCount }
}

export function registerNodeRoutes (app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/peers', { schema: noInput }, async (_request, reply) => {
    return await ctx.operations.run(reply.raw, async signal => {
      const peers = await ctx.node.peers({ signal })
      return { peers: peers.map(view).sort((a, b) => a.peerId.localeCompare(b.peerId)) }
    })
  })

  app.get('/v1/status', { schema: noInput }, async (_request, reply) => {
    return await ctx.operations.run(reply.raw, async signal => {
      const [capacity, found] = await Promise.all([ctx.node.capacity({ signal }), ctx.node.peers({ signal })])
      const peers = found.map(view).sort((a, b) => a.peerId.localeCompare(b.peerId))
      const all = [capacity, ...peers]
      return {
        version: ctx.version,
        dir: ctx.dir,
        api: ctx.apiUrl() ?? null,
        peerId: ctx.node.peerId,
        addresses: ctx.node.multiaddrs,
        capacity,
        peers,
        network: {
          peers: all.length,
          capacityBytes: all.reduce((a, p) => a + p.capacityBytes, 0),
          usedBytes: all.reduce((a, p) => a + p.usedBytes, 0),
          freeBytes: all.reduce((a, p) => a + p.freeBytes, 0),
          shardCount: all.reduce((a, p) => a + p.shardCount, 0)
        }
      }
    })
  })
}
