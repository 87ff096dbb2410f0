/**
 * Diagnostics for bench/lib/net-peer.ts, on only with SHOAL_BENCH_TRACE=1
 * (run bench/network.ts with --verbose to see them): wraps a few methods of
 * shoal's and yamux's classes at run time, from the outside (src/ is not
 * changed), and writes one line per event on stderr:
 *
 *   E <s> <event> <detail>     put/get progress events, seconds since the operation started
 *   C <op> <peer> <ms>         client: one ShardSession.store / fetch, request to answer
 *   S <op> <ms>                storage peer: one request served by ShardService (body read + store + reply)
 *   B <op> <ms>                storage peer: the shard store's put / get inside it
 *   F {...}                    yamux data frames received and sendData calls, at each `usage` command
 *
 * These reach into private members (ShardService.answer and .backend,
 * YamuxStream.handleData / sendData): a diagnostic aid that may need updating
 * when those change, never part of a figure.
 */
import { YamuxStream } from '@libp2p/yamux/stream'
import { ShardSession } from '../../src/net/shard-client.js'
import { ShardService } from '../../src/net/shard-service.js'

type AnyFn = (...args: unknown[]) => unknown
type Methods = Record<string, AnyFn>

const counts = { frames: 0, frameBytes: 0, sendCalls: 0, sendWindowExhausted: 0 }

function line (text: string): void {
  process.stderr.write(`${text}\n`)
}

/** Wraps `proto[name]` (async) so that each call's duration goes to `report`. */
function timeAsync (proto: Methods, name: string, report: (self: unknown, args: unknown[], ms: number) => void): void {
  const original = proto[name]
  proto[name] = async function (this: unknown, ...args: unknown[]) {
    const t = performance.now()
    try {
      return await original.apply(this, args)
    } finally {
      report(this, args, performance.now() - t)
    }
  }
}

export function installTrace (): void {
  const session = ShardSession.prototype as unknown as Methods
  for (const op of ['store', 'fetch']) {
    timeAsync(session, op, (self, _args, ms) => { line(`C ${op} ${(self as { peerId: string }).peerId.slice(-6)} ${ms.toFixed(1)}`) })
  }

  const service = ShardService.prototype as unknown as Methods
  const traced = new WeakSet<object>()
  const answer = service.answer
  service.answer = async function (this: { backend: Methods }, ...args: unknown[]) {
    if (!traced.has(this)) {
      traced.add(this)
      for (const op of ['put', 'get']) timeAsync(this.backend, op, (_self, _args, ms) => { line(`B ${op} ${ms.toFixed(1)}`) })
    }
    const t = performance.now()
    try {
      return await answer.apply(this, args)
    } finally {
      line(`S ${(args[2] as { op: string }).op} ${(performance.now() - t).toFixed(1)}`)
    }
  }

  const stream = YamuxStream.prototype as unknown as Methods
  const handleData = stream.handleData
  stream.handleData = function (this: unknown, ...args: unknown[]) {
    counts.frames++
    counts.frameBytes += (args[0] as { header: { length: number } }).header.length
    return handleData.apply(this, args)
  }
  const sendData = stream.sendData
  stream.sendData = function (this: { sendWindowCapacity: number }, ...args: unknown[]) {
    counts.sendCalls++
    if (this.sendWindowCapacity === 0) counts.sendWindowExhausted++
    return sendData.apply(this, args)
  }
}

export function traceEvent (t0: number, type: string, detail: unknown): void {
  line(`E ${((performance.now() - t0) / 1000).toFixed(3)} ${type} ${JSON.stringify(detail)}`)
}

export function traceCounts (): void {
  line(`F ${JSON.stringify(counts)}`)
}
