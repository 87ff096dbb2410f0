/**
 * Client side of the shard exchange: a session is one stream to one peer that
 * carries requests in order (store, fetch, has, delete, renew, audit). A failure status from
 * the peer becomes a RemoteError with that status, and the session stays
 * usable; a broken stream (timeout, reset, malformed answer) breaks the session
 * and every later call rejects with the same typed error.
 */

import { base64url } from 'multiformats/bases/base64'
import { MalformedMessageError, RemoteError } from './errors.js'
import {
  CAPACITY_PROTOCOL, decodeCapacity, decodeResponse, encodeMessage, MAX_BLOCK_BYTES, MAX_HEADER_BYTES,
  SHARD_PROTOCOL, SHARD_REQUEST_TIMEOUT_MS, Status
} from './shard-messages.js'
import { readFrame, writeFrame, writeFrameAndBody } from './stream-io.js'
import { createStreamReader } from './stream-reader.js'
import type { CapacityInfo, ShardRequest, ShardResponse } from './shard-messages.js'
import type { TimeoutOptions } from './op-signal.js'
import type { StreamReader } from './stream-reader.js'
import type { PeerId, Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** What the client needs of a libp2p node. */
export interface Dialer {
  dialProtocol: (peer: PeerId, protocols: string | string[], options?: { signal?: AbortSignal }) => Promise<Stream>
}

/** Whether a holder announces a stored block in the DHT, and whether its answer waits for that. */
export type Announce = 'background' | 'wait'

export interface StoreOptions extends TimeoutOptions {
  announce?: Announce
  /** Ask the holder to keep the block at least this long (it clamps; see MIN/MAX_LEASE_MS). Default: the holder's default. */
  leaseMs?: number
}

export interface AuditAnswer {
  chunk: Uint8Array
  path: Uint8Array[]
}

export interface FetchOptions extends TimeoutOptions {
  offset?: number
  length?: number
}

export class ShardSession {
  readonly peerId: string
  private readonly stream: Stream
  private readonly reader: StreamReader
  /** Requests go out in order on one chain and answers are read in order on another: pipelined. */
  private writeTail: Promise<unknown> = Promise.resolve()
  private readTail: Promise<unknown> = Promise.resolve()
  private broken: Error | null = null

  constructor (stream: Stream, peerId: string) {
    this.stream = stream
    this.peerId = peerId
    this.reader = createStreamReader(stream)
  }

  /** A failure status the peer sent before the stream broke, if one is buffered. */
  private async pendingRefusal (): Promise<RemoteError | null> {
    try {
      const response = decodeResponse(await readFrame(this.reader, { timeoutMs: 50, maxBytes: MAX_HEADER_BYTES }))
      return response.status === Status.OK ? null : new RemoteError(response.status, response.message ?? '', this.peerId)
    } catch {
      return null
    }
  }

  private fail (err: unknown): never {
    if (!(err instanceof RemoteError) && this.broken === null) {
      this.broken = err as Error
      this.stream.abort(err as Error)
    }
    throw err
  }

  /**
   * Sends a request once every earlier request is sent, and reads its answer
   * once every earlier answer is read. A failure status leaves the session
   * usable; any other failure breaks it for every later call.
   */
  private async exchange<T> (request: ShardRequest, options: TimeoutOptions, body: Uint8Array | undefined, read: (response: ShardResponse) => Promise<T>): Promise<T> {
    const timeouts = { signal: options.signal, timeoutMs: options.timeoutMs ?? (options.signal === undefined ? SHARD_REQUEST_TIMEOUT_MS : undefined) }
    const sent = this.writeTail.then(async () => {
      if (this.broken !== null) throw this.broken
      try {
        if (body === undefined) await writeFrame(this.stream, encodeMessage(request), { ...timeouts, maxBytes: MAX_HEADER_BYTES })
        else await writeFrameAndBody(this.stream, encodeMessage(request), body, { ...timeouts, maxBytes: MAX_HEADER_BYTES })
      } catch (err) {
        // A peer that refuses a request (busy, too large) answers with a status
        // and resets the stream while we are still sending: report its answer.
        const refusal = await this.pendingRefusal()
        if (refusal === null) this.fail(err)
        this.broken ??= err as Error
        this.stream.abort(err as Error)
        throw refusal
      }
    })
    this.writeTail = sent.catch(() => {})
    const answered = Promise.all([sent, this.readTail]).then(async () => {
      if (this.broken !== null) throw this.broken
      try {
        const response = decodeResponse(await readFrame(this.reader, { ...timeouts, maxBytes: MAX_HEADER_BYTES }))
        if (response.status !== Status.OK) throw new RemoteError(response.status, response.message ?? '', this.peerId)
        return await read(response)
      } catch (err) {
        this.fail(err)
      }
    })
    this.readTail = answered.catch(() => {})
    return await answered
  }

  /**
   * Stores a block on the peer. `announce` asks it to provide the CID in the
   * DHT: 'wait' answers once that is done, 'background' right away.
   */
  async store (cid: CID, bytes: Uint8Array, options: StoreOptions = {}): Promise<void> {
    const announce = options.announce === 'wait' || options.announce === 'background' ? { announce: true, announceWait: options.announce === 'wait' } : {}
    const lease = options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }
    await this.exchange({ op: 'store', cid: cid.toString(), size: bytes.length, ...announce, ...lease }, options, bytes, async () => {})
  }

  /** Extends the leases of blocks the peer has to at least `leaseMs` from now; says which it has. */
  async renew (cids: CID[], leaseMs: number, options: TimeoutOptions = {}): Promise<boolean[]> {
    return await this.exchange({ op: 'renew', cids: cids.map(c => c.toString()), leaseMs }, options, undefined, async (response) => {
      if (response.renewed?.length !== cids.length) throw new MalformedMessageError('renew answer does not match the request')
      return response.renewed
    })
  }

  /**
   * Chunk `chunk` of the block's Merkle tree of `chunkBytes` chunks, with its
   * proof path. The caller checks it (verifyMerkleProof): this only checks the
   * answer's shape.
   */
  async audit (cid: CID, chunkBytes: number, chunk: number, options: TimeoutOptions = {}): Promise<AuditAnswer> {
    return await this.exchange({ op: 'audit', cid: cid.toString(), chunkBytes, chunk }, options, undefined, async (response) => {
      const size = response.size
      if (size === undefined || size > chunkBytes || response.proof === undefined) {
        throw new MalformedMessageError(`audit answer announces ${String(size)} bytes${response.proof === undefined ? ' and no proof' : ''}`)
      }
      const bytes = await this.reader.readExactly(size, { signal: options.signal, timeoutMs: options.timeoutMs ?? (options.signal === undefined ? SHARD_REQUEST_TIMEOUT_MS : undefined) })
      let path: Uint8Array[]
      try {
        path = response.proof.map(h => base64url.baseDecode(h))
      } catch (err) {
        throw new MalformedMessageError('audit proof is not base64url', { cause: err })
      }
      return { chunk: bytes, path }
    })
  }

  async fetch (cid: CID, options: FetchOptions = {}): Promise<Uint8Array> {
    return await this.exchange({ op: 'fetch', cid: cid.toString(), offset: options.offset, length: options.length }, options, undefined, async (response) => {
      const size = response.size
      if (size === undefined || size > MAX_BLOCK_BYTES || (options.length !== undefined && size !== options.length)) {
        throw new MalformedMessageError(`fetch answer announces ${String(size)} bytes`)
      }
      return await this.reader.readExactly(size, { signal: options.signal, timeoutMs: options.timeoutMs ?? (options.signal === undefined ? SHARD_REQUEST_TIMEOUT_MS : undefined) })
    })
  }

  async has (cids: CID[], options: TimeoutOptions = {}): Promise<boolean[]> {
    return await this.exchange({ op: 'has', cids: cids.map(c => c.toString()) }, options, undefined, async (response) => {
      if (response.has?.length !== cids.length) throw new MalformedMessageError('has answer does not match the request')
      return response.has
    })
  }

  async delete (cid: CID, options: TimeoutOptions = {}): Promise<boolean> {
    return await this.exchange({ op: 'delete', cid: cid.toString() }, options, undefined, async (response) => response.deleted === true)
  }

  /** Ends the session after the requests already sent; never throws. */
  async close (): Promise<void> {
    await Promise.all([this.writeTail, this.readTail])
    this.reader.release()
    if (this.broken === null) await this.stream.close().catch(err => { this.stream.abort(err) })
  }

  /** False once the stream broke or closed: open a new session then. */
  get usable (): boolean {
    return this.broken === null && this.stream.status === 'open' && this.stream.writeStatus === 'writable' && this.stream.remoteWriteStatus === 'writable'
  }
}

