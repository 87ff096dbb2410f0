/** Shared by the API tests. */
import type { ShoalNode } from '../../src/node/index.js'

/**
 * Waits until the node's DHT has a peer: a node whose routing table is empty
 * waits in every DHT query (provide, findProviders) until that query times out.
 */
export async function waitForRoutingTable (node: ShoalNode, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const dht = node.libp2p.services.dht as unknown as { routingTable: { size: number } }
  while (dht.routingTable.size === 0) {
    if (Date.now() > deadline) throw new Error('the DHT routing table stayed empty')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}
