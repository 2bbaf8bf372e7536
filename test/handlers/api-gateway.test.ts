import { describe, expect, it } from 'vitest';
import { JessicaError } from '../../core/errors.js';
import { apiResponseToResult, errorResult, eventToApiRequest, pathBelowRoot } from '../../handlers/lib/api-gateway.js';
import { eventFor, functionUrlEvent, httpApiEvent } from './helpers.js';

async function* chunksOf(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

describe('pathBelowRoot', () => {
  it.each([
    ['/jessica/api/v1/tts', '/jessica', '/api/v1/tts'],
    ['/api/v1/tts', '/jessica', '/api/v1/tts'],
    ['/jessica', '/jessica', '/'],
    ['/jessicafoo/health', '/jessica', '/jessicafoo/health'],
    ['/health', '', '/health'],
    ['', '', '/'],
  ])('%s below %j is %s', (raw, root, expected) => {
    expect(pathBelowRoot(raw, root)).toBe(expected);
  });
});

describe('eventToApiRequest', () => {
  it('takes method, path below the root, query and lower-case headers from a payload 2.0 event', () => {
    const event = eventFor(httpApiEvent, 'GET', '/jessica/api/v1/voices?search=jess&x=1', { headers: { Authorization: 'Bearer abc' } });
    const request = eventToApiRequest(event, '/jessica');
    expect(request).toMatchObject({ method: 'GET', path: '/api/v1/voices', body: undefined, origin: 'https://api.example.io' });
    expect(request.query.get('search')).toBe('jess');
    expect(request.headers['authorization']).toBe('Bearer abc');
    expect(request.signal).toBeUndefined();
  });

  it('drops the name of a named stage in front of the path', () => {
    const event = eventFor(httpApiEvent, 'GET', '/prod/jessica/health');
    expect(eventToApiRequest({ ...event, requestContext: { ...event.requestContext, stage: 'prod' } }, '/jessica').path).toBe('/health');
    expect(eventToApiRequest(eventFor(httpApiEvent, 'GET', '/prod/jessica/health'), '/jessica').path).toBe('/prod/jessica/health');
  });

  it('decodes a base64 body to bytes and keeps a text body as it is', () => {
    const bytes = eventToApiRequest(eventFor(httpApiEvent, 'POST', '/jessica/api/v1/tts', { body: new Uint8Array([123, 125]) }), '/jessica');
    expect(bytes.body).toBeInstanceOf(Uint8Array);
    expect([...(bytes.body as Uint8Array)]).toEqual([123, 125]);
    expect(eventToApiRequest(eventFor(httpApiEvent, 'POST', '/jessica/api/v1/tts', { body: '{}' }), '/jessica').body).toBe('{}');
  });

  it('builds the origin from x-forwarded-proto and host, falling back to the domain name', () => {
    const event = eventFor(functionUrlEvent, 'POST', '/api/v1/tts/stream', { headers: { 'x-forwarded-proto': 'http' } });
    delete event.headers['host'];
    expect(eventToApiRequest(event, '/jessica').origin).toBe(`http://${functionUrlEvent.requestContext.domainName}`);
  });

  it('hands cookies back as one header and passes the abort signal', () => {
    const abort = new AbortController();
    const request = eventToApiRequest({ ...eventFor(httpApiEvent, 'GET', '/jessica/health'), cookies: ['a=1', 'b=2'] }, '/jessica', abort.signal);
    expect(request.headers['cookie']).toBe('a=1; b=2');
    expect(request.signal).toBe(abort.signal);
  });
});

describe('apiResponseToResult', () => {
  it('serialises JSON with a JSON content type', async () => {
    expect(await apiResponseToResult({ status: 201, headers: { 'x-a': 'b' }, body: { kind: 'json', value: { ok: true } } })).toEqual({
      statusCode: 201,
      headers: { 'x-a': 'b', 'content-type': 'application/json; charset=utf-8' },
      body: '{"ok":true}',
      isBase64Encoded: false,
    });
  });

  it('base64-encodes audio bytes', async () => {
    const result = await apiResponseToResult({ status: 200, headers: { 'content-type': 'audio/mpeg' }, body: { kind: 'bytes', value: new Uint8Array([0xff, 0xfb]) } });
    expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: true, body: Buffer.from([0xff, 0xfb]).toString('base64') });
  });

  it('reads a stream to the end', async () => {
    const result = await apiResponseToResult({ status: 200, headers: { 'content-type': 'audio/mpeg' }, body: { kind: 'stream', value: chunksOf('ab', 'cd') } });
    expect(Buffer.from(result.body ?? '', 'base64').toString()).toBe('abcd');
  });

  it('answers an empty body as an empty string', async () => {
    expect(await apiResponseToResult({ status: 204, headers: {}, body: { kind: 'empty' } })).toEqual({ statusCode: 204, headers: {}, body: '', isBase64Encoded: false });
  });
});

describe('errorResult', () => {
  it('carries the status, code, retry-after and security headers of a typed error', () => {
    const result = errorResult(new JessicaError('rate_limited', 'Slow down.', { retryAfterSeconds: 2.5 }));
    expect(result.statusCode).toBe(429);
    expect(JSON.parse(result.body ?? '')).toEqual({ error: { code: 'rate_limited', message: 'Slow down.' } });
    expect(result.headers).toMatchObject({ 'retry-after': '3', 'x-content-type-options': 'nosniff' });
  });

  it('hides an unexpected error behind a generic 500', () => {
    const result = errorResult(new Error('connect ECONNREFUSED 10.0.0.1:443 secret-ish detail'));
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('ECONNREFUSED');
  });
});
