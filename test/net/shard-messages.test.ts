/**
 * Decoding of shard-protocol messages, the untrusted edge: every well-formed
 * request round-trips, and anything else is a MalformedMessageError (never
 * another error, never a half-checked value). Focus on renew and audit and the
 * answers a lying peer could send back.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeRequest, decodeResponse, encodeMessage, MAX_AUDIT_PROOF_HASHES, MAX_HAS_CIDS, Status
} from '../../src/net/shard-messages.js'
import type { ShardRequest } from '../../src/net/shard-messages.js'

const SEED = 0x5e55a9e
const CID_TEXT = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
const enc = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))
const refusal = (decode: (b: Uint8Array) => unknown, value: unknown): string => {
  try {
    decode(enc(value))
  } catch (err) {
    return (err as Error).name
  }
  return 'accepted'
}

describe('shard messages', () => {
  it('renew and audit requests round-trip', () => {
    const requests: ShardRequest[] = [
      { op: 'renew', cids: [CID_TEXT, CID_TEXT], leaseMs: 60_000 },
      { op: 'renew', cids: [], leaseMs: 0 },
      { op: 'audit', cid: CID_TEXT, chunkBytes: 4096, chunk: 7 },
      { op: 'audit', cid: CID_TEXT, chunkBytes: 64, chunk: 0 },
      { op: 'audit', cid: CID_TEXT, chunkBytes: 1024 * 1024, chunk: 3 }
    ]
    for (const request of requests) {
      expect(decodeRequest(encodeMessage(request))).toEqual(request)
    }
    expect(decodeRequest(enc({ op: 'store', cid: CID_TEXT, size: 10, leaseMs: 5000 }))).toMatchObject({ leaseMs: 5000 })
  })

  it('malformed renew and audit requests are MalformedMessageError', () => {
    const bad: unknown[] = [
      { op: 'renew', cids: [CID_TEXT] },
      { op: 'renew', cids: CID_TEXT, leaseMs: 1 },
      { op: 'renew', cids: [CID_TEXT], leaseMs: -1 },
      { op: 'renew', cids: [CID_TEXT], leaseMs: 1.5 },
      { op: 'renew', cids: Array(MAX_HAS_CIDS + 1).fill(CID_TEXT), leaseMs: 1 },
      { op: 'audit', cid: CID_TEXT, chunkBytes: 4096 },
      { op: 'audit', cid: CID_TEXT, chunk: 0 },
      { op: 'audit', cid: CID_TEXT, chunkBytes: 4095, chunk: 0 },
      { op: 'audit', cid: CID_TEXT, chunkBytes: 32, chunk: 0 },
      { op: 'audit', cid: CID_TEXT, chunkBytes: 2 ** 21, chunk: 0 },
      { op: 'audit', cid: CID_TEXT, chunkBytes: 4096, chunk: '1' },
      { op: 'audit', cid: 7, chunkBytes: 4096, chunk: 0 },
      { op: 'store', cid: CID_TEXT, size: 10, leaseMs: '1000' }
    ]
    for (const value of bad) expect(refusal(decodeRequest, value), JSON.stringify(value).slice(0, 80)).toBe('MalformedMessageError')
  })

  it('answers a lying peer could send: bad proofs and flag lists are MalformedMessageError', () => {
    const hash = 'A'.repeat(43)
    expect(decodeResponse(enc({ status: Status.OK, size: 10, proof: [hash, hash] })).proof).toEqual([hash, hash])
    expect(decodeResponse(enc({ status: Status.OK, renewed: [true, false] })).renewed).toEqual([true, false])
    const bad: unknown[] = [
      { status: Status.OK, proof: hash },
      { status: Status.OK, proof: [hash.slice(1)] },
      { status: Status.OK, proof: [7] },
      { status: Status.OK, proof: Array(MAX_AUDIT_PROOF_HASHES + 1).fill(hash) },
      { status: Status.OK, renewed: [1] },
      { status: Status.OK, renewed: 'yes' },
      { status: Status.OK, renewed: Array(MAX_HAS_CIDS + 1).fill(true) }
    ]
    for (const value of bad) expect(refusal(decodeResponse, value), JSON.stringify(value).slice(0, 80)).toBe('MalformedMessageError')
  })

  it(`no JSON value makes the decoders throw anything but MalformedMessageError (property, seed ${SEED})`, () => {
    const base = fc.constantFrom<Record<string, unknown>>(
      { op: 'renew', cids: [CID_TEXT], leaseMs: 1000 },
      { op: 'audit', cid: CID_TEXT, chunkBytes: 4096, chunk: 0 },
      { status: 0, size: 4096, proof: ['A'.repeat(43)] },
      { status: 0, renewed: [true] }
    )
    const mutated = base.chain(m => fc.record({ key: fc.constantFrom(...Object.keys(m)), value: fc.jsonValue() }).map(({ key, value }) => ({ ...m, [key]: value })))
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), mutated), (value) => {
      for (const decode of [decodeRequest, decodeResponse]) {
        const outcome = refusal(decode, value)
        if (outcome !== 'accepted' && outcome !== 'MalformedMessageError') return false
      }
      return true
    }), { seed: SEED, numRuns: 400 })
  })
})
