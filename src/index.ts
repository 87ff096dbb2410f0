/**
 * shoal: peer-to-peer erasure-coded storage.
 * The package entry point; the polyfill must load before any libp2p code.
 */
import './polyfill.js'

export * from './codec/index.js'
export * from './node/index.js'
export { createSwarmKey, loadSwarmKey, saveSwarmKey } from './net/swarm-key.js'
export * from './sim/index.js'
