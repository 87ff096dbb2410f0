/**
 * Server side of the shard exchange and capacity protocols: a libp2p service
 * that answers other peers from a ShardBackend (the node's shard store).
 *
 * Every stream is handled in a loop that reads requests and starts their work
 * without waiting for the earlier ones to finish (a store's body is read while
 * the previous block is being written); answers go out in request order
 * (answer-queue.ts says which requests overlap). A request that cannot
 * be understood (bad frame, bad JSON, unknown op, oversized body) gets a status
 * answer when the stream still allows one, and the stream is then aborted: the
 * byte stream cannot be resynchronised. Backend failures (unknown shard,
 * corrupt shard, quota, not owner) are answered with their status and the
 * stream stays usable. Nothing a peer sends can throw out of the handler.
 *
 * Memory: store bodies are read whole (at most MAX_BLOCK_BYTES) after
 * reserving their size from a per-node budget (MAX_INFLIGHT_STORE_BYTES); past
 * the budget a store is answered BUSY without reading the body.
 */

import { base64url } from 'multiformats/bases/base64'
import { assertShardCid, parseCid } from '../format/cid.js'
import { chunkCount, merkleProof } from '../format/merkle.js'
import {
  CAPACITY_PROTOCOL, DEFAULT_LEASE_MS, MAX_LEASE_MS, MIN_LEASE_MS, decodeRequest, encodeMessage, MAX_BLOCK_BYTES, MAX_HEADER_BYTES, MAX_INFLIGHT_STORE_BYTES,
  MAX_SHARD_STREAMS, ANNOUNCE_TIMEOUT_MS, SHARD_IDLE_TIMEOUT_MS, SHARD_PROTOCOL, SHARD_REQUEST_TIMEOUT_MS, Status, statusOf
} from './shard-messages.js'
import { AnswerQueue } from './answer-queue.js'
import { readFrameOrEnd, writeFrame } from './stream-io.js'
import { createStreamReader } from './stream-reader.js'
import type { Answer, Work } from './answer-queue.js'
import type { CapacityInfo, CapacityResponse, ShardRequest, ShardResponse } from './shard-messages.js'
import type { StreamReader } from './stream-reader.js'
import type { ComponentLogger, Connection, Logger, Startable, Stream } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'
import type { CID } from 'multiformats/cid'

/** What the service needs of a shard store (the ShardStore satisfies it). */
export interface ShardBackend {
  /** `owned`: the service hands the buffer over (nobody else holds or reuses it), so the store need not copy it. */
  put: (cid: CID, bytes: Uint8Array, options: { owner?: string, signal?: AbortSignal, owned?: boolean, leaseMs?: number }) => Promise<void>
  /**
   * Extends the leases of the blocks held to `leaseMs` from now (already
   * clamped to MIN..MAX_LEASE_MS); says which are held. Without it, renew
   * answers like `has` and nothing expires.
   */
  renew?: (cids: CID[], leaseMs: number, options: { signal?: AbortSignal }) => Promise<boolean[]>
  get: (cid: CID, options: { offset?: number, length?: number, signal?: AbortSignal }) => Promise<Uint8Array>
  has: (cid: CID, options: { signal?: AbortSignal }) => Promise<boolean>
  delete: (cid: CID, options: { owner?: string, signal?: AbortSignal }) => Promise<boolean>
  stats: (options: { signal?: AbortSignal }) => Promise<CapacityInfo>
  /**
   * Called after a store the client asked to announce: provides the CID in the
   * DHT. With `announceWait` the answer waits for it (at most
   * ANNOUNCE_TIMEOUT_MS), so an ok means the block can be found; otherwise the
   * announcement goes on after the answer.
   */
  announce?: (cid: CID) => Promise<void>
}

export interface ShardServiceInit {
  backend: ShardBackend
  /** Default MAX_INFLIGHT_STORE_BYTES. */
  maxInflightStoreBytes?: number
  /** Default SHARD_IDLE_TIMEOUT_MS. */
  idleTimeoutMs?: number
  /** Default SHARD_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number
}

export interface ShardServiceComponents {
  registrar: Registrar
  logger: ComponentLogger
}

/** Time a peer gets to stop sending after a fatal answer, before its stream is aborted. */
const FATAL_GRACE_MS = 1000

/** A request the stream cannot recover from: answered (if possible), then the stream is ended. */
class Fatal extends Error {
  constructor (readonly status: number, message: string) { super(message) }
}

export class ShardService implements Startable {
  private readonly components: ShardServiceComponents
  private readonly backend: ShardBackend
  private readonly log: Logger
  private readonly maxInflight: number
  private readonly idleTimeoutMs: number
  private readonly requestTimeoutMs: number
  private inflight = 0
  private running = false

