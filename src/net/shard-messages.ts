/**
 * Messages of the shard exchange (`/shoal/shard/1.0.0`) and capacity
 * (`/shoal/capacity/1.0.0`) protocols.
 *
 * A stream carries request/response pairs in order; the client may send the
 * next request before the previous answer arrives. Every message is a
 * length-prefixed JSON header (at most MAX_HEADER_BYTES); a `store` request and
 * an ok `fetch` response are followed by exactly `size` raw bytes. Untrusted
 * input: every field is checked here before anything acts on it.
 */

import { MalformedMessageError } from './errors.js'

export const SHARD_PROTOCOL = '/shoal/shard/1.0.0'
export const CAPACITY_PROTOCOL = '/shoal/capacity/1.0.0'

/** Largest JSON header. */
export const MAX_HEADER_BYTES = 64 * 1024
/** Largest block body a peer accepts or returns. */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024
/** Most CIDs in one `has` request. */
export const MAX_HAS_CIDS = 1024
/** Bytes of store bodies one peer buffers at once, over all its streams. */
export const MAX_INFLIGHT_STORE_BYTES = 256 * 1024 * 1024
/** Streams of each protocol one connection may have open. */
export const MAX_SHARD_STREAMS = 32
/** A stream with no request for this long is closed by the server. */
export const SHARD_IDLE_TIMEOUT_MS = 60_000
/** A store that asks to wait for its announcement is answered after it, or after this long. */
export const ANNOUNCE_TIMEOUT_MS = 10_000
/** Lease a holder grants a stored block when the store names none. */
export const DEFAULT_LEASE_MS = 30 * 24 * 3600_000
/** Shortest and longest lease a store or renew may ask for (asks outside are clamped). */
export const MIN_LEASE_MS = 1000
export const MAX_LEASE_MS = 365 * 24 * 3600_000
/** Audit chunk sizes a holder accepts (powers of two). */
export const MIN_AUDIT_CHUNK_BYTES = 64
export const MAX_AUDIT_CHUNK_BYTES = 1024 * 1024
/** Most hashes in an audit proof. */
export const MAX_AUDIT_PROOF_HASHES = 64
/** Time for one request's body or answer. */
export const SHARD_REQUEST_TIMEOUT_MS = 30_000

/** Status codes; they arrive as RemoteError.status. */
export const Status = {
  OK: 0,
  NOT_FOUND: 1,
  CORRUPT: 2,
  QUOTA_EXCEEDED: 3,
  NOT_OWNER: 4,
  INVALID_REQUEST: 5,
  TOO_LARGE: 6,
  BUSY: 7,
  INTERNAL: 8
} as const
export type StatusCode = typeof Status[keyof typeof Status]

/**
 * - store: `size` body bytes follow; the holder keeps the block at least
 *   `leaseMs` (clamped to MIN..MAX_LEASE_MS; DEFAULT_LEASE_MS when absent).
 * - renew: extends the lease of blocks the holder has (never shortens one);
 *   answers which it has. Anyone may renew: it keeps alive only what is stored.
 * - audit: chunk `chunk` of the block's Merkle tree of `chunkBytes` chunks,
 *   with its proof path (see src/format/merkle.ts); the chunk's bytes follow.
 */
export type ShardRequest =
  | { op: 'store', cid: string, size: number, announce?: boolean, announceWait?: boolean, leaseMs?: number }
  | { op: 'fetch', cid: string, offset?: number, length?: number }
  | { op: 'has', cids: string[] }
  | { op: 'delete', cid: string }
  | { op: 'renew', cids: string[], leaseMs: number }
  | { op: 'audit', cid: string, chunkBytes: number, chunk: number }

export interface ShardResponse {
  status: StatusCode
  message?: string
  /** fetch: body bytes that follow. */
  size?: number
  /** has: one flag per requested CID. */
  has?: boolean[]
  /** delete: whether the shard was there. */
  deleted?: boolean
  /** renew: one flag per requested CID, true when the holder has it (and extended its lease). */
  renewed?: boolean[]
  /** audit: the chunk's proof path, base64url hashes (the chunk's bytes follow, `size` of them). */
  proof?: string[]
}

export interface CapacityInfo {
  capacityBytes: number
  usedBytes: number
  freeBytes: number
  shardCount: number
}

