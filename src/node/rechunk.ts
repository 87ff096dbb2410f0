/**
 * Cuts a byte stream into pieces of exactly `size` bytes (the last one shorter)
 * and says which piece is the last, looking one piece ahead. An empty stream
 * yields one empty, last piece. Memory: at most one piece plus one input chunk.
 */

export interface Piece {
  bytes: Uint8Array
  last: boolean
}

export async function * rechunk (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, signal?: AbortSignal): AsyncGenerator<Piece> {
  let held: Uint8Array | null = null // a full piece waiting to learn whether it is the last
  let buf = new Uint8Array(size)
  let fill = 0
  for await (const chunk of source) {
    signal?.throwIfAborted()
    if (!(chunk instanceof Uint8Array)) throw new TypeError('byte streams yield Uint8Arrays')
    let off = 0
    while (off < chunk.length) {
      const take = Math.min(size - fill, chunk.length - off)
      buf.set(chunk.subarray(off, off + take), fill)
      fill += take
      off += take
      if (fill === size) {
        if (held !== null) yield { bytes: held, last: false }
        held = buf
        buf = new Uint8Array(size)
        fill = 0
      }
    }
  }
  if (fill > 0) {
    if (held !== null) yield { bytes: held, last: false }
    yield { bytes: buf.subarray(0, fill), last: true }
  } else {
    yield { bytes: held ?? new Uint8Array(0), last: true }
  }
}
