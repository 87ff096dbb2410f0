/**
 * Client of the daemon's control API, over node:http. It finds the daemon
 * through `<dir>/api.json` and `<dir>/api.token`; uploads and downloads
 * stream. Errors: NoDaemonError when nobody answers, ApiResponseError (with
 * the server's error name and fields) for an error answer,
 * TransferInterruptedError for a download cut short.
 */
import { once } from 'node:events'
import { request as httpRequest } from 'node:http'
import { ApiResponseError, ConnectionLostError, NoDaemonError, TransferInterruptedError } from './errors.js'
import { readApiInfo } from './daemon-info.js'
import { readToken } from './token.js'
import type { FileEntry } from './file-index.js'
import type { PeerView } from './routes-node.js'
import type { CheckReport, DeleteReport, FileStat, PresetName, PutResult, RepairReport, StoreStats, VerifyReport } from './types.js'
import type { IncomingMessage } from 'node:http'

export interface ApiClientInit {
  /** Base URL of the API, e.g. http://127.0.0.1:5610 */
  url: string
  token: string
  /** For error messages: the data directory. */
  dir?: string
}

export interface ClientPutOptions {
  preset?: PresetName
  dataShards?: number
  parityShards?: number
  encrypt?: boolean
  allowColocation?: boolean
  /** Stored in the local index (`ls`). */
  name?: string
  /** Bytes the source will yield, when known (sent as Content-Length). */
  size?: number
  /** Called with the bytes sent so far. */
  onSent?: (bytes: number) => void
  signal?: AbortSignal
}

export interface StatusView {
  version: string
  dir: string
  api: string | null
  peerId: string
  addresses: string[]
  capacity: StoreStats
  peers: PeerView[]
  network: { peers: number, capacityBytes: number, usedBytes: number, freeBytes: number, shardCount: number }
}

export interface VerifyResult {
  /** The file read back intact, no block fetch failed, and every shard is healthy. */
  ok: boolean
  /** The whole file was read back and authenticated. */
  readOk: boolean
  /** Every block of every one of the n shards is on a holder and matches its hash. */
  allShardsHealthy: boolean
  bytes: number
  size: number
  seconds: number
  shardFailures: number
  error: { name: string, message: string, [field: string]: unknown } | null
  stat: FileStat
  /** The check of all n shards, block by block. */
  shards: VerifyReport
}

export interface RepairResult {
  /** Every shard healthy after the repair. */
  healthy: boolean
  repairedShards: number
  report: RepairReport
  /** After the repair. */
  stat: FileStat
}

export interface RemoveResult {
  removed: FileEntry
  /** Every holder was reached (blocks it held for this node are gone). */
  blocksDeleted: boolean
  deletion: DeleteReport
}

export interface TrackResult {
  manifest: string
  /** False when the file was tracked already. */
  added: boolean
}

export interface Download {
  /** From the manifest; undefined if the daemon did not say. */
  size?: number
  body: AsyncGenerator<Uint8Array>
}

export type PutAnswer = PutResult & { name: string | null, createdAt: string }

/** Connects to the daemon of a data directory. */
export async function connect (dir: string): Promise<ApiClient> {
  const info = await readApiInfo(dir)
  if (info === undefined) throw new NoDaemonError(dir)
  const token = await readToken(dir)
  return new ApiClient({ url: info.url, token, dir })
}

async function readBody (res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8')
  let text = ''
  for await (const chunk of res) text += chunk as string
  return text
}

async function errorFrom (res: IncomingMessage): Promise<ApiResponseError> {
  const status = res.statusCode ?? 0
  let text = ''
  try {
    text = await readBody(res)
    const { error } = JSON.parse(text)
    if (typeof error?.name !== 'string' || typeof error?.message !== 'string') throw new Error('not an API error body')
    const { name, message, ...fields } = error
    return new ApiResponseError(status, name, message, fields)
  } catch {
    return new ApiResponseError(status, 'HttpError', `the API answered ${status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`)
  }
}

export class ApiClient {
  readonly url: string
  private readonly token: string
  private readonly dir: string

  constructor (init: ApiClientInit) {
    this.url = init.url.replace(/\/+$/, '')
    this.token = init.token
    this.dir = init.dir ?? '(unknown data directory)'
  }

