/**
 * A progress bar on stderr, drawn only when stderr is a terminal (and the
 * output is not --json): `put  [██████░░░░] 61%  18.3 MiB / 30.0 MiB  42.1 MiB/s`.
 */
import { bar, formatBytes } from './render.js'
import type { OutputStream } from './io.js'

export interface Progress {
  update: (done: number) => void
  /** Clears the bar. */
  done: () => void
}

const NONE: Progress = { update: () => {}, done: () => {} }
const REDRAW_MS = 100

export function createProgress (stream: OutputStream, label: string, total: number | undefined, enabled: boolean): Progress {
  if (!enabled || stream.isTTY !== true) return NONE
  const started = performance.now()
  let last = 0
  let drawn = false
  const draw = (done: number): void => {
    const seconds = (performance.now() - started) / 1000
    const rate = seconds > 0 ? `${formatBytes(done / seconds)}/s` : ''
    const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 60))
    const line = total !== undefined && total > 0
      ? `${label} ${bar(done, total, width)} ${Math.floor((done / total) * 100)}%  ${formatBytes(done)} / ${formatBytes(total)}  ${rate}`
      : `${label} ${formatBytes(done)}  ${rate}`
    stream.write(`\r\x1b[K${line}`)
    drawn = true
  }
  return {
    update: (done) => {
      const now = performance.now()
      if (now - last < REDRAW_MS) return
      last = now
      draw(done)
    },
    done: () => {
      if (drawn) stream.write('\r\x1b[K')
    }
  }
}
