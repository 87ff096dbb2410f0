/** What the API's routes share. */
import type { FileIndex } from './file-index.js'
import type { Operations } from './operations.js'
import type { ShoalNode } from '../node/index.js'
import type { Logger } from '@libp2p/interface'

export interface ApiContext {
  node: ShoalNode
  index: FileIndex
  operations: Operations
  log: Logger
  version: string
  dir: string
  /** The API's own address once it listens. */
  apiUrl: () => string | undefined
}
