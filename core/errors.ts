/**
 * The one table of typed errors. Every failure a client can see has a stable snake_case code;
 * `httpStatusFor` maps a code to its HTTP status for every adapter (REST, Lambda, WebSocket
 * and MCP all speak these codes).
 */

export const ERROR_STATUS = {
  invalid_request: 400,
  empty_text: 400,
  text_too_long: 400,
  unknown_voice: 400,
  unknown_model: 400,
  unauthorized: 401,
  forbidden_origin: 403,
  forbidden_host: 403,
  not_found: 404,
  method_not_allowed: 405,
  no_listeners: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  upstream_auth_failed: 502,
  upstream_quota_exceeded: 502,
  upstream_error: 502,
  upstream_busy: 503,
  upstream_not_configured: 503,
  live_channel_unavailable: 503,
  draining: 503,
  settings_unavailable: 503,
  upstream_timeout: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}

/** Pure: the HTTP status of an error code. */
export function httpStatusFor(code: ErrorCode): number {
  return ERROR_STATUS[code];
}

export interface JessicaErrorOptions {
  cause?: unknown;
  /** Seconds a client should wait before retrying (rate limits, draining). */
  retryAfterSeconds?: number;
  /** Safe, client-visible extra fields (never upstream bodies or secrets). */
  details?: Record<string, unknown>;
}

/**
 * A failure with a stable code whose message is safe to show to a client.
 *
 * @example
 * throw new JessicaError('empty_text', 'There is nothing to say once markdown is removed.');
 */
export class JessicaError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: JessicaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JessicaError';
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
  }

  get status(): number {
    return httpStatusFor(this.code);
  }
}

/** A failure reported by (or on the way to) ElevenLabs. */
export class UpstreamError extends JessicaError {
  /** HTTP status the upstream answered with; 0 when it never answered. */
  readonly upstreamStatus: number;
  /** The upstream's own error code (`detail.status` / `detail.code`), for logs only. */
  readonly upstreamCode: string | undefined;
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    init: { upstreamStatus: number; upstreamCode?: string; retryable: boolean } & JessicaErrorOptions,
  ) {
    super(code, message, init);
    this.name = 'UpstreamError';
    this.upstreamStatus = init.upstreamStatus;
    this.upstreamCode = init.upstreamCode;
    this.retryable = init.retryable;
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string } & Record<string, unknown>;
}

/**
 * Converts anything thrown into the status and body a client sees. Unknown errors become a
 * generic 500: their details belong in the log, never in a response.
 */
export function errorToResponse(error: unknown): { status: number; body: ErrorBody; retryAfterSeconds?: number } {
  if (error instanceof JessicaError) {
    const result: { status: number; body: ErrorBody; retryAfterSeconds?: number } = {
      status: error.status,
      body: { error: { ...error.details, code: error.code, message: error.message } },
    };
    if (error.retryAfterSeconds !== undefined) result.retryAfterSeconds = error.retryAfterSeconds;
    return result;
  }
  return {
    status: 500,
    body: { error: { code: 'internal_error', message: 'Something went wrong on our side. It has been logged.' } },
  };
}

export function isJessicaError(error: unknown): error is JessicaError {
  return error instanceof JessicaError;
}
