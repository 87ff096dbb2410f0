/**
 * File handles: `shoal:<manifest CID>#<key>`.
 *
 * The handle is a read capability: the CID names the manifest, the fragment
 * carries the file's AES-256 key in base64url. Without the fragment it names the
 * file without granting its plaintext: enough to check, audit and repair (an
 * unencrypted file's handle has no fragment at all).
 */

import { base64url } from 'multiformats/bases/base64'
import { FILE_KEY_BYTES, HANDLE_SCHEME } from './constants.js'
import { InvalidHandleError } from './errors.js'
import { assertShardCid, parseCid } from './cid.js'
import type { CID } from 'multiformats/cid'

export interface FileHandle {
  /** CID of the manifest (raw, sha2-256). */
  manifest: CID
  /** The file key, or undefined for an unencrypted file or a repair-only handle. */
  key?: Uint8Array
}

export function formatHandle (handle: FileHandle): string {
  const base = `${HANDLE_SCHEME}${handle.manifest.toString()}`
  if (handle.key === undefined) return base
  // multiformats' base64url encoder prefixes 'u' (the multibase code): drop it.
  return `${base}#${base64url.encode(handle.key).slice(1)}`
}

export function parseHandle (text: unknown): FileHandle {
  if (typeof text !== 'string') throw new InvalidHandleError('a handle is a string')
  const trimmed = text.trim()
  if (!trimmed.startsWith(HANDLE_SCHEME)) {
    throw new InvalidHandleError(`a handle starts with "${HANDLE_SCHEME}"`)
  }
  const [cidText, keyText, ...rest] = trimmed.slice(HANDLE_SCHEME.length).split('#')
  if (rest.length > 0) throw new InvalidHandleError('a handle has at most one "#"')
  let manifest: CID
  try {
    manifest = assertShardCid(parseCid(cidText))
  } catch (err) {
    throw new InvalidHandleError(`the handle's manifest CID is invalid: ${(err as Error).message}`, { cause: err })
  }
  if (keyText === undefined) return { manifest }
  let key: Uint8Array
  try {
    key = base64url.decode(`u${keyText}`)
  } catch (err) {
    throw new InvalidHandleError('the handle\'s key is not base64url', { cause: err })
  }
  if (key.length !== FILE_KEY_BYTES) {
    throw new InvalidHandleError(`the handle's key has ${key.length} bytes, expected ${FILE_KEY_BYTES}`)
  }
  return { manifest, key }
}
