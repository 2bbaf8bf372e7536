import { describe, expect, it } from 'vitest';
import { parseUpstreamErrorBody, upstreamErrorFor } from '../../../core/elevenlabs/errors.js';

describe('parseUpstreamErrorBody', () => {
  it('reads the legacy {detail:{status,message}} shape', () => {
    expect(parseUpstreamErrorBody({ detail: { status: 'voice_not_found', message: 'A voice was not found.' } })).toEqual({
      code: 'voice_not_found',
      codes: ['voice_not_found'],
      message: 'A voice was not found.',
    });
  });

  it('reads the current {detail:{type,code,status,message,request_id}} shape, code first', () => {
    const body = { detail: { type: 'authentication_error', code: 'unauthorized', status: 'invalid_api_key', message: 'Invalid API key', request_id: 'abc' } };
    expect(parseUpstreamErrorBody(body)).toEqual({ code: 'unauthorized', codes: ['unauthorized', 'invalid_api_key'], message: 'Invalid API key' });
  });

  it('reads the FastAPI {detail:[{loc,msg}]} shape, without the "body" prefix and at most five items', () => {
    const items = Array.from({ length: 7 }, (_, index) => ({ type: 'missing', loc: ['body', `field${index}`], msg: 'Field required' }));
    const info = parseUpstreamErrorBody({ detail: [{ loc: ['query', 'output_format'], msg: 'Input should be mp3' }, ...items] });
    expect(info.code).toBe('validation');
    expect(info.codes).toEqual(['validation']);
    expect(info.message?.split('; ')).toEqual([
      'query.output_format: Input should be mp3',
      'field0: Field required',
      'field1: Field required',
      'field2: Field required',
      'field3: Field required',
    ]);
  });

  it('copes with list items that have no loc or msg', () => {
    expect(parseUpstreamErrorBody({ detail: [{}, 'junk', { loc: ['body'], msg: 'Bad' }] }).message).toBe('invalid; invalid; Bad');
  });

  it('reads Starlette’s plain {detail:"Not Found"}', () => {
    expect(parseUpstreamErrorBody({ detail: 'Not Found' })).toEqual({ code: undefined, codes: [], message: 'Not Found' });
  });

  it('answers nothing for bodies of no known shape', () => {
    for (const body of [undefined, null, 'text', 42, [], {}, { detail: 5 }, { error: 'x' }]) {
      expect(parseUpstreamErrorBody(body)).toEqual({ code: undefined, codes: [], message: undefined });
    }
  });
});

describe('upstreamErrorFor', () => {
  const legacy = (status: string, message = 'm') => ({ detail: { status, message } });

  it('maps quota codes and 402 to upstream_quota_exceeded, whatever the status', () => {
    expect(upstreamErrorFor(401, legacy('quota_exceeded')).code).toBe('upstream_quota_exceeded');
    expect(upstreamErrorFor(400, legacy('insufficient_credits')).code).toBe('upstream_quota_exceeded');
    expect(upstreamErrorFor(402, undefined).code).toBe('upstream_quota_exceeded');
  });

  it('maps 401, 403 and auth codes to upstream_auth_failed, never retryable', () => {
    for (const error of [upstreamErrorFor(401, undefined), upstreamErrorFor(403, undefined), upstreamErrorFor(400, legacy('needs_authorization'))]) {
      expect(error.code).toBe('upstream_auth_failed');
      expect(error.retryable).toBe(false);
    }
  });

  it('maps voice codes to unknown_voice', () => {
    expect(upstreamErrorFor(404, legacy('voice_not_found')).code).toBe('unknown_voice');
    expect(upstreamErrorFor(400, legacy('voice_does_not_exist')).code).toBe('unknown_voice');
  });

  it('maps 429 and busy codes to a retryable upstream_busy carrying retry-after', () => {
    const error = upstreamErrorFor(429, legacy('system_busy'), 4);
    expect(error).toMatchObject({ code: 'upstream_busy', retryable: true, retryAfterSeconds: 4, upstreamStatus: 429, upstreamCode: 'system_busy' });
    expect(upstreamErrorFor(503, legacy('rate_limit_exceeded')).code).toBe('upstream_busy');
    expect(upstreamErrorFor(429, undefined).retryAfterSeconds).toBeUndefined();
  });

  it('maps other 400 and 422 to invalid_request with the upstream explanation, cut short', () => {
    const error = upstreamErrorFor(400, legacy('max_character_limit_exceeded', 'x'.repeat(1000)));
    expect(error.code).toBe('invalid_request');
    expect(error.message.length).toBeLessThan(400);
    expect(upstreamErrorFor(422, undefined).message).toBe('ElevenLabs refused the request');
  });

  it('maps 408 and 5xx to a retryable upstream_error, other statuses to a final one', () => {
    expect(upstreamErrorFor(500, undefined)).toMatchObject({ code: 'upstream_error', retryable: true });
    expect(upstreamErrorFor(408, undefined)).toMatchObject({ code: 'upstream_error', retryable: true });
    expect(upstreamErrorFor(404, { detail: 'Not Found' })).toMatchObject({ code: 'upstream_error', retryable: false });
  });
});
