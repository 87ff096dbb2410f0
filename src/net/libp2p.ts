/**
 * Assemble shoal's libp2p v3 node: TCP, noise, yamux (stream windows sized so
 * that paused streams are not reset: stack.md trap 6), identify, ping (raised
 * stream limits), kad-dht on its own protocol in server mode keeping private
 * addresses (loopback and LAN networks work), a connection manager that lets
 * loopback through its rate limits, an optional private network, and a
 * bootstrap list dialled at start.
 */
import { randomUUID } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { identify, type Identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, type KadDHT, type KadDHTInit } from '@libp2p/kad-dht'
import { ping, type Ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { memory } from '@libp2p/memory'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type ConnectionManagerInit, type ConnectionMonitorInit, type Libp2p, type ServiceFactoryMap } from 'libp2p'
import { bootstrap, type Bootstrap } from './bootstrap.js'
import {
  DEFAULT_LISTEN_ADDRESSES, DEFAULT_QUERY_SELF_INTERVAL_MS, KAD_PROTOCOL, PING_MAX_STREAMS,
  YAMUX_MAX_READ_BUFFER_BYTES, YAMUX_MAX_STREAM_WINDOW_BYTES
} from './constants.js'
import { parseSwarmKey } from './swarm-key.js'
import type { ComponentLogger, ConnectionGater, PrivateKey, ServiceMap } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Datastore } from 'interface-datastore'

/** Networks whose inbound connections skip the per-host rate limit and pending-connection cap. */
export const LOOPBACK_ALLOW: readonly string[] = ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128']

export interface ShoalServices {
  identify: Identify
  ping: Ping
  dht: KadDHT
  bootstrap: Bootstrap
}

export interface ShoalLibp2pInit<S extends ServiceMap = Record<string, unknown>> {
  /** Node identity (see loadOrCreateIdentity). Default: a new random key, so a new PeerId each run. */
  privateKey?: PrivateKey
  /**
   * Datastore for the peer store and DHT records (e.g. a LevelDatastore, opened
   * by the caller, closed by the caller after `stop()`). Default: in memory.
   */
  datastore?: Datastore
  /** Listen addresses. Default ['/ip4/127.0.0.1/tcp/0'] (with transport 'memory': a fresh /memory/<id>). */
  listen?: string[]
  /**
   * 'tcp' (default), or 'memory': @libp2p/memory, connections between nodes of
   * this process only, with no sockets (noise and yamux still run). For
   * simulations too large for the process's file descriptors.
   */
  transport?: 'tcp' | 'memory'
  /** Addresses to announce instead of the listen addresses. Default: the listen addresses. */
  announce?: string[]
  /** Multiaddrs (with /p2p/<id>) dialled once the node has started. Default none. */
  bootstrap?: Array<string | Multiaddr>
  /** Limit for each bootstrap dial in ms. Default 10 000. */
  bootstrapDialTimeoutMs?: number
  /** Private network: the encoded swarm key (createSwarmKey / loadSwarmKey). Peers with another key or none are refused. Default: public. */
  swarmKey?: Uint8Array
  /** Interval of the DHT self-query in ms. Default 5 minutes; tests use ~1 s. */
  querySelfIntervalMs?: number
  /** Extra kad-dht options, merged over shoal's (protocol, clientMode, peerInfoMapper, querySelfInterval). Register `validators` and `selectors` for custom record keys. */
  dht?: Partial<KadDHTInit>
  /** Connection manager options merged over shoal's; `allow` is added to LOOPBACK_ALLOW. */
  connectionManager?: ConnectionManagerInit
  /** Extra services, merged in (may not reuse identify, ping, dht, bootstrap). */
  services?: ServiceFactoryMap<S>
  /** Logger for all components (tests may pass a prefixed one). Default: libp2p's `debug` logger. */
  logger?: ComponentLogger
  /**
   * libp2p's connection monitor (a ping on every connection every 10 s; a
   * connection whose ping fails is closed). `{ enabled: false }` turns it off:
   * the simulation does, where a hundred peers in one process would spend a
   * core on pings. Default: libp2p's.
   */
  connectionMonitor?: ConnectionMonitorInit
  /** Refuses dials and connections by peer or address (libp2p's ConnectionGater). Default: allow all. */
  connectionGater?: ConnectionGater
  /** Start the node before returning. Default true. */
  start?: boolean
}

export type ShoalLibp2p<S extends ServiceMap = Record<string, unknown>> = Libp2p<ShoalServices & S>

/** Create (and by default start) a libp2p node configured for shoal. */
export async function createShoalLibp2p<S extends ServiceMap = Record<string, unknown>> (init: ShoalLibp2pInit<S> = {}): Promise<ShoalLibp2p<S>> {
  const swarmKey = init.swarmKey == null ? undefined : parseSwarmKey(init.swarmKey)
  const services = {
    ...(init.services ?? {}),
    identify: identify(),
    ping: ping({ maxInboundStreams: PING_MAX_STREAMS, maxOutboundStreams: PING_MAX_STREAMS }),
    dht: kadDHT({
      querySelfInterval: init.querySelfIntervalMs ?? DEFAULT_QUERY_SELF_INTERVAL_MS,
      ...init.dht,
      protocol: init.dht?.protocol ?? KAD_PROTOCOL,
      clientMode: init.dht?.clientMode ?? false,
      peerInfoMapper: init.dht?.peerInfoMapper ?? passthroughMapper
    }),
    bootstrap: bootstrap({ list: init.bootstrap, dialTimeoutMs: init.bootstrapDialTimeoutMs })
  } as unknown as ServiceFactoryMap<ShoalServices & S>

  return await createLibp2p<ShoalServices & S>({
    privateKey: init.privateKey,
    datastore: init.datastore,
    logger: init.logger,
    start: init.start ?? true,
    addresses: {
      listen: init.listen ?? (init.transport === 'memory' ? [`/memory/${randomUUID()}`] : [...DEFAULT_LISTEN_ADDRESSES]),
      announce: init.announce
    },
    transports: [init.transport === 'memory' ? memory() : tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({
      streamOptions: {
        maxStreamWindowSize: YAMUX_MAX_STREAM_WINDOW_BYTES,
        maxReadBufferLength: YAMUX_MAX_READ_BUFFER_BYTES
      }
    })],
    connectionGater: init.connectionGater,
    connectionMonitor: init.connectionMonitor,
    connectionProtector: swarmKey == null ? undefined : preSharedKey({ psk: swarmKey }),
    connectionManager: {
      ...init.connectionManager,
      allow: [...LOOPBACK_ALLOW, ...(init.connectionManager?.allow ?? [])]
    },
    services
  })
}
