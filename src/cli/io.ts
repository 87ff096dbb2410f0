/** The CLI's streams and environment, injectable so that tests run commands in-process. */

export interface OutputStream {
  write: (chunk: string | Uint8Array, callback?: (err?: Error | null) => void) => boolean
  once: (event: string, listener: (...args: any[]) => void) => unknown
  removeListener?: (event: string, listener: (...args: any[]) => void) => unknown
  isTTY?: boolean
  columns?: number
}

export interface CliIO {
  stdout: OutputStream
  stderr: OutputStream
  stdin: AsyncIterable<Uint8Array | string>
  env: Record<string, string | undefined>
  /**
   * Stops a running `shoal daemon` when it fires. Default: the daemon stops on
   * SIGINT and SIGTERM (and gives up waiting on a second one).
   */
  shutdown?: AbortSignal
}

export function defaultIO (): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }
}

/** Writes, waiting for the stream to drain when its buffer is full. */
export async function writeAll (stream: OutputStream, chunk: string | Uint8Array): Promise<void> {
  if (stream.write(chunk)) return
  await new Promise<void>(resolve => { stream.once('drain', resolve) })
}
