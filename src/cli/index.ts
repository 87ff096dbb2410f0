/** The command line: `main(argv, io)` returns an exit code; bin.ts runs it. */
export { main } from './main.js'
export { createProgram } from './program.js'
export type { CliIO, OutputStream } from './io.js'
