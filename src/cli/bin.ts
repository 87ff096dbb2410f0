#!/usr/bin/env node
/**
 * The `shoal` executable: the only place that calls process.exit. The
 * polyfill comes first (libp2p needs Promise.withResolvers on Node 20).
 */
import '../polyfill.js'
import { main } from './main.js'

const code = await main(process.argv.slice(2))
// Flush what is buffered for a pipe before leaving.
await new Promise<void>(resolve => { process.stdout.write('', () => { resolve() }) })
process.exit(code)
