/**
 * A new data directory: what `init` puts in it (identity key, config file,
 * API token).
 */
import { mkdir } from 'node:fs/promises'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreateIdentity } from '../net/identity.js'
import { configPath, defaultConfig, writeNewConfig } from './config.js'
import { AlreadyInitializedError } from './errors.js'
import { ensureToken, tokenPath } from './token.js'
import type { ShoalConfig } from './config.js'

export interface InitResult {
  dir: string
  peerId: string
  configPath: string
  tokenPath: string
  config: ShoalConfig
}

export interface InitOptions {
  /** Values written into the new config over the defaults. */
  config?: Partial<ShoalConfig>
}

/**
 * Creates a data directory (mode 0700) with an identity key, a config file and
 * an API token (both mode 0600). AlreadyInitializedError when it has a config.
 */
export async function initDataDir (dir: string, options: InitOptions = {}): Promise<InitResult> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const config: ShoalConfig = { ...defaultConfig(), ...options.config }
  if (!await writeNewConfig(dir, config)) throw new AlreadyInitializedError(dir)
  const key = await loadOrCreateIdentity(dir)
  await ensureToken(dir)
  return { dir, peerId: peerIdFromPrivateKey(key).toString(), configPath: configPath(dir), tokenPath: tokenPath(dir), config }
}
