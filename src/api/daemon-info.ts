/** `<dir>/api.json`: where a running daemon's API listens. Clients read it; it loads nothing heavy. */
import { join } from 'node:path'
import { API_FILE_NAME } from './constants.js'
import { readTextIfExists } from './fs-util.js'

/** What `<dir>/api.json` holds while a daemon runs. */
export interface ApiInfo {
  url: string
  host: string
  port: number
  pid: number
  peerId: string
  version: string
  startedAt: string
}

export function apiInfoPath (dir: string): string {
  return join(dir, API_FILE_NAME)
}

export async function readApiInfo (dir: string): Promise<ApiInfo | undefined> {
  const text = await readTextIfExists(apiInfoPath(dir))
  if (text === undefined) return undefined
  try {
    const info = JSON.parse(text)
    return typeof info?.url === 'string' ? info as ApiInfo : undefined
  } catch {
    return undefined
  }
}
