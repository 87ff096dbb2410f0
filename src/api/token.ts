/**
 * The API token: random bytes, hex, in `<dir>/api.token` with mode 0600. Every
 * request carries it as `Authorization: Bearer <token>`; it is compared in
 * constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { TOKEN_BYTES, TOKEN_FILE_NAME } from './constants.js'
import { UnauthorizedError } from './errors.js'
import { writeFileAtomic } from '../net/atomic-file.js'

export function tokenPath (dir: string): string {
  return join(dir, TOKEN_FILE_NAME)
}

/** Reads the token, creating it (mode 0600) when the file does not exist. */
export async function ensureToken (dir: string): Promise<string> {
  const path = tokenPath(dir)
  await writeFileAtomic(path, randomBytes(TOKEN_BYTES).toString('hex') + '\n', { mode: 0o600, exclusive: true })
  return await readToken(dir)
}

/** Reads the token; UnauthorizedError (with the path) when it cannot be read. */
export async function readToken (dir: string): Promise<string> {
  const path = tokenPath(dir)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    throw new UnauthorizedError(`cannot read the API token at ${path} (${String(err?.code ?? err)})`, path, { cause: err })
  }
  const token = text.trim()
  if (token === '') throw new UnauthorizedError(`the API token file ${path} is empty`, path)
  return token
}

/** True when the token file can be read by others than its owner. */
export async function tokenIsExposed (dir: string): Promise<boolean> {
  const mode = (await stat(tokenPath(dir))).mode & 0o777
  return (mode & 0o077) !== 0
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()

/** Constant-time comparison (hashing first makes the lengths equal). */
export function tokenMatches (expected: string, given: string | undefined): boolean {
  if (given === undefined) return false
  return timingSafeEqual(digest(expected), digest(given))
}

/** The token from an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match === null ? undefined : match[1]
}
