/**
 * FOR TESTS ONLY: damage stored shards behind a store's back, so the corruption
 * paths (get → CorruptShardError, quarantine, scrub) can be exercised in every
 * implementation. Not exported from `store/index.ts`.
 */
import { open, truncate } from 'node:fs/promises'
import { shardPath } from './fs-layout.js'
import { corruptMemoryShardForTesting } from './memory-store.js'
import type { ShardStore } from './types.js'
import type { CID } from 'multiformats/cid'

export type Damage = { flipByte: number } | { truncateTo: number }

/** Flips every bit of one byte, or cuts the shard to a length, in a memory store. */
export function damageMemoryShard (store: ShardStore, cid: CID, damage: Damage): void {
  corruptMemoryShardForTesting(store, cid, (bytes) => {
    if ('flipByte' in damage) {
      bytes[damage.flipByte] ^= 0xff
      return bytes
    }
    return bytes.slice(0, damage.truncateTo)
  })
}

/** The same, on the file of a shard in a filesystem store rooted at `dir`. */
export async function damageFsShard (dir: string, cid: CID, damage: Damage): Promise<void> {
  const path = shardPath(dir, cid.toString())
  if ('truncateTo' in damage) {
    await truncate(path, damage.truncateTo)
    return
  }
  const handle = await open(path, 'r+')
  try {
    const one = new Uint8Array(1)
    await handle.read(one, 0, 1, damage.flipByte)
    one[0] ^= 0xff
    await handle.write(one, 0, 1, damage.flipByte)
  } finally {
    await handle.close()
  }
}

export { shardPath as fsShardPath } from './fs-layout.js'
