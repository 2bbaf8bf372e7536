import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, parseJsonBody } from '../../../core/http/body.js';

function failure(...args: Parameters<typeof parseJsonBody>): unknown {
  try {
    parseJsonBody(...args);
  } catch (error) {
    return error;
  }
  throw new Error('expected parseJsonBody to throw');
}

describe('parseJsonBody', () => {
  it('parses JSON given as text or bytes, with any JSON content type', () => {
    expect(parseJsonBody('application/json', '{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonBody('Application/JSON; charset=utf-8', new TextEncoder().encode('[1,"é"]'))).toEqual([1, 'é']);
    expect(parseJsonBody('application/merge-patch+json', '{"b":true}')).toEqual({ b: true });
  });

  it('answers undefined for an empty body, whatever its type', () => {
    expect(parseJsonBody(undefined, undefined)).toBeUndefined();
    expect(parseJsonBody('text/plain', '')).toBeUndefined();
    expect(parseJsonBody('application/json', new Uint8Array(0))).toBeUndefined();
  });

  it('refuses a body over the limit with 413, counting bytes rather than characters', () => {
    expect(MAX_BODY_BYTES).toBe(256 * 1024);
    expect(failure('application/json', 'é'.repeat(6), 10)).toMatchObject({ code: 'payload_too_large', status: 413 });
    expect(parseJsonBody('application/json', '"é"', 4)).toBe('é');
  });

  it('refuses other content types with 415', () => {
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'json']) {
      expect(failure(type, '{"a":1}')).toMatchObject({ code: 'unsupported_media_type', status: 415 });
    }
  });

  it('refuses malformed JSON with 400 invalid_request', () => {
    expect(failure('application/json', '{"a":')).toMatchObject({ code: 'invalid_request', status: 400, message: 'The body is not valid JSON.' });
  });
});
