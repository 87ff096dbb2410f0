/**
 * A mutex per key (per shard CID): a put, get, delete or scrub step of one shard
 * runs alone, while different shards run in parallel. Waiting honours an
 * AbortSignal. Release hands the lock straight to the next waiter, in FIFO order.
 */
import { abortError, throwIfAborted } from './utils.js'

export type Release = () => void

export class KeyedLock {
  /** Keys held, each with the resolvers of the callers waiting for it. */
  private readonly held = new Map<string, Array<() => void>>()

  async acquire (key: string, signal?: AbortSignal): Promise<Release> {
    throwIfAborted(signal)
    const waiters = this.held.get(key)
    if (waiters == null) {
      this.held.set(key, [])
      return this.releaser(key)
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = waiters.indexOf(wake)
        if (at >= 0) waiters.splice(at, 1)
        reject(abortError(signal as AbortSignal))
      }
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      waiters.push(wake)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    return this.releaser(key)
  }

  /** Runs `fn` holding the lock of `key`. */
  async with<T> (key: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key, signal)
    try {
      return await fn()
    } finally {
      release()
    }
  }

  private releaser (key: string): Release {
    let done = false
    return () => {
      if (done) return
      done = true
      const waiters = this.held.get(key)
      const next = waiters?.shift()
      if (next != null) next()
      else this.held.delete(key)
    }
  }
}
