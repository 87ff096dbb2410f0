/**
 * Finding a manifest: this node's store first; then, at the same time, the
 * peers that provide its CID in the DHT and the connected peers asked directly
 * (a provide may still be travelling right after a put). Bytes are accepted
 * only if they hash to the CID; the first good copy wins.
 */

import { setMaxListeners } from 'node:events'
import { decodeManifest } from '../format/manifest.js'
import { digestMatches, sha256Sync } from '../format/cid.js'
import { MANIFEST_ASK_PEERS, MANIFEST_LOOKUP_TIMEOUT_MS } from './constants.js'
import { ManifestNotFoundError } from './errors.js'
import type { NodeContext } from './context.js'
import type { Manifest } from '../format/manifest.js'
import type { CID } from 'multiformats/cid'

export async function loadManifest (ctx: NodeContext, cid: CID, options: { signal?: AbortSignal } = {}): Promise<Manifest> {
  const accept = (bytes: Uint8Array): Manifest | null => digestMatches(cid, sha256Sync(bytes)) ? decodeManifest(bytes) : null
  try {
    const local = accept(await ctx.store.get(cid, { signal: options.signal }))
    if (local !== null) return local
  } catch (err) {
    options.signal?.throwIfAborted()
  }

  const controller = new AbortController()
  setMaxListeners(Infinity, controller.signal)
  const timeout = AbortSignal.timeout(MANIFEST_LOOKUP_TIMEOUT_MS)
  const signal = AbortSignal.any(options.signal === undefined ? [controller.signal, timeout] : [options.signal, controller.signal, timeout])
  setMaxListeners(Infinity, signal)
  const asked = new Set<string>([ctx.peerId])
  const reasons: string[] = []
  let found: Manifest | null = null
  let invalid: Error | null = null

  const ask = async (peer: string): Promise<void> => {
    if (asked.has(peer) || found !== null) return
    asked.add(peer)
    try {
      const [present] = await ctx.holder(peer).has([cid], { signal, timeoutMs: 5000 })
      if (!present || found !== null) return
      const manifest = accept(await ctx.holder(peer).fetch(cid, { signal, timeoutMs: 5000 }))
      if (manifest === null) { reasons.push(`${peer}: bytes do not match the CID`); return }
      found ??= manifest
      controller.abort()
    } catch (err) {
      if ((err as Error).name === 'InvalidManifestError') invalid ??= err as Error
      reasons.push(`${peer}: ${(err as Error).message}`)
    }
  }

  const direct = Promise.all(ctx.connectedPeers().slice(0, MANIFEST_ASK_PEERS).map(ask))
  const viaDht = (async () => {
    const tasks: Array<Promise<void>> = []
    try {
      for await (const peer of ctx.findProviders(cid, { signal })) tasks.push(ask(peer))
    } catch (err) {
      if (found === null) reasons.push(`DHT: ${(err as Error).message}`)
    }
    await Promise.all(tasks)
  })()
  await Promise.all([direct, viaDht])
  if (found !== null) return found
  options.signal?.throwIfAborted()
  if (invalid !== null) throw invalid
  ctx.log('manifest %s not found: %s', cid, reasons.join('; '))
  throw new ManifestNotFoundError(cid.toString())
}
