/**
 * The node's persistent identity: an Ed25519 key in `<dir>/identity.key`
 * (libp2p protobuf encoding, mode 0600). The same directory gives the same
 * PeerId across restarts. A key file that exists but cannot be used is an
 * InvalidIdentityError: it is never replaced, since that would silently give
 * the node a new identity.
 */
import { generateKeyPair, generateKeyPairFromSeed, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { mkdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from './atomic-file.js'
import { IDENTITY_FILE_NAME } from './constants.js'
import { InvalidIdentityError } from './errors.js'
import type { PrivateKey } from '@libp2p/interface'

const log = logger('shoal:net:identity')

/** Path of the identity key inside a data directory. */
export function identityPath (dir: string): string {
  return join(dir, IDENTITY_FILE_NAME)
}

/** Decode and check a stored key; InvalidIdentityError if it is not a usable private key. */
export async function decodeIdentity (bytes: Uint8Array, path: string): Promise<PrivateKey> {
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new InvalidIdentityError(`identity key file ${path} is corrupt`, path, { cause: err })
  }
  if (key.type === 'Ed25519') {
    // The raw key is seed || public key: a flipped bit in either half still
    // decodes, so re-derive the public key from the seed and compare.
    const raw = key.raw
    const again = await generateKeyPairFromSeed('Ed25519', raw.subarray(0, 32))
    if (!again.publicKey.equals(key.publicKey)) {
      throw new InvalidIdentityError(`identity key file ${path} is corrupt: its public key does not match its seed`, path)
    }
  }
  return key
}

/**
 * Load `<dir>/identity.key`, or create it (with `dir`, mode 0700) when it does
 * not exist. Creation is atomic and create-only: if another process created
 * the file first, its key is loaded.
 */
export async function loadOrCreateIdentity (dir: string): Promise<PrivateKey> {
  const path = identityPath(dir)
  for (let attempt = 0; attempt < 2; attempt++) {
    let bytes: Uint8Array | undefined
    try {
      bytes = await readFile(path)
    } catch (err: any) {
      if (err?.code !== 'ENOENT') {
        throw new InvalidIdentityError(`cannot read identity key file ${path}: ${String(err?.code ?? err)}`, path, { cause: err })
      }
    }
    if (bytes !== undefined) {
      const key = await decodeIdentity(bytes, path)
      const mode = (await stat(path)).mode & 0o777
      if ((mode & 0o077) !== 0) {
        log('identity key file %s is readable by others (mode %s)', path, mode.toString(8))
      }
      return key
    }
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const key = await generateKeyPair('Ed25519')
    if (await writeFileAtomic(path, privateKeyToProtobuf(key), { mode: 0o600, exclusive: true })) {
      log('created a new identity in %s', path)
      return key
    }
    // lost a race with another process: load what it wrote
  }
  throw new InvalidIdentityError(`identity key file ${path} keeps changing`, path)
}
