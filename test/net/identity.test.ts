/**
 * Identity keys and swarm keys on disk: created once, mode 0600, atomic,
 * stable across loads, and never replaced when corrupt.
 */
import { readFile, stat, writeFile, readdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToProtobuf, generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { identityPath, loadOrCreateIdentity } from '../../src/net/identity.js'
import { createSwarmKey, loadSwarmKey, parseSwarmKey, saveSwarmKey } from '../../src/net/swarm-key.js'

describe('identity', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'shoal-id-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('creates an Ed25519 key once, mode 0600, and loads the same key after', async () => {
    const sub = join(dir, 'node')
    const key = await loadOrCreateIdentity(sub)
    expect(key.type).toBe('Ed25519')
    expect((await stat(identityPath(sub))).mode & 0o777).toBe(0o600)
    expect((await stat(sub)).mode & 0o777).toBe(0o700)
    const again = await loadOrCreateIdentity(sub)
    expect(again.equals(key)).toBe(true)
    expect(peerIdFromPrivateKey(again).equals(peerIdFromPrivateKey(key))).toBe(true)
    expect(await readdir(sub)).toEqual(['identity.key']) // no temporary files left behind
  })

  it('concurrent first loads agree on one key', async () => {
    const keys = await Promise.all([1, 2, 3, 4, 5, 6].map(async () => await loadOrCreateIdentity(dir)))
    for (const key of keys) expect(key.equals(keys[0])).toBe(true)
    const onDisk = await loadOrCreateIdentity(dir)
    expect(onDisk.equals(keys[0])).toBe(true)
    expect(await readdir(dir)).toEqual(['identity.key'])
  })

  it('loads a key written by privateKeyToProtobuf elsewhere', async () => {
    const key = await generateKeyPair('Ed25519')
    await writeFile(identityPath(dir), privateKeyToProtobuf(key), { mode: 0o600 })
    expect((await loadOrCreateIdentity(dir)).equals(key)).toBe(true)
  })

  const corruptions: Array<[string, (bytes: Uint8Array) => Uint8Array]> = [
    ['random bytes', () => Uint8Array.from({ length: 68 }, (_, i) => (i * 37 + 11) & 0xff)],
    ['truncated', bytes => bytes.subarray(0, 40)],
    ['empty', () => new Uint8Array(0)],
    ['a flipped bit in the public half', bytes => { const out = Uint8Array.from(bytes); out[out.length - 1] ^= 1; return out }],
    ['a flipped bit in the seed', bytes => { const out = Uint8Array.from(bytes); out[10] ^= 0x40; return out }]
  ]
  for (const [what, corrupt] of corruptions) {
    it(`a key file with ${what} is an InvalidIdentityError and is left untouched`, async () => {
      await loadOrCreateIdentity(dir)
      const bad = corrupt(await readFile(identityPath(dir)))
      await writeFile(identityPath(dir), bad)
      await expect(loadOrCreateIdentity(dir)).rejects.toMatchObject({ name: 'InvalidIdentityError', path: identityPath(dir) })
      expect(Buffer.from(await readFile(identityPath(dir))).equals(Buffer.from(bad))).toBe(true)
    })
  }
})

describe('swarm keys', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'shoal-psk-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('createSwarmKey gives a fresh, well-formed v1 key each time', () => {
    const a = createSwarmKey()
    const b = createSwarmKey()
    expect(new TextDecoder().decode(a)).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/)
    expect(parseSwarmKey(a)).toBe(a)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
  })

  it('save and load round trip, mode 0600', async () => {
    const key = createSwarmKey()
    const path = join(dir, 'swarm.key')
    await saveSwarmKey(path, key)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(Buffer.from(await loadSwarmKey(path)).equals(Buffer.from(key))).toBe(true)
  })

  it('malformed or missing key files are InvalidSwarmKeyError', async () => {
    const path = join(dir, 'swarm.key')
    await expect(loadSwarmKey(path)).rejects.toMatchObject({ name: 'InvalidSwarmKeyError', path })
    for (const text of ['', 'hello', '/key/swarm/psk/1.0.0/\n/base64/\nAAAA', '/key/swarm/psk/1.0.0/\n/base16/\n' + 'zz'.repeat(32), '/key/swarm/psk/1.0.0/\n/base16/\n' + 'ab'.repeat(31)]) {
      await writeFile(path, text)
      await expect(loadSwarmKey(path)).rejects.toMatchObject({ name: 'InvalidSwarmKeyError' })
    }
  })
})
