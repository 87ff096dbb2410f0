/**
 * Per-operation deadlines and the translation of aborts into typed errors.
 *
 * House rule (DESIGN.md, Async): a default timeout applies only when the
 * caller gave no signal. A caller may also give `timeoutMs`, which is combined
 * with its signal through AbortSignal.any.
 */
import { AbortError, NetError, StreamTimeoutError } from './errors.js'

export interface TimeoutOptions {
  /** Cancels the operation; its reason becomes the `cause` of the typed error. */
  signal?: AbortSignal
  /**
   * Limit for this operation in ms. Default: the operation's own default when
   * no `signal` is given, otherwise none. `Infinity` turns the limit off.
   */
  timeoutMs?: number
}

export interface OperationSignal {
  /** Undefined when there is neither a caller signal nor a limit. */
  signal?: AbortSignal
  /** Clears the timer; call it in `finally`. */
  done: () => void
}

const noop = (): void => {}

/** Combine the caller's signal with a deadline of `timeoutMs` (or `defaultTimeoutMs` when the caller gave neither). */
export function operationSignal (options: TimeoutOptions, defaultTimeoutMs: number): OperationSignal {
  const timeoutMs = options.timeoutMs ?? (options.signal == null ? defaultTimeoutMs : Infinity)
  if (!Number.isFinite(timeoutMs)) {
    return { signal: options.signal, done: noop }
  }
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort(new StreamTimeoutError(timeoutMs)) }, Math.max(0, timeoutMs))
  const outer = options.signal
  if (outer == null) return { signal: controller.signal, done: () => { clearTimeout(timer) } }
  // The caller's signal is followed with one listener, removed when done: AbortSignal.any
  // costs more per call (weak references that outlive the call) on a path taken per block.
  if (outer.aborted) {
    clearTimeout(timer)
    controller.abort(outer.reason)
    return { signal: controller.signal, done: noop }
  }
  const onAbort = (): void => { controller.abort(outer.reason) }
  outer.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer)
      outer.removeEventListener('abort', onAbort)
    }
  }
}

/** The typed error for an aborted signal: our own timeouts as they are, a platform TimeoutError as StreamTimeoutError, anything else as AbortError. */
export function abortError (signal: AbortSignal): NetError {
  const reason: unknown = signal.reason
  if (reason instanceof NetError) {
    return reason
  }
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new StreamTimeoutError(-1, { cause: reason })
  }
  return new AbortError(undefined, { cause: reason })
}

/** Throw the typed error if the signal has fired. */
export function throwIfAborted (signal?: AbortSignal): void {
  if (signal?.aborted === true) {
    throw abortError(signal)
  }
}

/** Minimal typed view of an event target, so the waiter can take a libp2p stream. */
export interface EventSource<E extends string> {
  addEventListener: (type: E, listener: () => void) => void
  removeEventListener: (type: E, listener: () => void) => void
}

/**
 * Resolve on the first of `types`, or after `pollMs` if given; reject with the
 * typed error if the signal fires. It never rejects on a stream event: callers
 * re-check the stream's state in a loop.
 */
export async function waitForEvent<E extends string> (target: EventSource<E>, types: readonly E[], signal?: AbortSignal, pollMs?: number): Promise<void> {
  throwIfAborted(signal)
  await new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const cleanup = (): void => {
      for (const type of types) target.removeEventListener(type, onEvent)
      signal?.removeEventListener('abort', onAbort)
      if (timer != null) clearTimeout(timer)
    }
    const onEvent = (): void => { cleanup(); resolve() }
    const onAbort = (): void => { cleanup(); reject(abortError(signal as AbortSignal)) }
    for (const type of types) target.addEventListener(type, onEvent)
    signal?.addEventListener('abort', onAbort, { once: true })
    if (pollMs != null) timer = setTimeout(onEvent, pollMs)
  })
}
