/**
 * Segmented AES-256-GCM streams: round trips at the segment boundaries with
 * uneven input chunking, the sealed size, and every tampering we can think of
 * (wrong key, a flipped byte anywhere, truncation, reordering, appending) →
 * AuthenticationError, with nothing released but whole, authenticated
 * segments before it.
 */
import { describe, expect, it } from 'vitest'
import { decryptStream, encryptStream, FILE_KEY_BYTES, generateFileKey, sealedBytes, TAG_BYTES } from '../../src/node/crypto.js'
import { prng, type Prng } from '../helpers/prng.js'

const SEED = 0xc0ffee
const SEGMENT = 1000

/** Cuts `bytes` into chunks of random sizes (0 included) that together are `bytes`. */
function unevenChunks (rand: Prng, bytes: Uint8Array, maxChunk: number): Uint8Array[] {
  const out: Uint8Array[] = []
  let off = 0
  while (off < bytes.length) {
    const n = rand.int(maxChunk + 1)
    out.push(bytes.subarray(off, off + n))
    off += n
  }
  if (rand.int(2) === 0) out.push(new Uint8Array(0))
  return out
}

async function * asAsync (chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk
}

function concat (chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks))
}

async function encrypt (plain: Uint8Array, key: Uint8Array, segmentBytes = SEGMENT, chunks?: Uint8Array[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const sealed of encryptStream(asAsync(chunks ?? [plain]), key, { segmentBytes })) out.push(sealed)
  return out
}

interface Opened {
  /** Chunks yielded before the stream ended or failed. */
  yielded: Uint8Array[]
  error?: Error
}

async function decrypt (sealed: Uint8Array | Uint8Array[], key: Uint8Array, segmentBytes = SEGMENT): Promise<Opened> {
  const yielded: Uint8Array[] = []
  try {
    for await (const plain of decryptStream(asAsync(Array.isArray(sealed) ? sealed : [sealed]), key, { segmentBytes })) yielded.push(plain)
    return { yielded }
  } catch (err) {
    return { yielded, error: err as Error }
  }
}

/** The failure was AuthenticationError and what came out before it is whole segments of the original, from its start. */
function expectRefused (opened: Opened, original: Uint8Array, segmentBytes = SEGMENT, what = ''): void {
  expect(opened.error?.name, what).toBe('AuthenticationError')
  const released = concat(opened.yielded)
  expect(released.length % segmentBytes, `${what}: released ${released.length} bytes`).toBe(0)
  for (const chunk of opened.yielded) expect(chunk.length, what).toBe(segmentBytes)
  expect(Buffer.from(released).equals(Buffer.from(original.subarray(0, released.length))), what).toBe(true)
}

