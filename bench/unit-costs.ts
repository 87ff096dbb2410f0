/**
 * What a put and a get must do per byte besides moving it, measured piece by
 * piece with shoal's own code on this machine: CPU seconds (all threads of
 * this process: WebCrypto and the file system run on libuv's threadpool) per
 * GiB. bench/README.md ("What the targets ask of this machine") adds these up
 * against the CPU the network targets leave on two cores.
 *
 *   npm run bench:units [-- --rounds R]
 *
 * Blocks are those of a 3+2 put at 1 MiB stripes (349,526 bytes); the store
 * is a filesystem store in the OS temp dir, removed at the end.
 */
import '../src/polyfill.js'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createCodec } from '../src/codec/index.js'
import { AUDIT_CHUNK_BYTES, merkleRoot, sha256Sync, shardCidFromDigest } from '../src/format/index.js'
import { SEGMENT_BYTES } from '../src/node/constants.js'
import { decryptStream, encryptStream, generateFileKey } from '../src/node/crypto.js'
import { createFsShardStore } from '../src/store/index.js'
import { table } from './lib/report.js'
import type { CID } from 'multiformats/cid'

const GiB = 2 ** 30
const BLOCK_BYTES = 349_526
/** Blocks per round of the store rows (about 100 MiB). */
const STORE_BLOCKS = 300
/** Bytes per round of the other rows. */
const ROUND_BYTES = 128 * 2 ** 20
/** Store puts in flight, as a shard session keeps several. */
const IN_FLIGHT = 4

function cpuSeconds (): number {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1e6
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

interface Row { name: string, perGiB: number[] }

/** Runs `work` (which processes `bytes` bytes) and returns its CPU seconds per GiB. */
async function perGiB (bytes: number, work: () => Promise<void> | void): Promise<number> {
  const c0 = cpuSeconds()
  await work()
  return (cpuSeconds() - c0) / (bytes / GiB)
}

async function main (): Promise<number> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } }, strict: true })
  const rounds = Number(values.rounds)
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
    process.stderr.write('usage: node --import tsx bench/unit-costs.ts [--rounds R (1..20, default 3)]\n')
    return 2
  }
  const block = new Uint8Array(randomBytes(BLOCK_BYTES))
  const blocksPerRound = Math.ceil(ROUND_BYTES / BLOCK_BYTES)
  const segment = new Uint8Array(randomBytes(SEGMENT_BYTES))
  const segments = ROUND_BYTES / SEGMENT_BYTES
  const key = generateFileKey()
  const sealed: Uint8Array[] = []
  for await (const s of encryptStream(Array.from({ length: segments }, () => segment), key, { segmentBytes: SEGMENT_BYTES })) sealed.push(s)
  const codec = createCodec({ dataShards: 3, parityShards: 2 })
  const shards = Array.from({ length: 5 }, (_, i) => i < 3 ? new Uint8Array(randomBytes(BLOCK_BYTES)) : new Uint8Array(BLOCK_BYTES))
  const dir = await mkdtemp(join(tmpdir(), 'shoal-unit-costs-'))
  const store = createFsShardStore({ dir, capacityBytes: 64 * GiB })
  await store.start()

  const rows: Row[] = [
    { name: 'sha256 of a block (a CID; the store checks it on put and on read, the getter on receipt)', perGiB: [] },
    { name: `Merkle root of a block, ${AUDIT_CHUNK_BYTES / 1024} KiB chunks (put, for audits)`, perGiB: [] },
    { name: 'AES-256-GCM encrypt, WebCrypto, 1 MiB segments (put)', perGiB: [] },
    { name: 'AES-256-GCM decrypt, WebCrypto, 1 MiB segments (get)', perGiB: [] },
    { name: 'Reed-Solomon 3+2 encode, one thread (put; per GiB of data)', perGiB: [] },
    { name: `fs store put: hash check, temp file, fsync, rename, folder fsync (${IN_FLIGHT} in flight)`, perGiB: [] },
    { name: 'fs store get: open, read, close, hash check (holders, for a get)', perGiB: [] }
  ]
  try {
    for (let r = 0; r <= rounds; r++) {
      // Round 0 warms up the JIT, the codec and the store's folders; it is not counted.
      const results: number[] = []
      results.push(await perGiB(blocksPerRound * BLOCK_BYTES, () => { for (let i = 0; i < blocksPerRound; i++) sha256Sync(block) }))
      results.push(await perGiB(blocksPerRound * BLOCK_BYTES, () => { for (let i = 0; i < blocksPerRound; i++) merkleRoot(block, AUDIT_CHUNK_BYTES) }))
      results.push(await perGiB(ROUND_BYTES, async () => {
        for await (const s of encryptStream(Array.from({ length: segments }, () => segment), key, { segmentBytes: SEGMENT_BYTES })) void s
      }))
      results.push(await perGiB(ROUND_BYTES, async () => {
        for await (const s of decryptStream(sealed, key, { segmentBytes: SEGMENT_BYTES })) void s
      }))
      results.push(await perGiB(blocksPerRound * 3 * BLOCK_BYTES, () => { for (let i = 0; i < blocksPerRound; i++) codec.encode(shards) }))

      // Distinct blocks for the store: the first bytes carry the round and the index.
      const cids: CID[] = []
      const bodies = Array.from({ length: STORE_BLOCKS }, (_, i) => {
        const b = block.slice()
        new DataView(b.buffer).setUint32(0, r)
        new DataView(b.buffer).setUint32(4, i)
        return b
      })
      for (const b of bodies) cids.push(shardCidFromDigest(sha256Sync(b)))
      results.push(await perGiB(STORE_BLOCKS * BLOCK_BYTES, async () => {
        let next = 0
        await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
          for (let i = next++; i < STORE_BLOCKS; i = next++) await store.put(cids[i], bodies[i], { owned: true })
        }))
      }))
      results.push(await perGiB(STORE_BLOCKS * BLOCK_BYTES, async () => {
        for (const cid of cids) {
          const got = await store.get(cid)
          if (got.byteLength !== BLOCK_BYTES) throw new Error(`the store returned ${got.byteLength} bytes of ${BLOCK_BYTES}`)
        }
      }))
      if (r > 0) results.forEach((x, i) => rows[i].perGiB.push(x))
      process.stderr.write(`round ${r}${r === 0 ? ' (warm-up)' : ''}: ${results.map(x => x.toFixed(2)).join(' ')} CPU s/GiB\n`)
    }
  } finally {
    await store.stop()
    await rm(dir, { recursive: true, force: true })
  }
  process.stdout.write(`CPU seconds per GiB, median of ${rounds} round(s) after a warm-up (min-max in brackets)\n\n`)
  process.stdout.write(`${table(['work', 'CPU s/GiB'],
    rows.map(row => [row.name, `${median(row.perGiB).toFixed(2)} (${Math.min(...row.perGiB).toFixed(2)}-${Math.max(...row.perGiB).toFixed(2)})`]),
    [false, true])}\n`)
  return 0
}

main().then(code => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`unit-costs failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
