/**
 * What each worker of a pool has been told of arenas: their memories, sent once
 * per worker, and the pass (the addresses of a call) each runs next, sent when
 * it changes; the pass gets an id the call records name. When an arena is
 * garbage collected on the calling thread, the workers that have its memory
 * are told to let it go.
 */
import { ring } from './control.js'
import type { PoolRequest } from './messages.js'
import type { Arena, ArenaPass } from '../arena/index.js'
import type { MessagePort } from 'node:worker_threads'

export class WorkerArenas {
  /** Per worker, the arenas it has the memory of, with the id of the pass it has for each. */
  private readonly known: Array<Map<number, number>>
  private readonly dropped = new FinalizationRegistry<number>((id) => { this.drop(id) })
  /** Pass ids, one per pass object an arena handed out (it reuses them while a call repeats). */
  private readonly passIds = new WeakMap<ArenaPass, number>()
  private nextPassId = 1

  /**
   * `ports`: the workers' ports (filled as they start); `closed` says whether
   * the pool has closed, after which nothing more is sent.
   */
  constructor (private readonly ports: MessagePort[], workers: number, private readonly control: Int32Array, private readonly closed: () => boolean) {
    this.known = Array.from({ length: workers }, () => new Map())
  }

  /** The id of `pass`, in 1 .. 2^31 - 1. */
  private passId (pass: ArenaPass): number {
    let id = this.passIds.get(pass)
    if (id === undefined) {
      id = this.nextPassId
      this.nextPassId = id >= 0x7FFFFFFF ? 1 : id + 1
      this.passIds.set(pass, id)
    }
    return id
  }

  /** Leaves on the ports of workers 0 .. workers - 1 what they lack of the arena and the pass; returns the pass's id. */
  introduce (arena: Arena, pass: ArenaPass, workers: number): number {
    const passId = this.passId(pass)
    for (let w = 0; w < workers; w++) {
      const had = this.known[w].get(arena.id)
      if (had === passId) continue
      const request: PoolRequest = { op: 'arena', arena: arena.id, passId, pass }
      if (had === undefined) {
        if (this.known.every(map => !map.has(arena.id))) this.dropped.register(arena, arena.id)
        request.memory = arena.memory
        request.layout = arena.layout
      }
      this.known[w].set(arena.id, passId)
      this.ports[w].postMessage(request)
    }
    return passId
  }

  /** An arena was collected here: the workers that have its memory let it go too. */
  private drop (arena: number): void {
    let told = false
    this.known.forEach((map, w) => {
      if (map.delete(arena) && !this.closed()) {
        this.ports[w].postMessage({ op: 'drop', arena } satisfies PoolRequest)
        told = true
      }
    })
    if (told) ring(this.control)
  }
}
