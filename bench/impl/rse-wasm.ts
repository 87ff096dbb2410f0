/**
 * Anchor: @digitaldefiance/reed-solomon-erasure.wasm, the Rust
 * reed-solomon-erasure crate compiled to WebAssembly without SIMD.
 *
 * Its API takes one contiguous buffer of all k + m shards and copies it into
 * wasm memory and back on every call (malloc, copy in, code, copy out, free);
 * that is what a user of the package pays, so it is timed as such. Its matrix
 * is the Backblaze/klauspost one, so its parity must equal shoal's.
 *
 * Loaded with createRequire: the package's ESM build reads `__dirname`,
 * which ESM does not define, so only its CommonJS build can find its .wasm.
 */
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { BenchCheckError, expectShards, range } from '../lib/check.js'
import type { Subject, Unsupported } from '../lib/measure.js'
import type { Workload } from '../lib/workload.js'

interface ReedSolomonErasure {
  encode: (shards: Uint8Array, dataShards: number, parityShards: number) => number
  reconstruct: (shards: Uint8Array, dataShards: number, parityShards: number, shardsAvailable: boolean[]) => number
}

interface ReedSolomonErasureClass {
  fromCurrentDirectorySync: () => ReedSolomonErasure
  getResultMessage: (code: number) => string
  readonly RESULT_OK: number
}

const require = createRequire(import.meta.url)
const PACKAGE = '@digitaldefiance/reed-solomon-erasure.wasm'
/** The crate's limit: GF(2^8) with a Vandermonde matrix. */
const MAX_TOTAL_SHARDS = 256

export const IMPL = 'rse-wasm'

let cls: ReedSolomonErasureClass | undefined
let instance: ReedSolomonErasure | undefined

function load (): { cls: ReedSolomonErasureClass, rs: ReedSolomonErasure } {
  cls ??= (require(PACKAGE) as { ReedSolomonErasure: ReedSolomonErasureClass }).ReedSolomonErasure
  instance ??= cls.fromCurrentDirectorySync()
  return { cls, rs: instance }
}

export function rseVersion (): string {
  // the package's exports map hides package.json: find it next to dist/
  const main = require.resolve(PACKAGE)
  const pkg = JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}

export function createRseSubject (w: Workload, data: readonly Uint8Array[]): Subject | Unsupported {
  const k = w.dataShards
  const m = w.parityShards
  const size = w.shardBytes
  if (k + m > MAX_TOTAL_SHARDS) return { impl: IMPL, unsupported: `k + m > ${MAX_TOTAL_SHARDS}` }
  const { cls, rs } = load()

  const all = new Uint8Array((k + m) * size)
  for (let i = 0; i < k; i++) all.set(data[i], i * size)
  const shard = (i: number): Uint8Array => all.subarray(i * size, (i + 1) * size)
  const available = range(0, k + m).map(i => !w.lost.includes(i))

  const ok = (what: string, code: number): void => {
    if (code !== cls.RESULT_OK) throw new BenchCheckError(`${IMPL} ${what} failed: ${cls.getResultMessage(code)} (${code})`)
  }
  const encode = (): void => { ok('encode', rs.encode(all, k, m)) }
  const reconstruct = (): void => { ok('reconstruct', rs.reconstruct(all, k, m, available)) }

  const verify = async (): Promise<Uint8Array[]> => {
    encode()
    const parity = range(k, k + m).map(i => shard(i).slice())
    for (const i of w.lost) shard(i).fill(0)
    reconstruct()
    expectShards(`${IMPL} reconstruct`, w.lost, range(0, k).map(shard), data)
    return parity
  }

  return {
    impl: IMPL,
    verify,
    call: { kind: 'sync', run: w.op === 'encode' ? encode : reconstruct }
  }
}
