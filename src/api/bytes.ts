/** Byte sizes in config files and flags: `10GiB`, `500MB`, `1.5 TiB`, `4096`. */

const UNITS: Record<string, number> = {
  b: 1,
  k: 1024, kib: 1024, kb: 1000,
  m: 1024 ** 2, mib: 1024 ** 2, mb: 1000 ** 2,
  g: 1024 ** 3, gib: 1024 ** 3, gb: 1000 ** 3,
  t: 1024 ** 4, tib: 1024 ** 4, tb: 1000 ** 4
}

/**
 * Parses a size: a non-negative number of bytes, or a number with a unit
 * (case-insensitive): B; KiB, MiB, GiB, TiB (powers of 1024, also written K,
 * M, G, T); KB, MB, GB, TB (powers of 1000). Returns null when it is not one.
 */
export function parseBytes (value: string | number): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value)
  if (match === null) return null
  const unit = match[2].toLowerCase()
  const factor = unit === '' ? 1 : UNITS[unit]
  if (factor === undefined) return null
  const bytes = Math.floor(Number(match[1]) * factor)
  return Number.isSafeInteger(bytes) ? bytes : null
}
