/** Where the data directory is: --dir wins over SHOAL_DIR, which wins over ~/.shoal. */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { DEFAULT_DIR_NAME, DIR_ENV_VAR } from './constants.js'

export function resolveDir (option: string | undefined, env: Record<string, string | undefined> = process.env, home: string = homedir()): string {
  if (option !== undefined && option !== '') return resolve(option)
  const fromEnv = env[DIR_ENV_VAR]
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv)
  return join(home, DEFAULT_DIR_NAME)
}
