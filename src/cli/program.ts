/** The `shoal` command tree (commander). */
import { Command } from 'commander'
import { registerBench } from './commands/bench.js'
import { registerCheckCommands } from './commands/check.js'
import { registerDaemon } from './commands/daemon.js'
import { registerFileCommands } from './commands/files.js'
import { registerGet } from './commands/get.js'
import { registerInit } from './commands/init.js'
import { registerNetworkCommands } from './commands/network.js'
import { registerPut } from './commands/put.js'
import { registerSimulate } from './commands/simulate.js'
import { packageVersion } from './version.js'
import type { CommandContext } from './context.js'

export const EXIT_CODES_HELP = `
Exit codes: 0 ok, 1 error, 2 usage (unknown command or option, bad or missing argument).
Data directory: --dir, else $SHOAL_DIR, else ~/.shoal. Documentation: docs/cli.md`

export function createProgram (ctx: CommandContext): Command {
  const program = new Command('shoal')
  program
    .description('peer-to-peer erasure-coded storage: run a peer, store and fetch files')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('-d, --dir <path>', 'data directory (default: $SHOAL_DIR, else ~/.shoal)')
    .option('--json', 'print machine-readable JSON on stdout (errors: JSON on stderr)')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride()
    .configureOutput({
      writeOut: (s) => { ctx.io.stdout.write(s) },
      writeErr: (s) => { ctx.io.stderr.write(s) }
    })
    .showSuggestionAfterError(true)
    .addHelpText('after', EXIT_CODES_HELP)
  // Subcommands inherit exitOverride, output and help settings when created after them.
  registerInit(program, ctx)
  registerDaemon(program, ctx)
  registerPut(program, ctx)
  registerGet(program, ctx)
  registerFileCommands(program, ctx)
  registerCheckCommands(program, ctx)
  registerNetworkCommands(program, ctx)
  registerBench(program, ctx)
  registerSimulate(program, ctx)
  return program
}
