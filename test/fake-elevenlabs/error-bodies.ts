import { STATUS_CODES } from 'node:http';
import { randomTraceId } from './ids.js';

/**
 * The three error body shapes ElevenLabs sends, which a client has to handle side by side:
 * the legacy `{detail:{status,message}}`, the current `{detail:{type,code,message,status,request_id}}`
 * and FastAPI's 422 list. Every reply carries the trace id its `x-trace-id` header will echo.
 */

export interface ErrorReply {
  status: number;
  traceId: string;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ValidationItem {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

export interface CurrentDetail {
  type: string;
  code: string;
  status: string;
  message: string;
  param?: string;
}

export function legacyError(status: number, code: string, message: string): ErrorReply {
  return { status, traceId: randomTraceId(), body: { detail: { status: code, message } } };
}

/** In the current format `detail.request_id` equals the `x-trace-id` header. */
export function currentError(status: number, detail: CurrentDetail): ErrorReply {
  const traceId = randomTraceId();
  const { param, ...rest } = detail;
  const body = { detail: { ...rest, request_id: traceId, ...(param === undefined ? {} : { param }) } };
  return { status, traceId, body };
}

export function validationError(items: ValidationItem[]): ErrorReply {
  return { status: 422, traceId: randomTraceId(), body: { detail: items } };
}

/** Starlette's own replies for routing failures and unhandled errors: `{"detail":"Not Found"}`. */
export function plainError(status: number, headers?: Record<string, string>): ErrorReply {
  const reply: ErrorReply = { status, traceId: randomTraceId(), body: { detail: STATUS_CODES[status] ?? 'Error' } };
  if (headers) reply.headers = headers;
  return reply;
}

export function missingKey(): ErrorReply {
  return currentError(401, {
    type: 'authentication_error',
    code: 'unauthorized',
    status: 'needs_authorization',
    message: 'Neither authorization header nor xi-api-key received, please provide one.',
  });
}

export function invalidKey(): ErrorReply {
  return currentError(401, {
    type: 'authentication_error',
    code: 'unauthorized',
    status: 'invalid_api_key',
    message: 'Invalid API key',
  });
}

/** Seen live when an API key is sent as `Authorization: Bearer`; the message is paraphrased. */
export function invalidAuthorizationHeader(): ErrorReply {
  return currentError(401, {
    type: 'authentication_error',
    code: 'unauthorized',
    status: 'invalid_authorization_header',
    message: 'The authorization header is invalid. Send your API key in the xi-api-key header.',
  });
}

export function voiceNotFound(voiceId: string): ErrorReply {
  return legacyError(404, 'voice_not_found', `A voice with the voice_id ${voiceId} was not found.`);
}

export function maxCharacters(length: number, limit: number): ErrorReply {
  return legacyError(
    400,
    'max_character_limit_exceeded',
    `This request's text has ${length} characters and exceeds the character limit of ${limit} characters.`,
  );
}

export function quotaExceeded(limit: number, remaining: number, required: number): ErrorReply {
  return legacyError(
    401,
    'quota_exceeded',
    `This request exceeds your quota of ${limit}. You have ${remaining} credits remaining, while ${required} credits are required for this request.`,
  );
}

export function unusualActivity(): ErrorReply {
  return legacyError(
    401,
    'detected_unusual_activity',
    'Unusual activity detected. Free Tier usage disabled. If you are using a proxy/VPN you might need to purchase a Paid Plan to not trigger our abuse detectors. Free Tier only works if users do not abuse it, for example by creating multiple free accounts.',
  );
}

export function systemBusy(): ErrorReply {
  return legacyError(
    429,
    'system_busy',
    'We are currently experiencing a high volume of requests. Your request could not be processed right now; please try again shortly.',
  );
}

export function tooManyConcurrent(maximum: number): ErrorReply {
  return currentError(429, {
    type: 'rate_limit_error',
    code: 'concurrent_limit_exceeded',
    status: 'too_many_concurrent_requests',
    message: `Too many concurrent requests. Your current subscription is associated with a maximum of ${maximum} concurrent requests (running in parallel). Please upgrade your subscription or contact sales if you want to increase this limit.`,
  });
}

/** A 400 in the current format; `code` and `status` agree, as in the documented example. */
export function invalidParameters(param: string, message: string): ErrorReply {
  return currentError(400, { type: 'validation_error', code: 'invalid_parameters', status: 'invalid_parameters', message, param });
}
