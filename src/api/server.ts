/**
 * The daemon's local control API: fastify, every route behind the bearer
 * token and validated by a JSON schema, JSON bodies limited in size, files
 * streamed both ways, typed errors answered as `{ error: { name, message, ...fields } }`.
 * This builds the server; daemon.ts makes it listen.
 */
import Fastify from 'fastify'
import { logger as createLogger } from '@libp2p/logger'
import { MAX_JSON_BODY_BYTES, MAX_PARAM_CHARS } from './constants.js'
import { ShuttingDownError, UnauthorizedError } from './errors.js'
import { toHttpError } from './http-errors.js'
import { Operations } from './operations.js'
import { registerCheckRoutes } from './routes-check.js'
import { registerFileRoutes } from './routes-files.js'
import { registerNodeRoutes } from './routes-node.js'
import { registerOpRoutes } from './routes-ops.js'
import { bearerToken, tokenMatches } from './token.js'
import type { ApiContext } from './context.js'
import type { FileIndex } from './file-index.js'
import type { ShoalNode } from '../node/index.js'
import type { FastifyInstance } from 'fastify'

export interface ApiServerInit {
  node: ShoalNode
  index: FileIndex
  /** The bearer token every request must carry. */
  token: string
  /** Where the token lives (told to clients that get it wrong). */
  tokenPath: string
  dir: string
  version: string
  /** The API's address once it listens. Default: unknown. */
  apiUrl?: () => string | undefined
}

export interface ApiServer {
  app: FastifyInstance
  operations: Operations
  /** Refuse new requests (503 ShuttingDownError) from now on. */
  refuseNew: () => void
}

export function createApiServer (init: ApiServerInit): ApiServer {
  const log = createLogger('shoal:api')
  const operations = new Operations()
  let refusing = false
  const app = Fastify({
    logger: false,
    // During shutdown our onRequest hook answers with a typed ShuttingDownError.
    return503OnClosing: false,
    bodyLimit: MAX_JSON_BODY_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_CHARS },
    // Unknown fields are errors, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } }
  })

  app.addHook('onRequest', async (request) => {
    if (refusing) throw new ShuttingDownError()
    const given = bearerToken(request.headers.authorization)
    if (!tokenMatches(init.token, given)) {
      throw new UnauthorizedError(given === undefined
        ? `the API needs a token: send "Authorization: Bearer <token>" with the token from ${init.tokenPath}`
        : `wrong API token: the daemon's token is in ${init.tokenPath}`, init.tokenPath)
    }
  })

  app.setErrorHandler((err, request, reply) => {
    const { status, body } = toHttpError(err)
    if (status >= 500) log.error('%s %s: %s', request.method, request.url.split('?')[0], (err as Error).message)
    if (status === 401) reply.header('www-authenticate', 'Bearer')
    // An upload refused part-way is not cut off: closing a socket with unread
    // bytes sends a reset that can destroy this answer before the client reads
    // it. Node reads and discards the rest; the client stops sending once
    // answered.
    void reply.code(status).send(body)
  })

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { name: 'RouteNotFoundError', message: `no route ${request.method} ${request.url.split('?')[0]}` } })
  })

  const ctx: ApiContext = {
    node: init.node,
    index: init.index,
    operations,
    log,
    version: init.version,
    dir: init.dir,
    apiUrl: init.apiUrl ?? (() => undefined)
  }
  registerNodeRoutes(app, ctx)
  registerFileRoutes(app, ctx)
  registerOpRoutes(app, ctx)
  registerCheckRoutes(app, ctx)
  return { app, operations, refuseNew: () => { refusing = true } }
}
