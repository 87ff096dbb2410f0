/**
 * Progress events of the node's operations, named area:operation:step. They are
 * emitted synchronously; a listener that throws is ignored.
 */

import type { CheckReport } from './check.js'

export type NodeProgressEvent =
  | { type: 'node:put:placement', detail: { holders: string[] } }
  | { type: 'node:put:stripe', detail: { stripe: number, bytes: number } }
  | { type: 'node:put:manifest', detail: { manifest: string } }
  | { type: 'node:get:manifest', detail: { manifest: string, size: number } }
  | { type: 'node:get:fetch-shard', detail: { stripe: number, shard: number, peer: string } }
  | { type: 'node:get:shard-failed', detail: { stripe: number, shard: number, peer: string, reason: string } }
  | { type: 'node:get:stripe', detail: { stripe: number, bytes: number } }
  | { type: 'node:repair:stripe', detail: { stripe: number, shards: number[] } }
  | { type: 'node:check:file', detail: CheckReport }

export interface ProgressOptions {
  signal?: AbortSignal
  onProgress?: (event: NodeProgressEvent) => void
}

export function emit (options: ProgressOptions, event: NodeProgressEvent): void {
  try {
    options.onProgress?.(event)
  } catch {
    // a throwing listener never breaks the operation
  }
}
