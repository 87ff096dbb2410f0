/**
 * Where shards go: weighted rendezvous (highest random weight) hashing.
 *
 * Every candidate peer gets a score from a hash of (file id, peer id) and its
 * free capacity: score = -w / ln(u), u the hash mapped into (0, 1), w the free
 * bytes. The n best-scored distinct peers hold shards 0..n-1. The order is
 * deterministic for a file, spreads files evenly, favours peers in proportion
 * to their room, and moves few shards when peers come or go.
 */

import { createHash } from 'node:crypto'

export interface Candidate {
  peerId: string
  freeBytes: number
}

/** Maps sha256(fileId | peerId) to (0, 1). */
function unitHash (fileId: Uint8Array, peerId: string): number {
  const digest = createHash('sha256').update(fileId).update(peerId).digest()
  // 52 bits, so the value is exact in a double; +1 keeps it away from 0.
  const hi = digest.readUInt32BE(0) >>> 12
  const lo = digest.readUInt32BE(4)
  return (hi * 2 ** 32 + lo + 1) / (2 ** 52 + 2)
}

/**
 * Candidates with at least `neededBytes` free, best first. Ties (equal scores,
 * vanishingly rare) break on peer id so the order is total.
 */
export function rankCandidates (fileId: Uint8Array, candidates: Candidate[], neededBytes: number): Candidate[] {
  const seen = new Set<string>()
  const scored: Array<{ c: Candidate, score: number }> = []
  for (const c of candidates) {
    if (seen.has(c.peerId) || c.freeBytes < neededBytes) continue
    seen.add(c.peerId)
    const w = Math.max(1, c.freeBytes)
    scored.push({ c, score: -w / Math.log(unitHash(fileId, c.peerId)) })
  }
  scored.sort((a, b) => b.score - a.score || (a.c.peerId < b.c.peerId ? -1 : 1))
  return scored.map(s => s.c)
}
