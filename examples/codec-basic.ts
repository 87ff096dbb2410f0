/**
 * The codec in a dozen lines: split a message into 4 data + 2 parity shards,
 * lose two of them, rebuild, and get the message back.
 *
 *   npx tsx examples/codec-basic.ts
 */
import { createCodec } from '../src/index.js'

const codec = createCodec({ dataShards: 4, parityShards: 2 })
const message = new TextEncoder().encode('Any four of these six shards bring this sentence back.')

const shards: Array<Uint8Array | null> = codec.split(message)
codec.encode(shards as Uint8Array[])
console.log(`kernel ${codec.kernel}: ${codec.totalShards} shards of ${shards[0]?.length} bytes`)

shards[1] = null // lose a data shard
shards[4] = null // and a parity shard
codec.reconstruct(shards)

const restored = new TextDecoder().decode(codec.join(shards, message.length))
console.log(`verify: ${codec.verify(shards as Uint8Array[])}`)
console.log(`restored: ${restored}`)
