#!/usr/bin/env node
/**
 * The `shoal` executable: the only place that calls process.exit. The
 * polyfill comes first (libp2p needs Promise.withResolvers on Node 20).
 */
import '../polyfill.js'
import { main } from './main.js'

// A peer must not die of one stray rejection: under load, libp2p internals
// sometimes reject a stream opened on a connection that just closed, with
// nobody waiting for the result. Say so once per kind and keep running.
const seen = new Set<string>()
process.on('unhandledRejection', (reason) => {
  const err = reason instanceof Error ? reason : new Error(String(reason))
  const key = `${err.name}: ${err.message}`
  if (seen.has(key) || seen.size > 20) return
  seen.add(key)
  process.stderr.write(`warning: unhandled ${key} (continuing; DEBUG=shoal:*,libp2p:* shows more)\n`)
})

const code = await main(process.argv.slice(2))
// Flush what is buffered for a pipe before leaving.
await new Promise<void>(resolve => { process.stdout.write('', () => { resolve() }) })
process.exit(code)
