/**
 * Errors to HTTP answers: a status and `{ error: { name, message, ...fields } }`.
 * Typed errors keep their name and their context fields (needed, found,
 * tokenPath, manifest...); fastify's own errors (bad JSON, oversized bodies,
 * schema violations) get names of their own.
 */

export interface ErrorBody {
  error: { name: string, message: string, [field: string]: unknown }
}

/** Status of each typed error, by name. */
const STATUS: Record<string, number> = {
  UnauthorizedError: 401,
  InvalidHandleError: 400,
  InvalidOptionError: 400,
  InvalidCidError: 400,
  UnsupportedCidError: 400,
  MissingKeyError: 400,
  ValidationError: 400,
  InvalidJsonError: 400,
  ManifestNotFoundError: 404,
  FileNotIndexedError: 404,
  FileNotTrackedError: 404,
  RouteNotFoundError: 404,
  BodyTooLargeError: 413,
  UnsupportedMediaTypeError: 415,
  InvalidManifestError: 502,
  AuthenticationError: 502,
  UnrecoverableFileError: 409,
  NotEnoughPeersError: 503,
  FileUnavailableError: 503,
  NodeNotStartedError: 503,
  ShuttingDownError: 503,
  QuotaExceededError: 507,
  AbortError: 499
}

/** Fastify error codes to our names. */
const FASTIFY: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BodyTooLargeError',
  FST_ERR_CTP_INVALID_JSON_BODY: 'InvalidJsonError',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'InvalidJsonError',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'InvalidJsonError',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UnsupportedMediaTypeError',
  FST_ERR_VALIDATION: 'ValidationError'
}

/** Fields never copied into an answer. */
const HIDDEN = new Set(['name', 'message', 'stack', 'cause', 'code', 'statusCode', 'validation', 'validationContext', 'serialization'])

function isPlain (value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value) ||
    (Array.isArray(value) && value.every(v => ['string', 'number', 'boolean'].includes(typeof v)))
}

export function toHttpError (err: unknown): { status: number, body: ErrorBody } {
  const e = (err instanceof Error ? err : new Error(String(err))) as Error & Record<string, unknown>
  const code = typeof e.code === 'string' ? e.code : undefined
  let name = (code !== undefined ? FASTIFY[code] : undefined) ?? e.name
  if (Array.isArray(e.validation)) name = 'ValidationError'
  let status = STATUS[name]
  if (status === undefined) {
    // other fastify errors carry their own 4xx status; anything else is ours to own
    const given = typeof e.statusCode === 'number' ? e.statusCode : 500
    status = given >= 400 && given < 600 ? given : 500
  }
  const body: ErrorBody = { error: { name, message: e.message } }
  for (const [key, value] of Object.entries(e)) {
    if (!HIDDEN.has(key) && isPlain(value)) body.error[key] = value
  }
  if (e.name === 'AbortError' && name === 'AbortError') body.error.message = 'the operation was cancelled'
  return { status, body }
}
