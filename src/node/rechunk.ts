/**
 * Cuts a byte stream into pieces of exactly `size` bytes (the last one shorter)
 * and says which piece is the last, looking one piece ahead. An empty stream
 * yields one empty, last piece. Memory: at most one piece plus one input chunk.
 *
 * With `recycle`, the pieces live in two buffers used in turn, so a piece is
 * valid only until the next one is requested and no piece-sized buffer is
 * allocated per piece: for consumers done with a piece before they ask for
 * the next (encryption: WebCrypto copies its input when called).
 */

export interface Piece {
  bytes: Uint8Array
  last: boolean
}

export async function * rechunk (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, signal?: AbortSignal, options: { recycle?: boolean } = {}): AsyncGenerator<Piece> {
  let held: Uint8Array | null = null // a full piece waiting to learn whether it is the last
  let spare: Uint8Array | null = null // with recycle: the buffer of the piece last yielded, free again
  let buf: Uint8Array = new Uint8Array(size)
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
        if (held !== null) {
          yield { bytes: held, last: false }
          if (options.recycle === true) spare = held // the consumer is done with it
        }
        held = buf
        buf = spare ?? new Uint8Array(size)
        spare = null
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
