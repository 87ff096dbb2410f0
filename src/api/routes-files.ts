/**
 * Files: PUT /v1/files streams the request body into node.put; GET
 * /v1/files/:handle streams node.get into the response; GET /v1/files lists
 * the local index. Nothing here holds a whole file in memory.
 */
import { Readable } from 'node:stream'
import { parseHandle } from '../format/handle.js'
import { handleParams, noInput, putQuery } from './schemas.js'
import type { ApiContext } from './context.js'
import type { FileEntry } from './file-index.js'
import type { PutQuery } from './schemas.js'
import type { NodeProgressEvent } from '../node/index.js'
import type { FastifyInstance } from 'fastify'

/** Header carrying a file's size on downloads (also sent as Content-Length). */
export const SIZE_HEADER = 'x-shoal-size'

class UnsupportedMediaTypeError extends Error {
  constructor (type: string | undefined) {
    super(`upload the file's bytes as application/octet-stream, not ${type ?? 'no content type'}`)
    this.name = 'UnsupportedMediaTypeError'
  }
}

async function * nothing (): AsyncGenerator<Uint8Array> {}

/**
 * The upload's chunks until it ends or `signal` fires (a stalled upload must
 * not hold up shutdown). Returning early does not destroy the request: the
 * error answer still has to go out on its socket (then closed, see server.ts).
 */
async function * readUntil (source: AsyncIterable<Uint8Array>, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]()
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(signal.reason) }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  aborted.catch(() => {})
  try {
    for (;;) {
      const next = await Promise.race([chunks.next(), aborted])
      if (next.done === true) return
      yield next.value
    }
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
  }
}

function isReadable (value: unknown): value is Readable {
  return value instanceof Readable || (typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function')
}

export function registerFileRoutes (app: FastifyInstance, ctx: ApiContext): void {
  // The upload parser hands the raw request stream to the route: no buffering
  // and no body limit (the JSON limit applies to JSON bodies only).
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => { done(null, payload) })

  app.get('/v1/files', { schema: noInput }, async () => ({ files: ctx.index.list() }))

  app.put('/v1/files', { schema: putQuery }, async (request, reply) => {
    const query = request.query as PutQuery
    const body = request.body as unknown
    let source: AsyncIterable<Uint8Array>
    if (body === undefined || body === null) source = nothing()
    else if (isReadable(body)) source = body
    else throw new UnsupportedMediaTypeError(request.headers['content-type'])
    const length = request.headers['content-length']
    const size = length === undefined ? undefined : Number(length)
    return await ctx.operations.run(reply.raw, async signal => {
      const result = await ctx.node.put(readUntil(source, signal), {
        preset: query.preset,
        dataShards: query.dataShards,
        parityShards: query.parityShards,
        encrypt: query.encrypt,
        allowColocation: query.allowColocation,
        size: size !== undefined && Number.isSafeInteger(size) ? size : undefined,
        signal
      })
      const entry: FileEntry = {
        handle: result.handle,
        manifest: result.manifest,
        name: query.name ?? null,
        size: result.size,
        dataShards: result.dataShards,
        parityShards: result.parityShards,
        encrypted: query.encrypt !== false,
        holders: result.holders,
        faultTolerance: result.faultTolerance,
        createdAt: new Date().toISOString()
      }
      await ctx.index.add(entry)
      ctx.log('put %s (%d bytes)', result.manifest, result.size)
      return { ...result, name: entry.name, createdAt: entry.createdAt }
    })
  })

  app.get('/v1/files/:handle', { schema: handleParams }, async (request, reply) => {
    const { handle } = request.params as { handle: string }
    parseHandle(handle) // a malformed handle is a 400 before any work
    const op = ctx.operations.begin(reply.raw)
    reply.raw.once('close', op.end) // also when the stream never started
    let size: number | undefined
    const onProgress = (event: NodeProgressEvent): void => {
      if (event.type === 'node:get:manifest') size = event.detail.size
    }
    const chunks = ctx.node.get(handle, { signal: op.signal, onProgress })
    // Pull the first chunk before answering, so that an unknown manifest or a
    // missing key is a proper error status rather than a broken download.
    let first: IteratorResult<Uint8Array>
    try {
      first = await chunks.next()
    } catch (err) {
      op.end()
      throw err
    }
    const rest = async function * (): AsyncGenerator<Uint8Array> {
      try {
        if (first.done !== true) yield first.value
        yield * chunks
      } finally {
        op.end()
      }
    }
    const stream = Readable.from(rest(), { objectMode: false })
    stream.on('error', err => { ctx.log.error('download of %s failed: %s', handle.split('#')[0], err.message) })
    reply.header('content-type', 'application/octet-stream')
    if (size !== undefined) {
      reply.header('content-length', size)
      reply.header(SIZE_HEADER, size)
    }
    return await reply.send(stream)
  })
}
