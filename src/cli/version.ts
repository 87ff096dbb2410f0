/** The package's version, read from package.json (found above this file from src/ and from dist/). */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let root: string | undefined

/** Directory of shoal's package.json. */
export function packageRoot (): string {
  if (root !== undefined) return root
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) {
      try {
        if (JSON.parse(readFileSync(candidate, 'utf8')).name === 'shoal') return (root = dir)
      } catch {}
    }
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find shoal\'s package.json')
    dir = up
  }
}

export function packageVersion (): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version
}
