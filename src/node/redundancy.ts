/** Turns put options into (k, m). */

import { InvalidShardCountsError } from '../codec/errors.js'
import { checkShardCounts } from '../codec/validate.js'
import { DEFAULT_PRESET, PRESETS } from './constants.js'
import { InvalidOptionError } from './errors.js'
import type { PresetName } from './constants.js'

export interface RedundancyOptions {
  /** Data shards k; with parityShards, overrides the preset. */
  dataShards?: number
  /** Parity shards m. */
  parityShards?: number
  /** minimal 2-of-3, personal 3-of-5 (default), federation 5-of-9, paranoid 7-of-15. */
  preset?: PresetName
}

export function resolveRedundancy (options: RedundancyOptions): { dataShards: number, parityShards: number } {
  if (options.dataShards !== undefined || options.parityShards !== undefined) {
    if (options.dataShards === undefined || options.parityShards === undefined) {
      throw new InvalidOptionError('give both dataShards and parityShards, or a preset')
    }
    try {
      checkShardCounts(options.dataShards, options.parityShards)
    } catch (err) {
      if (err instanceof InvalidShardCountsError) throw new InvalidOptionError(err.message, { cause: err })
      throw err
    }
    return { dataShards: options.dataShards, parityShards: options.parityShards }
  }
  const name = options.preset ?? DEFAULT_PRESET
  if (!Object.hasOwn(PRESETS, name)) {
    throw new InvalidOptionError(`unknown preset ${JSON.stringify(name)}: use ${Object.keys(PRESETS).join(', ')}`)
  }
  const [dataShards, parityShards] = PRESETS[name]
  return { dataShards, parityShards }
}
