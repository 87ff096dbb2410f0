/**
 * A small seeded PRNG (xorshift32) so that any failing test replays exactly.
 */
export interface Prng {
  /** Uniform 32-bit unsigned integer. */
  next: () => number
  /** Uniform byte. */
  byte: () => number
  /** Uniform integer in [0, n). */
  int: (n: number) => number
  /** Fills and returns `bytes`. */
  fill: (bytes: Uint8Array) => Uint8Array
  /** `n` pseudo-random bytes. */
  bytes: (n: number) => Uint8Array
}

export function prng (seed: number): Prng {
  let state = (seed >>> 0) || 0x9E3779B9
  const next = (): number => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state
  }
  const fill = (bytes: Uint8Array): Uint8Array => {
    let i = 0
    for (; i + 4 <= bytes.length; i += 4) {
      const v = next()
      bytes[i] = v; bytes[i + 1] = v >>> 8; bytes[i + 2] = v >>> 16; bytes[i + 3] = v >>> 24
    }
    for (; i < bytes.length; i++) bytes[i] = next()
    return bytes
  }
  return {
    next,
    byte: () => next() & 0xFF,
    int: (n) => next() % n,
    fill,
    bytes: (n) => fill(new Uint8Array(n))
  }
}
