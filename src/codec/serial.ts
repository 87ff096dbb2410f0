/**
 * Runs async tasks one after another, in the order they are given. A task
 * given while nothing is queued or running starts at once (synchronously),
 * not a microtask later: on a pool call of under a millisecond that turn of
 * the microtask queue shows. Used for an arena's pool calls (arena/index.ts) and for
 * writing the pool's calls into its control block in id order (pool/worker-pool.ts).
 */
export class SerialQueue {
  /** Tasks queued or running. */
  private count = 0
  private tail: Promise<unknown> = Promise.resolve()

  /** Tasks queued or running. */
  get pending (): number {
    return this.count
  }

  /** Runs `task` after every task given before it has settled; its outcome is the task's. */
  async run<T> (task: () => Promise<T>): Promise<T> {
    const run = (this.count++ === 0 ? task() : this.tail.then(task)).finally(() => { this.count-- })
    this.tail = run.catch(() => {})
    return await run
  }
}
