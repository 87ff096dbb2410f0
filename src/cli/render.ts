/** Text rendering for the terminal: sizes, capacity bars, tables. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/** 1536 → "1.5 KiB"; 0 → "0 B". */
export function formatBytes (bytes: number): string {
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  if (unit === 0) return `${value} B`
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${UNITS[unit]}`
}

/** `[████░░░░░░]` filled in proportion to used/total (empty when total is 0). */
export function bar (used: number, total: number, width = 24): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, used / total)) : 0
  let filled = Math.round(ratio * width)
  if (filled === 0 && used > 0 && total > 0) filled = 1 // something is used: show it
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`
}

export function percent (part: number, total: number): string {
  if (total <= 0) return '0%'
  const p = (part / total) * 100
  return `${p > 0 && p < 1 ? p.toFixed(1) : Math.round(p)}%`
}

/** One line: "used of total, free free". */
export function capacityLine (used: number, capacity: number, free: number): string {
  return `${bar(used, capacity)} ${percent(used, capacity)}  ${formatBytes(used)} used of ${formatBytes(capacity)}, ${formatBytes(free)} free`
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table (header: string[], rows: string[][]): string {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map(r => [...(r[i] ?? '')].length)))
  return all.map(r => r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n'
}

export function plural (n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`
}

export function formatSeconds (seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`
}
