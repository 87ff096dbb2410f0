/**
 * The CLI's entry: parse argv, run the command, turn errors into advice, and
 * return the exit code (0 ok, 1 error, 2 usage). Nothing here exits the
 * process: bin.ts does, so tests run commands in-process.
 */
import { CommanderError } from 'commander'
import { describeError } from './advice.js'
import { CommandContext } from './context.js'
import { CommandFailedError } from './errors.js'
import { defaultIO, writeAll } from './io.js'
import { createProgram } from './program.js'
import type { CliIO } from './io.js'

/** Commander's "exits" that are not failures. */
const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.version'])

export async function main (argv: string[], io: Partial<CliIO> = {}): Promise<number> {
  const ctx = new CommandContext({ ...defaultIO(), ...io })
  const program = createProgram(ctx)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return ctx.exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed its message or the help already
      // (`shoal help put` is 'commander.help' with exit code 0; bare `shoal` is the same with 1)
      return COMMANDER_OK.has(err.code) || (err.code === 'commander.help' && err.exitCode === 0) ? 0 : 2
    }
    if (err instanceof CommandFailedError) {
      await writeAll(ctx.io.stderr, `error: ${err.message}\n`)
      return err.exitCode
    }
    const d = describeError(err, ctx.dir, ctx.dirFlag)
    if (ctx.json) {
      await writeAll(ctx.io.stderr, JSON.stringify({ error: { name: d.name, message: d.message, advice: d.advice, ...d.fields } }) + '\n')
    } else {
      await writeAll(ctx.io.stderr, `error: ${d.message}\n${d.advice === undefined ? '' : `  ${d.advice}\n`}`)
    }
    return d.exitCode
  }
}