  /** Sends a request; resolves with the response once its headers arrive. `write` streams the body. */
  private async send (method: string, path: string, headers: Record<string, string | number>, write?: (req: ReturnType<typeof httpRequest>, answered: () => boolean, response: Promise<unknown>) => Promise<void>, signal?: AbortSignal): Promise<IncomingMessage> {
    const req = httpRequest(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...headers },
      signal
    })
    let answered = false
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', res => {
        answered = true
        req.on('error', () => {}) // a late EPIPE after an early answer changes nothing
        resolve(res)
      })
      req.once('error', reject)
    })
    response.catch(() => {})
    try {
      if (write === undefined) req.end()
      else await write(req, () => answered, response)
    } catch (err) {
      // The server may have answered early (and closed): its answer explains more than our write error.
      if (!answered) {
        req.destroy()
        await response.catch(() => {})
        throw this.connectionError(err)
      }
    }
    try {
      return await response
    } catch (err) {
      throw this.connectionError(err)
    }
  }

  private connectionError (err: unknown): unknown {
    const code = (err as NodeJS.ErrnoException)?.code
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL') return new NoDaemonError(this.dir, this.url, { cause: err })
    if (code === 'ECONNRESET' || code === 'EPIPE') return new ConnectionLostError(this.url, { cause: err })
    return err
  }

  private async json<T> (method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const headers: Record<string, string | number> = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
    const res = await this.send(method, path, headers, payload === undefined ? undefined : async (req) => { req.end(payload) }, signal)
    if ((res.statusCode ?? 0) >= 400) throw await errorFrom(res)
    return JSON.parse(await readBody(res)) as T
  }

  async status (options: { signal?: AbortSignal } = {}): Promise<StatusView> {
    return await this.json('GET', '/v1/status', undefined, options.signal)
  }

  async peers (options: { signal?: AbortSignal } = {}): Promise<PeerView[]> {
    return (await this.json<{ peers: PeerView[] }>('GET', '/v1/peers', undefined, options.signal)).peers
  }

  async files (options: { signal?: AbortSignal } = {}): Promise<FileEntry[]> {
    return (await this.json<{ files: FileEntry[] }>('GET', '/v1/files', undefined, options.signal)).files
  }

  async stat (handle: string, options: { signal?: AbortSignal } = {}): Promise<FileStat> {
    return await this.json('POST', '/v1/files/stat', { handle }, options.signal)
  }

  async verify (handle: string, options: { signal?: AbortSignal } = {}): Promise<VerifyResult> {
    return await this.json('POST', '/v1/files/verify', { handle }, options.signal)
  }

  async repair (handle: string, options: { signal?: AbortSignal } = {}): Promise<RepairResult> {
    return await this.json('POST', '/v1/files/repair', { handle }, options.signal)
  }

  async remove (handle: string, options: { signal?: AbortSignal } = {}): Promise<RemoveResult> {
    return await this.json('POST', '/v1/files/rm', { handle }, options.signal)
  }

  /** Audits the file's holders now, renews their leases, and repairs it if the daemon's `repairAfterLost` shards are lost. */
  async check (handle: string, options: { signal?: AbortSignal } = {}): Promise<CheckReport> {
    return await this.json('POST', '/v1/files/check', { handle }, options.signal)
  }

  /** Adds a file to the daemon's periodic check. */
  async track (handle: string, options: { signal?: AbortSignal } = {}): Promise<TrackResult> {
    return await this.json('POST', '/v1/files/track', { handle }, options.signal)
  }

  /** Removes a file from the periodic check; FileNotTrackedError when it was not tracked. */
  async untrack (handle: string, options: { signal?: AbortSignal } = {}): Promise<{ manifest: string }> {
    return await this.json('POST', '/v1/files/untrack', { handle }, options.signal)
  }

  /** Manifest CIDs of the files the daemon checks periodically. */
  async tracked (options: { signal?: AbortSignal } = {}): Promise<string[]> {
    return (await this.json<{ files: string[] }>('GET', '/v1/tracked', undefined, options.signal)).files
  }

  /** Streams `source` to the daemon, which stores it across the network. */
  async put (source: AsyncIterable<Uint8Array>, options: ClientPutOptions = {}): Promise<PutAnswer> {
    const query = new URLSearchParams()
    for (const key of ['preset', 'dataShards', 'parityShards', 'encrypt', 'allowColocation', 'name'] as const) {
      const value = options[key]
      if (value !== undefined) query.set(key, String(value))
    }
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream' }
    if (options.size !== undefined) headers['content-length'] = options.size
    const qs = query.toString()
    let upload: ReturnType<typeof httpRequest> | undefined
    const res = await this.send('PUT', `/v1/files${qs === '' ? '' : `?${qs}`}`, headers, async (req, answered, response) => {
      upload = req
      let sent = 0
      const settled = response.then(() => 'answered' as const, () => 'answered' as const)
      const chunks = source[Symbol.asyncIterator]()
      for (;;) {
        // An early answer (an error) must not wait for a slow source's next chunk.
        const next = await Promise.race([chunks.next(), settled])
        if (next === 'answered') {
          void chunks.return?.()
          break
        }
        if (next.done === true) break
        const chunk = next.value
        sent += chunk.length
        if (!req.write(chunk)) {
          const drained = once(req, 'drain')
          drained.catch(() => {})
          await Promise.race([drained, settled])
        }
        options.onSent?.(sent)
      }
      if (!answered()) req.end()
    }, options.signal)
    try {
      if ((res.statusCode ?? 0) >= 400) throw await errorFrom(res)
      return JSON.parse(await readBody(res)) as PutAnswer
    } finally {
      // answered before the whole upload was sent: the request is still open
      upload?.destroy()
    }
  }

  /** Streams a file back. The body throws TransferInterruptedError if it ends early. */
  async get (handle: string, options: { signal?: AbortSignal } = {}): Promise<Download> {
    const res = await this.send('GET', `/v1/files/${encodeURIComponent(handle)}`, {}, undefined, options.signal)
    if ((res.statusCode ?? 0) >= 400) throw await errorFrom(res)
    const header = res.headers['content-length']
    const size = header === undefined ? undefined : Number(header)
    const body = async function * (): AsyncGenerator<Uint8Array> {
      let received = 0
      try {
        for await (const chunk of res) {
          received += (chunk as Buffer).length
          yield chunk as Buffer
        }
      } catch (err) {
        options.signal?.throwIfAborted()
        throw new TransferInterruptedError(received, size, { cause: err })
      } finally {
        res.destroy()
      }
      if (size !== undefined && received !== size) throw new TransferInterruptedError(received, size)
    }
    return { size, body: body() }
  }
}
