/** Commands about the peer and the network: status, peers. */
import { capacityLine, formatBytes, plural, table, bar, percent } from '../render.js'
import type { StatusView } from '../../api/client.js'
import type { PeerView } from '../../api/routes-node.js'
import type { CommandContext } from '../context.js'
import type { Command } from 'commander'

function peerRows (peers: PeerView[]): string {
  return table(['peer', 'capacity', 'used', 'free', 'shards'], peers.map(p => [
    p.peerId,
    `${bar(p.usedBytes, p.capacityBytes, 16)} ${percent(p.usedBytes, p.capacityBytes)}`,
    `${formatBytes(p.usedBytes)} / ${formatBytes(p.capacityBytes)}`,
    formatBytes(p.freeBytes),
    String(p.shardCount)
  ]))
}

export function renderStatus (s: StatusView): string {
  const lines = [
    `this peer  ${s.peerId}`,
    ...s.addresses.map((a, i) => `${i === 0 ? 'addresses' : '         '}  ${a}`),
    `capacity   ${capacityLine(s.capacity.usedBytes, s.capacity.capacityBytes, s.capacity.freeBytes)}, ${plural(s.capacity.shardCount, 'shard')}`,
    `API        ${s.api ?? '?'} (shoal ${s.version}, ${s.dir})`,
    ''
  ]
  if (s.peers.length === 0) {
    lines.push('storage peers: none known yet (join a network with `shoal daemon --bootstrap <multiaddr>`)', '')
  } else {
    lines.push(`storage peers (${s.peers.length})`, peerRows(s.peers).trimEnd().replace(/^/gm, '  ') + '\n')
  }
  lines.push(`network    ${plural(s.network.peers, 'peer')}  ${capacityLine(s.network.usedBytes, s.network.capacityBytes, s.network.freeBytes)}, ${plural(s.network.shardCount, 'shard')}`)
  return lines.join('\n') + '\n'
}

export function registerNetworkCommands (program: Command, ctx: CommandContext): void {
  program.command('status')
    .description('show this peer (id, addresses, capacity), the known storage peers and the network total')
    .action(async (_opts, command: Command) => {
      ctx.globals(command)
      const status = await (await ctx.client()).status()
      if (ctx.json) await ctx.printJson(status)
      else await ctx.out(renderStatus(status))
    })

  program.command('peers')
    .description('list the storage peers this node knows, with their capacity')
    .action(async (_opts, command: Command) => {
      ctx.globals(command)
      const peers = await (await ctx.client()).peers()
      if (ctx.json) await ctx.printJson(peers)
      else if (peers.length === 0) await ctx.out('no storage peers known yet (join a network with `shoal daemon --bootstrap <multiaddr>`)\n')
      else await ctx.out(peerRows(peers))
    })
}