export async function openShardSession (dialer: Dialer, peer: PeerId, options: TimeoutOptions = {}): Promise<ShardSession> {
  const signal = options.signal ?? AbortSignal.timeout(options.timeoutMs ?? SHARD_REQUEST_TIMEOUT_MS)
  const stream = await dialer.dialProtocol(peer, SHARD_PROTOCOL, { signal })
  return new ShardSession(stream, peer.toString())
}

/** Asks a peer how much room it has. */
export async function queryCapacity (dialer: Dialer, peer: PeerId, options: TimeoutOptions = {}): Promise<CapacityInfo> {
  const timeoutMs = options.timeoutMs ?? (options.signal === undefined ? SHARD_REQUEST_TIMEOUT_MS : undefined)
  const signal = options.signal ?? AbortSignal.timeout(timeoutMs ?? SHARD_REQUEST_TIMEOUT_MS)
  const stream = await dialer.dialProtocol(peer, CAPACITY_PROTOCOL, { signal })
  const reader = createStreamReader(stream)
  try {
    await writeFrame(stream, encodeMessage({ op: 'capacity' }), { signal: options.signal, timeoutMs })
    const response = decodeCapacity(await readFrame(reader, { signal: options.signal, timeoutMs, maxBytes: MAX_HEADER_BYTES }))
    if (response.status !== Status.OK) throw new RemoteError(response.status, response.message ?? '', peer.toString())
    await stream.close().catch(() => {})
    return response as CapacityInfo
  } catch (err) {
    stream.abort(err as Error)
    throw err
  } finally {
    reader.release()
  }
}
