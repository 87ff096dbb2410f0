/**
 * Work in flight in the daemon: each request's operation gets a signal that
 * fires when its client goes away or when the daemon, shutting down, stops
 * waiting for it.
 */
import { setMaxListeners } from 'node:events'
import type { ServerResponse } from 'node:http'

export interface Operation {
  readonly signal: AbortSignal
  end: () => void
}

/** Why an operation was aborted, as an error to answer with. */
function reasonError (signal: AbortSignal): Error {
  const reason = signal.reason
  return reason instanceof Error ? reason : new DOMException(String(reason), 'AbortError')
}

export class Operations {
  private readonly running = new Set<AbortController>()
  private idleWaiters: Array<() => void> = []

  get size (): number {
    return this.running.size
  }

  /** Starts an operation tied to a response: it is aborted if the connection closes before the answer was sent. */
  begin (response?: ServerResponse): Operation {
    const controller = new AbortController()
    setMaxListeners(Infinity, controller.signal)
    this.running.add(controller)
    const onClose = (): void => {
      if (response?.writableFinished !== true) controller.abort(new DOMException('the client went away', 'AbortError'))
    }
    response?.once('close', onClose)
    let ended = false
    return {
      signal: controller.signal,
      end: () => {
        if (ended) return
        ended = true
        response?.off('close', onClose)
        this.running.delete(controller)
        if (this.running.size === 0) {
          for (const wake of this.idleWaiters.splice(0)) wake()
        }
      }
    }
  }

  /**
   * Runs `fn` as an operation of `response`'s request. If the operation was
   * aborted, the abort's reason (ShuttingDownError, or the client going away)
   * is thrown instead of whatever the aborted work threw.
   */
  async run<T> (response: ServerResponse | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const op = this.begin(response)
    try {
      return await fn(op.signal)
    } catch (err) {
      if (op.signal.aborted) throw reasonError(op.signal)
      throw err
    } finally {
      op.end()
    }
  }

  /** Resolves once nothing runs, or after `ms`. */
  async idle (ms: number): Promise<void> {
    if (this.running.size === 0) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, ms)
      timer.unref()
      this.idleWaiters.push(() => { clearTimeout(timer); resolve() })
    })
  }

  abortAll (reason: Error): void {
    for (const c of this.running) c.abort(reason)
  }
}
