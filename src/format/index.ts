/** Bytes on disk and on the wire: CIDs, handles, manifests. */
export * from './cid.js'
export * from './handle.js'
export * from './manifest.js'
export * from './merkle.js'
export * from './errors.js'
export * from './constants.js'
