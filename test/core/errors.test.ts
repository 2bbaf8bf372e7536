import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, errorToResponse, httpStatusFor, isErrorCode, isJessicaError, JessicaError, UpstreamError, type ErrorCode } from '../../core/errors.js';

/** The required codes and statuses, as SPEC §4 lists them. */
const SPEC_TABLE: Record<string, number> = {
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
  upstream_auth_failed: 502,
  upstream_quota_exceeded: 502,
  upstream_error: 502,
  upstream_timeout: 504,
  upstream_busy: 503,
  upstream_not_configured: 503,
  live_channel_unavailable: 503,
};

describe('httpStatusFor', () => {
  for (const [code, status] of Object.entries(SPEC_TABLE)) {
    it(`maps ${code} to ${status} as SPEC §4 requires`, () => {
      expect(httpStatusFor(code as ErrorCode)).toBe(status);
    });
  }

  it('gives every extra code a server-side or client-side status that matches its meaning', () => {
    const extras = Object.keys(ERROR_STATUS).filter((code) => !(code in SPEC_TABLE));
    expect(extras.sort()).toEqual(['draining', 'internal_error', 'settings_unavailable']);
    expect(httpStatusFor('internal_error')).toBe(500);
    expect(httpStatusFor('draining')).toBe(503);
    expect(httpStatusFor('settings_unavailable')).toBe(503);
  });

  it('recognises its own codes only', () => {
    for (const code of Object.keys(ERROR_STATUS)) expect(isErrorCode(code)).toBe(true);
    for (const value of ['toString', '__proto__', 'NOT_FOUND', '', 404, undefined, null]) expect(isErrorCode(value)).toBe(false);
  });

  it('uses snake_case codes only', () => {
    for (const code of Object.keys(ERROR_STATUS)) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });
});

describe('JessicaError', () => {
  it('carries its code, status, retry hint, details and cause', () => {
    const cause = new Error('root');
    const error = new JessicaError('rate_limited', 'Slow down.', { retryAfterSeconds: 7, details: { limit: 3 }, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('JessicaError');
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(7);
    expect(error.details).toEqual({ limit: 3 });
    expect(error.cause).toBe(cause);
    expect(isJessicaError(error)).toBe(true);
    expect(isJessicaError(cause)).toBe(false);
  });

  it('has no cause when none is given', () => {
    expect('cause' in new JessicaError('not_found', 'nope')).toBe(false);
  });

  it('is the base of UpstreamError, which keeps the upstream status and code for logs', () => {
    const error = new UpstreamError('upstream_busy', 'Busy.', { upstreamStatus: 429, upstreamCode: 'system_busy', retryable: true, retryAfterSeconds: 2 });
    expect(error).toBeInstanceOf(JessicaError);
    expect(error.name).toBe('UpstreamError');
    expect(error).toMatchObject({ code: 'upstream_busy', status: 503, upstreamStatus: 429, upstreamCode: 'system_busy', retryable: true, retryAfterSeconds: 2 });
  });
});

describe('errorToResponse', () => {
  it('turns a JessicaError into its status and the SPEC body, details included', () => {
    const response = errorToResponse(new JessicaError('text_too_long', 'Too long.', { details: { limit: 10 } }));
    expect(response).toEqual({ status: 400, body: { error: { code: 'text_too_long', message: 'Too long.', limit: 10 } } });
  });

  it('never lets details overwrite the code or message', () => {
    const response = errorToResponse(new JessicaError('not_found', 'Missing.', { details: { code: 'sneaky', message: 'overwritten' } }));
    expect(response.body.error).toEqual({ code: 'not_found', message: 'Missing.' });
  });

  it('passes the retry hint on', () => {
    expect(errorToResponse(new JessicaError('draining', 'Bye.', { retryAfterSeconds: 5 })).retryAfterSeconds).toBe(5);
  });

  it('hides everything about an unknown error behind a generic 500', () => {
    const secret = 'password=hunter2 at /srv/app.js:12';
    for (const thrown of [new Error(secret), new TypeError(secret), secret, { message: secret }, undefined]) {
      const response = errorToResponse(thrown);
      expect(response.status).toBe(500);
      expect(response.body.error.code).toBe('internal_error');
      expect(JSON.stringify(response)).not.toContain('hunter2');
      expect(response).not.toHaveProperty('retryAfterSeconds');
    }
  });
});
