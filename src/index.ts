/**
 * shoal: peer-to-peer erasure-coded storage.
 * The package entry point; the polyfill must load before any libp2p code.
 */
import './polyfill.js'

export * from './codec/index.js'