describe('segmented AES-256-GCM streams', () => {
  const sizes = [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 2 * SEGMENT, 3 * SEGMENT + 5]

  it.each(sizes)(`%i bytes round trip through uneven chunks, and seal to sealedBytes (seed ${SEED})`, async (size) => {
    const rand = prng(SEED + size)
    const key = rand.bytes(FILE_KEY_BYTES)
    const plain = rand.bytes(size)
    for (const maxChunk of [1, 7, SEGMENT - 1, SEGMENT + 17, 5000]) {
      const sealedChunks = await encrypt(plain, key, SEGMENT, unevenChunks(rand, plain, maxChunk))
      const sealed = concat(sealedChunks)
      expect(sealed.length).toBe(sealedBytes(size, SEGMENT))
      // one sealed chunk per segment, each a segment plus its tag, the last one shorter
      const segments = Math.max(1, Math.ceil(size / SEGMENT))
      expect(sealedChunks.length).toBe(segments)
      expect(sealedChunks.slice(0, -1).every(c => c.length === SEGMENT + TAG_BYTES)).toBe(true)
      // the same ciphertext comes back whatever the chunking was (nonces depend on the index only)
      expect(Buffer.from(sealed).equals(Buffer.from(concat(await encrypt(plain, key))))).toBe(true)

      const opened = await decrypt(unevenChunks(rand, sealed, maxChunk), key)
      expect(opened.error).toBeUndefined()
      expect(Buffer.from(concat(opened.yielded)).equals(Buffer.from(plain))).toBe(true)
      // nothing empty is yielded
      expect(opened.yielded.every(c => c.length > 0)).toBe(true)
    }
  })

  it('sealedBytes: one tag per segment, at least one segment', () => {
    expect(sealedBytes(0, SEGMENT)).toBe(TAG_BYTES)
    expect(sealedBytes(1, SEGMENT)).toBe(1 + TAG_BYTES)
    expect(sealedBytes(SEGMENT, SEGMENT)).toBe(SEGMENT + TAG_BYTES)
    expect(sealedBytes(SEGMENT + 1, SEGMENT)).toBe(SEGMENT + 1 + 2 * TAG_BYTES)
    expect(sealedBytes(3 * SEGMENT + 5, SEGMENT)).toBe(3 * SEGMENT + 5 + 4 * TAG_BYTES)
    expect(sealedBytes(10 * 1024 * 1024, 1024 * 1024)).toBe(10 * 1024 * 1024 + 10 * TAG_BYTES)
  })

  it('fresh keys are 32 random bytes, and encrypting twice with different keys differs', async () => {
    const a = generateFileKey()
    const b = generateFileKey()
    expect(a.length).toBe(FILE_KEY_BYTES)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
    const plain = prng(SEED).bytes(100)
    expect(Buffer.from(concat(await encrypt(plain, a))).equals(Buffer.from(concat(await encrypt(plain, b))))).toBe(false)
  })

  it('the wrong key → AuthenticationError before any plaintext', async () => {
    const rand = prng(SEED + 1)
    const plain = rand.bytes(3 * SEGMENT + 5)
    const sealed = concat(await encrypt(plain, rand.bytes(32)))
    for (const key of [rand.bytes(32), new Uint8Array(32)]) {
      const opened = await decrypt(sealed, key)
      expectRefused(opened, plain)
      expect(opened.yielded).toEqual([])
    }
    // and for the empty file too
    const empty = concat(await encrypt(new Uint8Array(0), rand.bytes(32)))
    expectRefused(await decrypt(empty, rand.bytes(32)), new Uint8Array(0))
  })

  it('flipping any single byte (or bit) → AuthenticationError; only the segments before it are released', async () => {
    const segment = 64
    const rand = prng(SEED + 2)
    const key = rand.bytes(32)
    const plain = rand.bytes(3 * segment + 5)
    const sealed = concat(await encrypt(plain, key, segment))
    for (let i = 0; i < sealed.length; i++) {
      const damaged = sealed.slice()
      damaged[i] ^= i % 2 === 0 ? 0xff : 1 << (i % 8)
      const opened = await decrypt(damaged, key, segment)
      expectRefused(opened, plain, segment, `byte ${i}`)
      // exactly the segments before the damaged one come out
      expect(concat(opened.yielded).length, `byte ${i}`).toBe(Math.floor(i / (segment + TAG_BYTES)) * segment)
    }
  })

  it('truncation anywhere → AuthenticationError, including dropping the whole last segment', async () => {
    const segment = 50
    const rand = prng(SEED + 3)
    const key = rand.bytes(32)
    for (const size of [3 * segment, 3 * segment + 5]) {
      const plain = rand.bytes(size)
      const sealed = concat(await encrypt(plain, key, segment))
      for (let cut = 0; cut < sealed.length; cut++) {
        expectRefused(await decrypt(sealed.subarray(0, cut), key, segment), plain, segment, `${size} bytes cut to ${cut}`)
      }
    }
    // the empty input is not the empty file
    expectRefused(await decrypt([], key, segment), new Uint8Array(0), segment)
  })

  it('reordering, dropping, duplicating or appending whole segments → AuthenticationError', async () => {
    const rand = prng(SEED + 4)
    const key = rand.bytes(32)
    const plain = rand.bytes(4 * SEGMENT + 5)
    const segs = await encrypt(plain, key) // 5 sealed segments
    expect(segs).toHaveLength(5)
    const otherPlain = rand.bytes(6 * SEGMENT)
    const other = await encrypt(otherPlain, key) // another stream under the same key
    const cases: Record<string, Uint8Array[]> = {
      'swap 0 and 1': [segs[1], segs[0], segs[2], segs[3], segs[4]],
      'swap 2 and 3': [segs[0], segs[1], segs[3], segs[2], segs[4]],
      'swap 3 and the last': [segs[0], segs[1], segs[2], segs[4], segs[3]],
      'drop the first': segs.slice(1),
      'drop a middle one': [segs[0], segs[1], segs[3], segs[4]],
      'drop the last': segs.slice(0, 4),
      'duplicate one': [segs[0], segs[1], segs[1], segs[2], segs[3], segs[4]],
      'append a copy of the first': [...segs, segs[0]],
      'append a copy of the last': [...segs, segs[4]],
      'append the next segment of another stream': [...segs, other[5]],
      'append 16 zero bytes': [...segs, new Uint8Array(TAG_BYTES)],
      'append one byte': [...segs, Uint8Array.of(0)],
      'the last segment of another stream at the right index': [...segs.slice(0, 4), other[4]]
    }
    for (const [name, chunks] of Object.entries(cases)) {
      expectRefused(await decrypt(concat(chunks), key), plain, SEGMENT, name)
    }
    // a longer stream cut after five segments: its first four authenticate and come out, the fifth is not its last
    const cut = await decrypt(concat(other.slice(0, 5)), key)
    expectRefused(cut, otherPlain, SEGMENT, 'a longer stream cut short')
    expect(concat(cut.yielded).length).toBe(4 * SEGMENT)
  })
})
