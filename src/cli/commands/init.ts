/** shoal init: create a data directory. */
import type { CommandContext } from '../context.js'
import type { Command } from 'commander'

export function registerInit (program: Command, ctx: CommandContext): void {
  program.command('init')
    .description('create a data directory: identity key, config file and API token')
    .addHelpText('after', `
The directory is --dir, else $SHOAL_DIR, else ~/.shoal. It gets:
  identity.key  this peer's Ed25519 key (mode 0600): its PeerId
  config.json   settings, described in docs/cli.md
  api.token     the token clients send to the daemon's API (mode 0600)`)
    .action(async (_opts, command: Command) => {
      ctx.globals(command)
      const { initDataDir } = await import('../../api/data-dir.js')
      const result = await initDataDir(ctx.dir)
      if (ctx.json) {
        await ctx.printJson({ dir: result.dir, peerId: result.peerId, config: result.configPath, token: result.tokenPath })
        return
      }
      await ctx.out(`initialised ${result.dir}
PeerId  ${result.peerId}
config  ${result.configPath}
token   ${result.tokenPath}
start the peer with \`shoal daemon${ctx.dirFlag}\`
`)
    })
}
