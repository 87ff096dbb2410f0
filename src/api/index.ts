/**
 * The daemon's local control API: server, daemon lifecycle, data directory,
 * and the client the CLI uses. The client side (client.ts, data-dir
 * resolution, errors) loads no libp2p code; daemon.ts does.
 */
export { startDaemon, isLoopbackHost } from './daemon.js'
export type { Daemon, DaemonInit } from './daemon.js'
export { readApiInfo, apiInfoPath } from './daemon-info.js'
export type { ApiInfo } from './daemon-info.js'
export { createApiServer } from './server.js'
export type { ApiServer, ApiServerInit } from './server.js'
export { ApiClient, connect } from './client.js'
export type { ApiClientInit, ClientPutOptions, Download, StatusView, VerifyResult, RepairResult, RemoveResult, TrackResult, PutAnswer } from './client.js'
export { resolveDir } from './dir.js'
export { initDataDir } from './data-dir.js'
export { loadConfig, validateConfig, defaultConfig, checkSettings } from './config.js'
export type { ShoalConfig, ApiConfig, ConfigOverrides } from './config.js'
export { FileIndex } from './file-index.js'
export type { FileEntry } from './file-index.js'
export { acquireLock } from './lock.js'
export { parseBytes } from './bytes.js'
export * from './errors.js'
