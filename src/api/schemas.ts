/** JSON schemas of the API's requests (fastify validates every route with one). */
import { PRESETS } from '../node/index.js'
import { MAX_NAME_CHARS, MAX_PARAM_CHARS } from './constants.js'

const handle = { type: 'string', minLength: 1, maxLength: MAX_PARAM_CHARS } as const

/** A route that takes no input: nothing in the query string. */
export const noInput = {
  querystring: { type: 'object', additionalProperties: false, properties: {} }
} as const

/** `{ "handle": "shoal:..." }` */
export const handleBody = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['handle'],
    properties: { handle }
  }
} as const

export const handleParams = {
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['handle'],
    properties: { handle }
  },
  querystring: { type: 'object', additionalProperties: false, properties: {} }
} as const

export interface PutQuery {
  preset?: keyof typeof PRESETS
  dataShards?: number
  parityShards?: number
  encrypt?: boolean
  name?: string
  allowColocation?: boolean
}

/** PUT /v1/files: options in the query string, the bytes as the body. */
export const putQuery = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      preset: { type: 'string', enum: Object.keys(PRESETS) },
      dataShards: { type: 'integer', minimum: 1, maximum: 256 },
      parityShards: { type: 'integer', minimum: 0, maximum: 256 },
      encrypt: { type: 'boolean' },
      name: { type: 'string', maxLength: MAX_NAME_CHARS },
      allowColocation: { type: 'boolean' }
    }
  }
} as const