  constructor (components: ShardServiceComponents, init: ShardServiceInit) {
    this.components = components
    this.backend = init.backend
    this.log = components.logger.forComponent('shoal:net:shard-service')
    this.maxInflight = init.maxInflightStoreBytes ?? MAX_INFLIGHT_STORE_BYTES
    this.idleTimeoutMs = init.idleTimeoutMs ?? SHARD_IDLE_TIMEOUT_MS
    this.requestTimeoutMs = init.requestTimeoutMs ?? SHARD_REQUEST_TIMEOUT_MS
  }

  readonly [Symbol.toStringTag] = '@shoal/shard-service'

  async start (): Promise<void> {
    const limits = { maxInboundStreams: MAX_SHARD_STREAMS, maxOutboundStreams: MAX_SHARD_STREAMS }
    await this.components.registrar.handle(SHARD_PROTOCOL, (stream, connection) => { void this.serve(stream, connection) }, limits)
    await this.components.registrar.handle(CAPACITY_PROTOCOL, (stream, connection) => { void this.serveCapacity(stream, connection) }, limits)
    this.running = true
  }

  async stop (): Promise<void> {
    this.running = false
    await this.components.registrar.unhandle(SHARD_PROTOCOL)
    await this.components.registrar.unhandle(CAPACITY_PROTOCOL)
  }

  isStarted (): boolean {
    return this.running
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const reader = createStreamReader(stream)
    const answers = new AnswerQueue(stream, this.requestTimeoutMs)
    try {
      while (true) {
        let frame: Uint8Array | undefined
        try {
          frame = await readFrameOrEnd(reader, { maxBytes: MAX_HEADER_BYTES, timeoutMs: this.idleTimeoutMs })
        } catch (err) {
          if ((err as Error).name === 'StreamTimeoutError' && reader.bufferedBytes === 0) {
            // idle, not invalid: nothing to answer, the stream is just ended
            this.log('shard stream from %s idle for %d ms: closing', peer, this.idleTimeoutMs)
            stream.abort(new Error('idle'))
            return
          }
          throw new Fatal(Status.INVALID_REQUEST, (err as Error).message)
        }
        if (frame === undefined) break
        let request: ShardRequest
        try {
          request = decodeRequest(frame)
        } catch (err) {
          throw new Fatal(Status.INVALID_REQUEST, (err as Error).message)
        }
        await answers.admit(request, size => this.inflight + size > this.maxInflight)
        answers.push(request, await this.begin(reader, request, peer))
      }
      await answers.drain()
      await stream.close().catch(() => {})
    } catch (err) {
      const fatal = err instanceof Fatal ? err : new Fatal(Status.INTERNAL, (err as Error).message)
      this.log('shard stream from %s ended: %s', peer, fatal.message)
      await answers.settled() // the answers to earlier requests go first
      if (stream.writeStatus === 'writable') {
        // Answer, then close our side: close() resolves once the answer has
        // reached the transport (abort() would drop it). A peer that keeps
        // sending is cut off after a short grace.
        await writeFrame(stream, encodeMessage({ status: fatal.status as ShardResponse['status'], message: fatal.message }), { timeoutMs: 1000 }).catch(() => {})
        await stream.close({ signal: AbortSignal.timeout(1000) }).catch(() => {})
      }
      if (stream.status === 'open') {
        setTimeout(() => { if (stream.status === 'open') stream.abort(new Error(fatal.message)) }, FATAL_GRACE_MS).unref()
      }
    } finally {
      reader.release()
    }
  }

  /**
   * Reads what comes with a request (a store's body) and starts its work,
   * without waiting for it: the next request is read meanwhile. Resolves with
   * the work, which settles with the answer to send.
   */
  private async begin (reader: StreamReader, request: ShardRequest, owner: string): Promise<Work> {
    const timeoutMs = this.requestTimeoutMs
    const signal = AbortSignal.timeout(timeoutMs)
    if (request.op !== 'store') return { answer: this.answer(request, owner, signal) }
    if (request.size > MAX_BLOCK_BYTES || request.size === 0) {
      throw new Fatal(Status.TOO_LARGE, `store of ${request.size} bytes is outside 1..${MAX_BLOCK_BYTES}`)
    }
    if (this.inflight + request.size > this.maxInflight) {
      throw new Fatal(Status.BUSY, 'too many store bytes in flight')
    }
    const size = request.size
    this.inflight += size
    let body: Uint8Array
    try {
      body = await reader.readExactly(size, { timeoutMs })
    } catch (err) {
      this.inflight -= size
      throw new Fatal(Status.INVALID_REQUEST, (err as Error).message)
    }
    return { answer: this.store(request, body, owner, signal).finally(() => { this.inflight -= size }) }
  }

