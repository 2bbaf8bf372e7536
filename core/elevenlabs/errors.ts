import { UpstreamError } from '../errors.js';

/** What an upstream error body says, whichever of its three shapes it came in. */
export interface UpstreamErrorInfo {
  /** The legacy `detail.status` or current `detail.code`; `validation` for the 422 list shape. */
  code: string | undefined;
  /** Both names the body carries (current bodies have `code` and a legacy `status`). */
  codes: string[];
  message: string | undefined;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Reads the legacy `{detail:{status,message}}`, the current
 * `{detail:{type,code,status,message,request_id}}` and the FastAPI `{detail:[{loc,msg}]}` shapes.
 */
export function parseUpstreamErrorBody(body: unknown): UpstreamErrorInfo {
  const detail = asRecord(body)?.['detail'];
  if (Array.isArray(detail)) {
    const messages = detail
      .map((item) => {
        const record = asRecord(item);
        const loc = Array.isArray(record?.['loc']) ? (record['loc'] as unknown[]).filter((part) => part !== 'body').join('.') : '';
        const msg = typeof record?.['msg'] === 'string' ? record['msg'] : 'invalid';
        return loc ? `${loc}: ${msg}` : msg;
      })
      .slice(0, 5);
    return { code: 'validation', codes: ['validation'], message: messages.join('; ') };
  }
  const record = asRecord(detail);
  if (record) {
    const codes = [record['code'], record['status']].filter((value): value is string => typeof value === 'string');
    const message = typeof record['message'] === 'string' ? record['message'] : undefined;
    return { code: codes[0], codes, message };
  }
  if (typeof detail === 'string') return { code: undefined, codes: [], message: detail };
  return { code: undefined, codes: [], message: undefined };
}

const AUTH_CODES = new Set(['invalid_api_key', 'needs_authorization', 'unauthorized', 'detected_unusual_activity', 'invalid_authorization_header']);
const QUOTA_CODES = new Set(['quota_exceeded', 'insufficient_credits', 'payment_required']);
const BUSY_CODES = new Set(['system_busy', 'too_many_concurrent_requests', 'concurrent_limit_exceeded', 'rate_limit_exceeded']);
const VOICE_CODES = new Set(['voice_not_found', 'voice_does_not_exist']);

/**
 * Maps an upstream error response to the error a Jessica client sees. The upstream message is
 * only passed on where it describes the caller's own input (validation, unknown voice); it
 * never contains the key.
 */
export function upstreamErrorFor(status: number, body: unknown, retryAfterSeconds?: number): UpstreamError {
  const info = parseUpstreamErrorBody(body);
  const has = (set: Set<string>) => info.codes.some((code) => set.has(code));
  const base = { upstreamStatus: status, upstreamCode: info.code };
  if (has(QUOTA_CODES) || status === 402) {
    return new UpstreamError('upstream_quota_exceeded', 'The ElevenLabs account is out of credits.', { ...base, retryable: false });
  }
  if (status === 401 || status === 403 || has(AUTH_CODES)) {
    const message =
      info.code === 'detected_unusual_activity'
        ? 'ElevenLabs blocked this account for unusual activity.'
        : 'ElevenLabs rejected the configured API key.';
    return new UpstreamError('upstream_auth_failed', message, { ...base, retryable: false });
  }
  if (has(VOICE_CODES)) {
    return new UpstreamError('unknown_voice', 'ElevenLabs does not know this voice.', { ...base, retryable: false });
  }
  if (status === 429 || has(BUSY_CODES)) {
    const init = { ...base, retryable: true, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
    return new UpstreamError('upstream_busy', 'ElevenLabs is busy; try again shortly.', init);
  }
  if (status === 400 || status === 422) {
    const detail = info.message ? `: ${info.message.slice(0, 300)}` : '';
    return new UpstreamError('invalid_request', `ElevenLabs refused the request${detail}`, { ...base, retryable: false });
  }
  if (status === 408 || status >= 500) {
    return new UpstreamError('upstream_error', `ElevenLabs failed (HTTP ${status}).`, { ...base, retryable: true });
  }
  return new UpstreamError('upstream_error', `ElevenLabs answered HTTP ${status}.`, { ...base, retryable: false });
}
