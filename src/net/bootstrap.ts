/**
 * Dial a fixed list of multiaddrs once the node has started, so the DHT finds
 * its first peers. @libp2p/bootstrap is not installed (and would treat the
 * list as discovery hints rather than dials); this is a few lines.
 *
 * Dials run in the background: `start()` does not wait for them (a bootstrap
 * peer being down must not stall a node). `whenDialed()` waits for the round.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { DEFAULT_BOOTSTRAP_DIAL_TIMEOUT_MS } from './constants.js'
import { InvalidArgumentError } from './errors.js'
import type { AbortOptions, ComponentLogger, Connection, Logger, Startable } from '@libp2p/interface'

export interface BootstrapInit {
  /** Multiaddrs to dial at start, each with a /p2p/<peer id> suffix ideally. Default none. */
  list?: Array<string | Multiaddr>
  /** Limit for each dial. Default DEFAULT_BOOTSTRAP_DIAL_TIMEOUT_MS (10 s). */
  dialTimeoutMs?: number
}

export interface BootstrapComponents {
  connectionManager: { openConnection: (peer: Multiaddr, options?: AbortOptions) => Promise<Connection> }
  logger: ComponentLogger
}

export interface BootstrapResult {
  /** Addresses that gave a connection. */
  connected: Multiaddr[]
  /** Addresses that did not, with the error. */
  failed: Array<{ address: Multiaddr, error: Error }>
}

export class Bootstrap implements Startable {
  readonly [Symbol.toStringTag] = 'shoal:net:bootstrap'
  readonly list: Multiaddr[]
  readonly #components: BootstrapComponents
  readonly #dialTimeoutMs: number
  readonly #log: Logger
  #controller?: AbortController
  #round: Promise<BootstrapResult> = Promise.resolve({ connected: [], failed: [] })

  constructor (components: BootstrapComponents, init: BootstrapInit = {}) {
    this.#components = components
    this.#log = components.logger.forComponent('shoal:net:bootstrap')
    this.#dialTimeoutMs = init.dialTimeoutMs ?? DEFAULT_BOOTSTRAP_DIAL_TIMEOUT_MS
    this.list = (init.list ?? []).map(address => {
      try {
        return typeof address === 'string' ? multiaddr(address) : address
      } catch (err) {
        throw new InvalidArgumentError(`invalid bootstrap address ${String(address)}`, { cause: err })
      }
    })
  }

  start (): void {
    this.#controller = new AbortController()
  }

  afterStart (): void {
    if (this.list.length > 0) {
      void this.dialAll()
    }
  }

  stop (): void {
    this.#controller?.abort()
  }

  /** The current round of dials (the one started by `start()`, or the last `dialAll()`). Never rejects. */
  async whenDialed (): Promise<BootstrapResult> {
    return await this.#round
  }

  /** Dial every address now, in parallel. Never rejects: failures are in the result and the log. */
  async dialAll (options: AbortOptions = {}): Promise<BootstrapResult> {
    const result: BootstrapResult = { connected: [], failed: [] }
    const stopSignal = this.#controller?.signal
    this.#round = Promise.all(this.list.map(async address => {
      const signals = [AbortSignal.timeout(this.#dialTimeoutMs)]
      if (stopSignal != null) signals.push(stopSignal)
      if (options.signal != null) signals.push(options.signal)
      try {
        await this.#components.connectionManager.openConnection(address, { signal: AbortSignal.any(signals) })
        result.connected.push(address)
        this.#log('connected to bootstrap peer %a', address)
      } catch (err: any) {
        result.failed.push({ address, error: err })
        this.#log.error('could not dial bootstrap peer %a - %e', address, err)
      }
    })).then(() => result)
    return await this.#round
  }
}

/** libp2p service factory: `services: { bootstrap: bootstrap({ list }) }`. */
export function bootstrap (init: BootstrapInit = {}): (components: BootstrapComponents) => Bootstrap {
  return (components) => new Bootstrap(components, init)
}
