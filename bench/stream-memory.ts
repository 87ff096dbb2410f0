/**
 * Memory of the streaming codec: a generated source of --size bytes (default
 * 1 GiB) goes through encodeStream, m shards of every stripe are dropped,
 * decodeStream rebuilds the bytes, and both ends are hashed and compared. The
 * peak resident set size over the run is reported with the RSS at the start.
 *
 *   node --import tsx bench/stream-memory.ts [--size 1GiB] [--stripe 1MiB] [--json]
 */
import '../src/polyfill.js'
import { createHash } from 'node:crypto'
import { createCodec } from '../src/index.js'

function bytesArg (name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  if (i < 0) return fallback
  const m = /^(\d+)(KiB|MiB|GiB)?$/.exec(process.argv[i + 1] ?? '')
  if (m === null) throw new Error(`${name} takes a size such as 1GiB`)
  return Number(m[1]) * ({ KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 }[m[2] as 'KiB'] ?? 1)
}

const size = bytesArg('--size', 2 ** 30)
const stripeBytes = bytesArg('--stripe', 2 ** 20)
const json = process.argv.includes('--json')
const [k, m] = [10, 4]
const codec = createCodec({ dataShards: k, parityShards: m })

const CHUNK = 256 * 1024
const sourceHash = createHash('sha256')
async function * source (): AsyncGenerator<Uint8Array> {
  let state = 0x9E3779B9
  for (let sent = 0; sent < size; sent += CHUNK) {
    const chunk = new Uint8Array(Math.min(CHUNK, size - sent))
    const words = new Uint32Array(chunk.buffer, 0, chunk.length >>> 2)
    for (let i = 0; i < words.length; i++) { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; words[i] = state }
    sourceHash.update(chunk)
    yield chunk
  }
}

async function * damaged (): AsyncGenerator<{ shards: Array<Uint8Array | null>, dataBytes: number }> {
  for await (const stripe of codec.encodeStream(source(), { stripeBytes })) {
    const shards: Array<Uint8Array | null> = stripe.shards.slice()
    for (let i = 0; i < m; i++) shards[(stripe.index + i * 3) % (k + m)] = null
    yield { shards, dataBytes: stripe.dataBytes }
  }
}

global.gc?.()
const startRss = process.memoryUsage().rss
let peakRss = startRss
const timer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 20)
const started = performance.now()
const outHash = createHash('sha256')
let out = 0
for await (const piece of codec.decodeStream(damaged())) {
  outHash.update(piece)
  out += piece.length
}
clearInterval(timer)
peakRss = Math.max(peakRss, process.memoryUsage().rss)
const seconds = (performance.now() - started) / 1000
const same = out === size && outHash.digest('hex') === sourceHash.digest('hex')
const MiB = 2 ** 20
const result = { size, stripeBytes, dataShards: k, parityShards: m, kernel: codec.kernel, seconds, startRssMiB: startRss / MiB, peakRssMiB: peakRss / MiB, growthMiB: (peakRss - startRss) / MiB, identical: same }
if (json) console.log(JSON.stringify(result))
else {
  console.log(`streamed ${(size / MiB).toFixed(0)} MiB through encodeStream -> ${m} shards dropped per stripe -> decodeStream (${k}+${m}, ${(stripeBytes / MiB).toFixed(2)} MiB stripes, ${codec.kernel})`)
  console.log(`bytes identical: ${same}; ${seconds.toFixed(1)} s`)
  console.log(`RSS at start ${result.startRssMiB.toFixed(1)} MiB, peak ${result.peakRssMiB.toFixed(1)} MiB (growth ${result.growthMiB.toFixed(1)} MiB)`)
}
if (!same) process.exit(1)