export interface CapacityResponse extends Partial<CapacityInfo> {
  status: StatusCode
  message?: string
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function encodeMessage (message: ShardRequest | ShardResponse | CapacityResponse | { op: 'capacity' }): Uint8Array {
  return encoder.encode(JSON.stringify(message))
}

function parseObject (bytes: Uint8Array): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch (err) {
    throw new MalformedMessageError('message is not UTF-8 JSON', { cause: err })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedMessageError('message is not a JSON object')
  }
  return value as Record<string, unknown>
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0
const isCidText = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200
const isCidList = (v: unknown): v is string[] => Array.isArray(v) && v.length <= MAX_HAS_CIDS && v.every(isCidText)
const isFlagList = (v: unknown): v is boolean[] => Array.isArray(v) && v.length <= MAX_HAS_CIDS && v.every(b => typeof b === 'boolean')
const isPowerOfTwo = (v: number): boolean => (v & (v - 1)) === 0

export function decodeRequest (bytes: Uint8Array): ShardRequest {
  const m = parseObject(bytes)
  switch (m.op) {
    case 'store':
      if (!isCidText(m.cid) || !isCount(m.size)) break
      if (m.announce !== undefined && typeof m.announce !== 'boolean') break
      if (m.announceWait !== undefined && typeof m.announceWait !== 'boolean') break
      if (m.leaseMs !== undefined && !isCount(m.leaseMs)) break
      return { op: 'store', cid: m.cid, size: m.size, announce: m.announce === true, announceWait: m.announceWait === true, leaseMs: m.leaseMs as number | undefined }
    case 'fetch':
      if (!isCidText(m.cid)) break
      if (m.offset !== undefined && !isCount(m.offset)) break
      if (m.length !== undefined && !isCount(m.length)) break
      return { op: 'fetch', cid: m.cid, offset: m.offset as number | undefined, length: m.length as number | undefined }
    case 'has':
      if (!isCidList(m.cids)) break
      return { op: 'has', cids: m.cids }
    case 'delete':
      if (!isCidText(m.cid)) break
      return { op: 'delete', cid: m.cid }
    case 'renew':
      if (!isCidList(m.cids) || !isCount(m.leaseMs)) break
      return { op: 'renew', cids: m.cids, leaseMs: m.leaseMs }
    case 'audit':
      if (!isCidText(m.cid) || !isCount(m.chunk) || !isCount(m.chunkBytes)) break
      if (m.chunkBytes < MIN_AUDIT_CHUNK_BYTES || m.chunkBytes > MAX_AUDIT_CHUNK_BYTES || !isPowerOfTwo(m.chunkBytes)) break
      return { op: 'audit', cid: m.cid, chunkBytes: m.chunkBytes, chunk: m.chunk }
  }
  throw new MalformedMessageError(`invalid shard request ${JSON.stringify(String(m.op)).slice(0, 40)}`)
}

function decodeStatus (m: Record<string, unknown>): { status: StatusCode, message?: string } {
  const status = m.status
  if (!Number.isSafeInteger(status) || !Object.values(Status).includes(status as StatusCode)) {
    throw new MalformedMessageError('response has no valid status')
  }
  const message = typeof m.message === 'string' ? m.message.slice(0, 1000) : undefined
  return { status: status as StatusCode, message }
}

export function decodeResponse (bytes: Uint8Array): ShardResponse {
  const m = parseObject(bytes)
  const out: ShardResponse = decodeStatus(m)
  if (m.size !== undefined) {
    if (!isCount(m.size)) throw new MalformedMessageError('response size is invalid')
    out.size = m.size
  }
  if (m.has !== undefined) {
    if (!isFlagList(m.has)) throw new MalformedMessageError('response has-flags are invalid')
    out.has = m.has
  }
  if (m.renewed !== undefined) {
    if (!isFlagList(m.renewed)) throw new MalformedMessageError('response renewed-flags are invalid')
    out.renewed = m.renewed
  }
  if (m.proof !== undefined) {
    if (!Array.isArray(m.proof) || m.proof.length > MAX_AUDIT_PROOF_HASHES || !m.proof.every(h => typeof h === 'string' && h.length === 43)) {
      throw new MalformedMessageError('response proof is invalid')
    }
    out.proof = m.proof
  }
  if (m.deleted !== undefined) {
    if (typeof m.deleted !== 'boolean') throw new MalformedMessageError('response deleted flag is invalid')
    out.deleted = m.deleted
  }
  return out
}

export function decodeCapacity (bytes: Uint8Array): CapacityResponse {
  const m = parseObject(bytes)
  const out: CapacityResponse = decodeStatus(m)
  if (out.status !== Status.OK) return out
  for (const key of ['capacityBytes', 'usedBytes', 'freeBytes', 'shardCount'] as const) {
    if (!isCount(m[key])) throw new MalformedMessageError(`capacity ${key} is invalid`)
    out[key] = m[key] as number
  }
  return out
}

/** Status for an error thrown by the shard backend, by its stable name. */
export function statusOf (err: unknown): StatusCode {
  switch ((err as Error)?.name) {
    case 'ShardNotFoundError': return Status.NOT_FOUND
    case 'CorruptShardError': return Status.CORRUPT
    case 'QuotaExceededError': return Status.QUOTA_EXCEEDED
    case 'NotOwnerError': return Status.NOT_OWNER
    case 'InvalidShardError':
    case 'InvalidRangeError':
    case 'InvalidCidError':
    case 'UnsupportedCidError': return Status.INVALID_REQUEST
    default: return Status.INTERNAL
  }
}
