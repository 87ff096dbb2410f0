/**
 * Running the CLI in tests: in-process with captured output (main() returns
 * the exit code), and as real processes (`node --import tsx src/cli/bin.ts`).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { main } from '../../src/cli/main.js'
import type { CliIO, OutputStream } from '../../src/cli/io.js'
import type { ChildProcess } from 'node:child_process'

export const ROOT = resolve(import.meta.dirname, '../..')
export const BIN = join(ROOT, 'src/cli/bin.ts')

export class Capture implements OutputStream {
  text = ''
  bytes: Buffer[] = []
  isTTY?: boolean
  columns?: number
  constructor (tty = false) {
    if (tty) { this.isTTY = true; this.columns = 100 }
  }

  write (chunk: string | Uint8Array, callback?: (err?: Error | null) => void): boolean {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk)
    this.bytes.push(buf)
    this.text += buf.toString('utf8')
    callback?.()
    return true
  }

  once (): this { return this }
  buffer (): Buffer { return Buffer.concat(this.bytes) }
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
  stdoutBytes: Buffer
}

export interface RunOptions {
  env?: Record<string, string | undefined>
  stdin?: AsyncIterable<Uint8Array>
  ttyStderr?: boolean
}

/** Runs `shoal <argv>` in this process. */
export async function run (argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const stdout = new Capture()
  const stderr = new Capture(options.ttyStderr === true)
  const io: Partial<CliIO> = {
    stdout,
    stderr,
    env: options.env ?? { HOME: tmpdir() },
    stdin: options.stdin ?? (async function * () {})()
  }
  const code = await main(argv, io)
  return { code, stdout: stdout.text, stderr: stderr.text, stdoutBytes: stdout.buffer() }
}

export async function tempDir (prefix = 'shoal-cli-'): Promise<string> {
  return await mkdtemp(join(tmpdir(), prefix))
}

export async function removeDir (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 })
}

/** Writes a config for a test daemon: loopback, free ports, fast DHT self-query. */
export async function writeTestConfig (dir: string, extra: Record<string, unknown> = {}): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await writeFile(join(dir, 'config.json'), JSON.stringify({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    capacity: '64MiB',
    querySelfIntervalMs: 1000,
    api: { host: '127.0.0.1', port: 0 },
    ...extra
  }), { mode: 0o600 })
}

async function waitFor (check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** A `shoal daemon` running in this process, stopped through its shutdown signal. */
export interface InProcessDaemon {
  dir: string
  peerId: string
  multiaddr: string
  stdout: Capture
  stderr: Capture
  /** Resolves with the daemon command's exit code. */
  exited: Promise<number>
  stop: () => Promise<number>
}

export async function startInProcess (dir: string, args: string[] = []): Promise<InProcessDaemon> {
  const stdout = new Capture()
  const stderr = new Capture()
  const shutdown = new AbortController()
  const exited = main(['--dir', dir, 'daemon', ...args], { stdout, stderr, shutdown: shutdown.signal, env: { HOME: tmpdir() } })
  let code: number | undefined
  void exited.then(c => { code = c })
  await waitFor(() => stdout.text.includes('daemon is ready') || code !== undefined, 60_000, () => `the daemon in ${dir}: ${stdout.text}${stderr.text}`)
  if (code !== undefined) throw new Error(`daemon exited with ${code}: ${stderr.text}`)
  const peerId = /PeerId\s+(\S+)/.exec(stdout.text)?.[1] as string
  const multiaddr = /listening\s+(\S+)/.exec(stdout.text)?.[1] as string
  return {
    dir,
    peerId,
    multiaddr,
    stdout,
    stderr,
    exited,
    stop: async () => {
      shutdown.abort()
      return await exited
    }
  }
}

/** A `shoal daemon` in its own process. */
export interface ProcessDaemon {
  dir: string
  child: ChildProcess
  peerId: string
  multiaddr: string
  output: () => string
}

export function spawnCli (args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, DEBUG: '' },
    stdio: ['pipe', 'pipe', 'pipe']
  })
}

export async function spawnDaemon (dir: string, args: string[] = []): Promise<ProcessDaemon> {
  const child = spawnCli(['--dir', dir, 'daemon', ...args])
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  let exited = false
  child.once('exit', () => { exited = true })
  await waitFor(() => out.includes('daemon is ready') || exited, 90_000, () => `the daemon process in ${dir}: ${out}`)
  if (!out.includes('daemon is ready')) throw new Error(`daemon process exited early: ${out}`)
  return {
    dir,
    child,
    peerId: /PeerId\s+(\S+)/.exec(out)?.[1] as string,
    multiaddr: /listening\s+(\S+)/.exec(out)?.[1] as string,
    output: () => out
  }
}

/** Runs `shoal <args>` as a process; resolves with its exit code and output. */
export async function runProcess (args: string[], input?: Uint8Array): Promise<{ code: number, stdout: Buffer, stderr: string }> {
  const child = spawnCli(args)
  const stdout: Buffer[] = []
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => stdout.push(d))
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  if (input !== undefined) child.stdin?.end(input)
  else child.stdin?.end()
  const code = await new Promise<number>(resolve => child.once('close', (c) => { resolve(c ?? 1) }))
  return { code, stdout: Buffer.concat(stdout), stderr }
}

/** SIGTERM, then SIGKILL if it has not exited within `ms`. */
export async function killProcess (child: ChildProcess, ms = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => child.once('exit', () => { resolve() }))
  child.kill('SIGTERM')
  const timer = setTimeout(() => { child.kill('SIGKILL') }, ms)
  await exited
  clearTimeout(timer)
}
