/**
 * File handles `shoal:<manifest CID>[#<base64url key>]`: round trips (seeded
 * properties) and every way parseHandle refuses, by error name and cause.
 */
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { sha256 as mfSha256, sha512 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { shardCidFromDigest } from '../../src/format/cid.js'
import { FILE_KEY_BYTES, HANDLE_SCHEME } from '../../src/format/constants.js'
import { formatHandle, parseHandle } from '../../src/format/handle.js'
import { prng } from '../helpers/prng.js'

const SEED = 0x4a9d1e
const rand = prng(SEED)
const MANIFEST = shardCidFromDigest(rand.bytes(32))
const KEY = rand.bytes(FILE_KEY_BYTES)
const HANDLE = formatHandle({ manifest: MANIFEST, key: KEY })
const [CID_PART, KEY_PART] = HANDLE.slice(HANDLE_SCHEME.length).split('#')

/** The error parseHandle throws for `text` (fails the test if it returns). */
function refusal (text: unknown): Error & { cause?: { name?: string } } {
  try {
    parseHandle(text)
  } catch (err) {
    return err as Error & { cause?: { name?: string } }
  }
  throw new Error(`parseHandle accepted ${String(text)}`)
}

const digest = fc.uint8Array({ minLength: 32, maxLength: 32 })
const key = fc.uint8Array({ minLength: FILE_KEY_BYTES, maxLength: FILE_KEY_BYTES })

describe('file handles', () => {
  it('the shape: scheme, base32 CIDv1, 43 base64url characters of key', () => {
    expect(HANDLE.startsWith('shoal:bafkrei')).toBe(true)
    expect(KEY_PART).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(formatHandle({ manifest: MANIFEST })).toBe(`shoal:${MANIFEST.toString()}`)
  })

  it(`parse(format(h)) is h, with and without a key (property, seed ${SEED})`, () => {
    fc.assert(fc.property(digest, fc.option(key, { nil: undefined }), (d, k) => {
      const manifest = shardCidFromDigest(d)
      const text = formatHandle({ manifest, key: k })
      const parsed = parseHandle(text)
      expect(parsed.manifest.equals(manifest)).toBe(true)
      if (k === undefined) {
        expect(parsed.key).toBeUndefined()
        expect(text.includes('#')).toBe(false)
      } else {
        expect(parsed.key).toEqual(k)
      }
      // and format(parse(s)) is s: the formatted handle is canonical
      expect(formatHandle(parsed)).toBe(text)
    }), { seed: SEED, numRuns: 300 })
  })

  it('surrounding whitespace is ignored', () => {
    for (const text of [` ${HANDLE}`, `${HANDLE}\n`, `\t${HANDLE}  \r\n`]) {
      const parsed = parseHandle(text)
      expect(parsed.manifest.equals(MANIFEST)).toBe(true)
      expect(parsed.key).toEqual(KEY)
    }
  })

  it('not a string → InvalidHandleError', () => {
    for (const value of [undefined, null, 42, {}, [HANDLE], Buffer.from(HANDLE)]) {
      expect(refusal(value).name).toBe('InvalidHandleError')
    }
  })

  it('a wrong or missing scheme → InvalidHandleError', () => {
    for (const text of ['', CID_PART, `ipfs:${CID_PART}`, `Shoal:${CID_PART}`, `SHOAL:${CID_PART}`, `shoal//${CID_PART}`, `shoal ${CID_PART}`, `/shoal/${CID_PART}`, `xshoal:${CID_PART}`]) {
      const err = refusal(text)
      expect(err.name, text).toBe('InvalidHandleError')
      expect(err.cause, text).toBeUndefined()
    }
  })

  it('a CID part that is not a CID → InvalidHandleError caused by InvalidCidError', () => {
    const texts = [
      'shoal:', 'shoal:#' + KEY_PART, 'shoal:not-a-cid', `shoal:${CID_PART.slice(0, -3)}`, `shoal:${CID_PART}x`,
      `shoal:${CID_PART.toUpperCase()}`, `shoal: ${CID_PART}`, `shoal:${CID_PART.slice(0, 20)}!${CID_PART.slice(21)}`
    ]
    for (const text of texts) {
      const err = refusal(text)
      expect(err.name, text).toBe('InvalidHandleError')
      expect(err.cause?.name, text).toBe('InvalidCidError')
    }
  })

  it('a CID that cannot name a shard (v0, dag-pb, sha-512, identity) → InvalidHandleError caused by UnsupportedCidError', async () => {
    const bytes = rand.bytes(100)
    const d = await mfSha256.digest(bytes)
    const cids = [
      CID.createV0(d),
      CID.createV1(0x70, d),
      CID.createV1(0x55, await sha512.digest(bytes)),
      CID.createV1(0x55, identity.digest(bytes.subarray(0, 32)))
    ]
    for (const cid of cids) {
      for (const text of [`shoal:${cid.toString()}`, `shoal:${cid.toString()}#${KEY_PART}`]) {
        const err = refusal(text)
        expect(err.name, text).toBe('InvalidHandleError')
        expect(err.cause?.name, text).toBe('UnsupportedCidError')
      }
    }
  })

  it('a key that is not base64url → InvalidHandleError', () => {
    const bad = [
      KEY_PART.slice(0, 5) + '+' + KEY_PART.slice(6), // base64, not base64url
      KEY_PART.slice(0, 5) + '/' + KEY_PART.slice(6),
      KEY_PART.slice(0, 5) + ' ' + KEY_PART.slice(6),
      KEY_PART.slice(0, 5) + '.' + KEY_PART.slice(6),
      KEY_PART.slice(0, 5) + 'é' + KEY_PART.slice(6)
    ]
    // 43 characters carry 258 bits for 256: a last character with the spare bits set is not a key
    const last = KEY_PART[42]
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    bad.push(KEY_PART.slice(0, 42) + alphabet[alphabet.indexOf(last) | 1])
    for (const k of bad) {
      const err = refusal(`shoal:${CID_PART}#${k}`)
      expect(err.name, k).toBe('InvalidHandleError')
    }
  })

  it('a key of the wrong length (0, 1, 16, 31, 33, 64 bytes) → InvalidHandleError', () => {
    for (const length of [0, 1, 16, 31, 33, 64]) {
      const text = formatHandle({ manifest: MANIFEST, key: rand.bytes(length) })
      const err = refusal(text)
      expect(err.name, `${length} bytes`).toBe('InvalidHandleError')
      expect(err.cause, `${length} bytes`).toBeUndefined()
    }
    // a key part shortened or lengthened by one character
    expect(refusal(`shoal:${CID_PART}#${KEY_PART.slice(0, -1)}`).name).toBe('InvalidHandleError')
    expect(refusal(`shoal:${CID_PART}#${KEY_PART}A`).name).toBe('InvalidHandleError')
  })

  it('more than one "#" → InvalidHandleError', () => {
    for (const text of [`${HANDLE}#`, `${HANDLE}#${KEY_PART}`, `shoal:${CID_PART}##${KEY_PART}`, `shoal:${CID_PART}#${KEY_PART.slice(0, 20)}#${KEY_PART.slice(20)}`]) {
      expect(refusal(text).name, text).toBe('InvalidHandleError')
    }
  })

  it(`no string of random printable characters makes parseHandle throw anything but InvalidHandleError (property, seed ${SEED})`, () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), fc.boolean(), (tail, prefixed) => {
      const text = prefixed ? `${HANDLE_SCHEME}${tail}` : tail
      try {
        parseHandle(text)
      } catch (err) {
        return (err as Error).name === 'InvalidHandleError'
      }
      return true
    }), { seed: SEED, numRuns: 500 })
  })
})