  private async store (request: ShardRequest & { op: 'store' }, body: Uint8Array, owner: string, signal: AbortSignal): Promise<Answer> {
    try {
      const cid = toCid(request.cid)
      // the body came from readExactly: nobody else holds it, the store need not copy it
      await this.backend.put(cid, body, { owner, signal, owned: true, leaseMs: clampLease(request.leaseMs) })
      if (request.announce === true && this.backend.announce !== undefined) {
        const announced = this.backend.announce(cid).catch(err => { this.log('announcing %s failed: %s', cid, (err as Error).message) })
        if (request.announceWait === true) {
          await Promise.race([announced, new Promise(resolve => setTimeout(resolve, ANNOUNCE_TIMEOUT_MS).unref())])
        }
      }
      return { response: { status: Status.OK } }
    } catch (err) {
      return { response: { status: statusOf(err), message: (err as Error).message } }
    }
  }

  private async answer (request: Exclude<ShardRequest, { op: 'store' }>, owner: string, signal: AbortSignal): Promise<Answer> {
    let response: ShardResponse
    let body: Uint8Array | undefined
    try {
      switch (request.op) {
        case 'fetch':
          body = await this.backend.get(toCid(request.cid), { offset: request.offset, length: request.length, signal })
          response = { status: Status.OK, size: body.length }
          break
        case 'has': {
          const cids = request.cids.map(toCid)
          response = { status: Status.OK, has: await Promise.all(cids.map(async cid => await this.backend.has(cid, { signal }))) }
          break
        }
        case 'delete':
          response = { status: Status.OK, deleted: await this.backend.delete(toCid(request.cid), { owner, signal }) }
          break
        case 'renew': {
          const cids = request.cids.map(toCid)
          const renewed = this.backend.renew === undefined
            ? await Promise.all(cids.map(async cid => await this.backend.has(cid, { signal })))
            : await this.backend.renew(cids, clampLease(request.leaseMs), { signal })
          response = { status: Status.OK, renewed }
          break
        }
        case 'audit': {
          const block = await this.backend.get(toCid(request.cid), { signal })
          const chunks = chunkCount(block.length, request.chunkBytes)
          if (request.chunk >= chunks) {
            response = { status: Status.INVALID_REQUEST, message: `chunk ${request.chunk} is outside 0..${chunks - 1}` }
            break
          }
          const proof = merkleProof(block, request.chunkBytes, request.chunk)
          body = proof.chunk
          response = { status: Status.OK, size: body.length, proof: proof.path.map(h => base64url.baseEncode(h)) }
          break
        }
        default:
          response = { status: Status.INVALID_REQUEST, message: 'unknown op' }
      }
    } catch (err) {
      response = { status: statusOf(err), message: (err as Error).message }
      body = undefined
    }
    return { response, body }
  }

  private async serveCapacity (stream: Stream, connection: Connection): Promise<void> {
    const reader = createStreamReader(stream)
    try {
      const frame = await readFrameOrEnd(reader, { maxBytes: MAX_HEADER_BYTES, timeoutMs: this.requestTimeoutMs })
      let response: CapacityResponse
      let valid = false
      try {
        valid = frame !== undefined && JSON.parse(new TextDecoder().decode(frame))?.op === 'capacity'
      } catch {}
      if (!valid) {
        response = { status: Status.INVALID_REQUEST, message: 'expected {"op":"capacity"}' }
      } else {
        try {
          const s = await this.backend.stats({ signal: AbortSignal.timeout(this.requestTimeoutMs) })
          response = { status: Status.OK, capacityBytes: s.capacityBytes, usedBytes: s.usedBytes, freeBytes: s.freeBytes, shardCount: s.shardCount }
        } catch (err) {
          response = { status: Status.INTERNAL, message: (err as Error).message }
        }
      }
      await writeFrame(stream, encodeMessage(response), { timeoutMs: this.requestTimeoutMs })
      await stream.close()
    } catch (err) {
      this.log('capacity stream from %p ended: %s', connection.remotePeer, (err as Error).message)
      stream.abort(err as Error)
    } finally {
      reader.release()
    }
  }
}

/** A lease asked for, within MIN_LEASE_MS..MAX_LEASE_MS; DEFAULT_LEASE_MS when none was. */
function clampLease (leaseMs: number | undefined): number {
  return Math.min(MAX_LEASE_MS, Math.max(MIN_LEASE_MS, leaseMs ?? DEFAULT_LEASE_MS))
}

function toCid (text: string): CID {
  return assertShardCid(parseCid(text))
}

export function shardService (init: ShardServiceInit): (components: ShardServiceComponents) => ShardService {
  return (components) => new ShardService(components, init)
}
