/** Types the API shares with the node (type-only: importing this loads nothing). */
export type { FileStat, ShardStat, HolderStat, PutResult, PresetName, VerifyReport, RepairReport, DeleteReport } from '../node/index.js'
export type { CheckReport, CheckOutcome, AuditResult, AuditOutcome } from '../node/index.js'
export type { StoreStats } from '../store/types.js'
