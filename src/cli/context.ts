/** What every command gets: the streams, the global options, a client for the daemon. */
import { resolveDir } from '../api/dir.js'
import { connect } from '../api/client.js'
import { writeAll } from './io.js'
import type { ApiClient } from '../api/client.js'
import type { CliIO } from './io.js'
import type { Command } from 'commander'

export interface GlobalOptions {
  dir?: string
  json?: boolean
}

export class CommandContext {
  readonly io: CliIO
  /** Exit code when the command returns normally. */
  exitCode = 0
  /** Set once options are parsed (for error reporting). */
  json = false
  dir: string
  /** " --dir DIR" when --dir was given (for advice that names a command). */
  dirFlag = ''

  constructor (io: CliIO) {
    this.io = io
    this.dir = resolveDir(undefined, io.env)
  }

  /** Reads the global options of the command being run. */
  globals (command: Command): GlobalOptions {
    const opts = command.optsWithGlobals<GlobalOptions>()
    this.json = opts.json === true
    this.dir = resolveDir(opts.dir, this.io.env)
    this.dirFlag = opts.dir === undefined ? '' : ` --dir ${/\s/.test(this.dir) ? JSON.stringify(this.dir) : this.dir}`
    return opts
  }

  async client (): Promise<ApiClient> {
    return await connect(this.dir)
  }

  async out (text: string): Promise<void> {
    await writeAll(this.io.stdout, text)
  }

  async err (text: string): Promise<void> {
    await writeAll(this.io.stderr, text)
  }

  async printJson (value: unknown): Promise<void> {
    await this.out(JSON.stringify(value, null, 2) + '\n')
  }

  /** Progress bars are drawn when stderr is a terminal and the output is not JSON. */
  get progressEnabled (): boolean {
    return !this.json && this.io.stderr.isTTY === true
  }
}
