/**
 * Private network keys for @libp2p/pnet, in the format go-ipfs and js-libp2p
 * share:
 *
 *   /key/swarm/psk/1.0.0/
 *   /base16/
 *   <64 hex digits>
 *
 * The whole file is what `preSharedKey({ psk })` takes.
 */
import { generateKey } from '@libp2p/pnet'
import { readFile } from 'node:fs/promises'
import { writeFileAtomic } from './atomic-file.js'
import { SWARM_KEY_BYTES } from './constants.js'
import { InvalidSwarmKeyError } from './errors.js'

const HEADER = '/key/swarm/psk/1.0.0/'
const CODEC = '/base16/'
/** Bytes of an encoded swarm key: two header lines and 64 hex digits. */
const ENCODED_BYTES = HEADER.length + 1 + CODEC.length + 1 + SWARM_KEY_BYTES * 2

/** A new random swarm key, encoded (95 bytes). */
export function createSwarmKey (): Uint8Array {
  const key = new Uint8Array(ENCODED_BYTES)
  generateKey(key)
  return key
}

/** Check the encoding; throws InvalidSwarmKeyError. Returns the key unchanged. */
export function parseSwarmKey (bytes: Uint8Array, path?: string): Uint8Array {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes)
  const lines = text.split(/\r\n|\r|\n/).map(line => line.trim()).filter(line => line !== '')
  if (lines.length !== 3 || lines[0] !== HEADER) {
    throw new InvalidSwarmKeyError(`not a swarm key: expected the header ${HEADER}`, path)
  }
  if (lines[1] !== CODEC) {
    throw new InvalidSwarmKeyError(`unsupported swarm key encoding ${lines[1]}: only ${CODEC} is supported`, path)
  }
  if (!new RegExp(`^[0-9a-fA-F]{${SWARM_KEY_BYTES * 2}}$`).test(lines[2])) {
    throw new InvalidSwarmKeyError(`a swarm key needs ${SWARM_KEY_BYTES * 2} hex digits`, path)
  }
  return bytes
}

/** Read and check a swarm key file. */
export async function loadSwarmKey (path: string): Promise<Uint8Array> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err: any) {
    throw new InvalidSwarmKeyError(`cannot read swarm key file ${path}: ${String(err?.code ?? err)}`, path, { cause: err })
  }
  return parseSwarmKey(bytes, path)
}

/** Write a swarm key atomically with mode 0600 (replacing any existing file). */
export async function saveSwarmKey (path: string, key: Uint8Array): Promise<void> {
  parseSwarmKey(key, path)
  await writeFileAtomic(path, key, { mode: 0o600 })
}
