/**
 * The answers of one shard stream, in request order, while the work behind
 * them overlaps: the server reads the next request (and a store's body) while
 * earlier blocks are still being written or read from the store.
 *
 * Which requests may run at once: stores with stores, and reads (fetch, has)
 * with reads, at most MAX_PIPELINED_REQUESTS of them. Any other op, or a
 * change between the two groups, waits until every earlier request has been
 * answered, so a fetch sees the stores sent before it and a store sees the
 * delete before it. A failed answer write aborts the stream; later answers
 * are dropped.
 */
import { encodeMessage } from './shard-messages.js'
import { writeFrame, writeFrameAndBody } from './stream-io.js'
import type { ShardRequest, ShardResponse } from './shard-messages.js'
import type { Stream } from '@libp2p/interface'

/** Requests one stream may have in progress (read, not yet answered) at once. */
export const MAX_PIPELINED_REQUESTS = 8

/** What a request's work settles with: the answer header and, for a fetch, the body that follows it. */
export interface Answer {
  response: ShardResponse
  body?: Uint8Array
}

/** Work started for a request; `answer` must not reject (failures are answers with a status). */
export interface Work {
  answer: Promise<Answer>
}

/** Ops that may overlap share a group; undefined: runs alone. */
function groupOf (op: string): string | undefined {
  switch (op) {
    case 'store': return 'store'
    case 'fetch':
    case 'has': return 'read'
    default: return undefined
  }
}

export class AnswerQueue {
  private readonly stream: Stream
  private readonly timeoutMs: number
  /** Settles (never rejects) once every answer pushed so far has been written or given up. */
  private tail: Promise<void> = Promise.resolve()
  /** Unanswered requests, oldest first. */
  private readonly pending: Array<{ group?: string, done: Promise<void> }> = []
  private failed?: Error

  constructor (stream: Stream, timeoutMs: number) {
    this.stream = stream
    this.timeoutMs = timeoutMs
  }

  /**
   * Waits until `request` may start. `overBudget(size)` tells whether a store
   * of `size` bytes would pass the node's in-flight budget now: then the
   * stream's own earlier stores are let finish first, so a stream is refused
   * BUSY only for what other streams hold.
   */
  async admit (request: ShardRequest, overBudget: (size: number) => boolean): Promise<void> {
    this.throwIfFailed()
    const group = groupOf(request.op)
    if (this.pending.some(p => p.group === undefined || p.group !== group)) await this.settled()
    while (this.pending.length >= MAX_PIPELINED_REQUESTS) await this.pending[0].done
    if (request.op === 'store' && this.pending.length > 0 && overBudget(request.size)) await this.settled()
    this.throwIfFailed()
  }

  /** Queues the answer of `request`: written once its work is done and every earlier answer is out. */
  push (request: ShardRequest, work: Work): void {
    work.answer.catch(() => {}) // awaited below, in turn
    const written = this.tail.then(async () => {
      this.throwIfFailed()
      const { response, body } = await work.answer
      if (body === undefined) await writeFrame(this.stream, encodeMessage(response), { timeoutMs: this.timeoutMs })
      else await writeFrameAndBody(this.stream, encodeMessage(response), body, { timeoutMs: this.timeoutMs })
    })
    const done = written.then(() => { this.pending.shift() }, (err: Error) => {
      this.pending.shift()
      if (this.failed === undefined) {
        this.failed = err
        this.stream.abort(err)
      }
    })
    this.pending.push({ group: groupOf(request.op), done })
    this.tail = done
  }

  /** Every answer so far has been written or given up. */
  async settled (): Promise<void> {
    await this.tail
  }

  /** Every answer so far has been written; rejects if one could not be. */
  async drain (): Promise<void> {
    await this.tail
    this.throwIfFailed()
  }

  private throwIfFailed (): void {
    if (this.failed !== undefined) throw this.failed
  }
}
