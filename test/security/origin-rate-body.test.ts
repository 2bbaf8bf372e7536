import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { TestListener, wsUrl } from '../support/listener.js';
import { startStack, type Stack } from '../support/stack.js';
import { lambdaHandler, type LambdaCall } from './lambda-events.js';

const TOKEN = 'origin-token-123456789';
const OTHER = 'other-token-987654321';
/** Spent only by the rate-limit check. */
const THRIFTY = 'thrifty-token-24680135';
const ALLOWED = 'https://app.example.com';
const LOOKALIKES = [
  'https://evil.example',
  'https://app.example.com.evil.example',
  'http://app.example.com',
  'https://app.example.com:8443',
  'https://sub.app.example.com',
  'null',
  `${ALLOWED}/`,
  `${ALLOWED} `.trim() + '.',
];
const OVERSIZED = { text: 'x'.repeat(300 * 1024) };

type Answer = { status: number; headers: Record<string, string | undefined>; json: unknown };

function expectErrorBody(answer: Answer, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.json).toEqual({ error: { code, message: expect.any(String) } });
}

/** The same checks for both targets, each behind a tiny `send`. */
function sharedChecks(send: () => (init: { method?: string; path: string; headers?: Record<string, string>; body?: unknown; token?: string }) => Promise<Answer>) {
  it('answers 403 forbidden_origin to origins not on the allowlist, lookalikes included', async () => {
    for (const origin of LOOKALIKES) {
      const answer = await send()({ path: '/api/v1/voices', token: TOKEN, headers: { origin } });
      expectErrorBody(answer, 403, 'forbidden_origin');
      expect(answer.headers['access-control-allow-origin'], origin).toBeUndefined();
      const preflight = await send()({ method: 'OPTIONS', path: '/api/v1/tts', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(preflight.status, origin).toBe(403);
    }
  });

  it('echoes an allowed origin in CORS headers (never a wildcard) and answers its preflight', async () => {
    const answer = await send()({ path: '/api/v1/voices', token: TOKEN, headers: { origin: ALLOWED } });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(answer.headers['vary']).toMatch(/origin/i);
    const preflight = await send()({ method: 'OPTIONS', path: '/api/v1/tts', headers: { origin: ALLOWED, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
  });

  it('answers 429 rate_limited with Retry-After once a principal spends its burst of synthesis, and only that principal', async () => {
    const statuses: number[] = [];
    let limited: Answer | undefined;
    for (let i = 0; i < 15; i += 1) {
      const answer = await send()({ path: '/api/v1/tts', token: THRIFTY, body: { text: `Spending line number ${i}.` } });
      statuses.push(answer.status);
      if (answer.status === 429) limited ??= answer;
    }
    // JESSICA_RATE_LIMIT=20 allows a burst of 10 requests that reach the upstream.
    expect(statuses.slice(0, 10).every((status) => status === 200)).toBe(true);
    expect(statuses.slice(10).every((status) => status === 429)).toBe(true);
    expectErrorBody(limited!, 429, 'rate_limited');
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // What spends nothing is not charged: a cached repeat, reads, another principal.
    expect((await send()({ path: '/api/v1/tts', token: THRIFTY, body: { text: 'Spending line number 3.' } })).status).toBe(200);
    for (let i = 0; i < 30; i += 1) expect((await send()({ path: '/api/v1/settings', token: THRIFTY })).status).toBe(200);
    expect((await send()({ path: '/api/v1/tts', token: OTHER, body: { text: 'Spending line number 0.' } })).status).toBe(200);
    expect((await send()({ path: '/health' })).status).toBe(200);
  });

  it('answers 413 payload_too_large to an oversized body on every route that takes one', async () => {
    for (const [method, path] of [['POST', '/api/v1/tts'], ['POST', '/api/v1/tts/stream'], ['POST', '/api/v1/speak'], ['PATCH', '/api/v1/settings'], ['POST', '/mcp']] as const) {
      const answer = await send()({ method, path, token: OTHER, body: OVERSIZED, headers: { accept: 'application/json, text/event-stream' } });
      expect(answer.status, `${method} ${path}`).toBe(413);
      expectErrorBody(answer, 413, 'payload_too_large');
    }
  });
}

describe('origin allowlist, rate limit and body limit on the live server', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ JESSICA_TOKENS: `me:${TOKEN},other:${OTHER},thrifty:${THRIFTY}`, JESSICA_ALLOWED_ORIGINS: ALLOWED, JESSICA_RATE_LIMIT: '20' });
  });
  afterAll(async () => {
    await stack.close();
  });

  sharedChecks(() => async ({ method, path, headers = {}, body, token }) => {
    // node:http rather than fetch: fetch forbids setting Origin and the preflight headers.
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(stack.url(path), {
        method: method ?? (payload === undefined ? 'GET' : 'POST'),
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const flat = Object.fromEntries(Object.entries(res.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
          resolve({ status: res.statusCode ?? 0, headers: flat, json: text && flat['content-type']?.includes('json') ? JSON.parse(text) : undefined });
        });
      });
      req.end(payload);
    });
  });

  it('answers 413 to an oversized chunked upload that declares no length', async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 40) controller.close();
        else controller.enqueue(new TextEncoder().encode('x'.repeat(16 * 1024)));
        sent += 1;
      },
    });
    const response = await fetch(stack.url('/api/v1/tts'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OTHER}` },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('accepts a listener from an allowed origin and refuses one from elsewhere', async () => {
    const url = wsUrl(stack.server.url, '/ws');
    const allowed = await TestListener.connect(url, { token: OTHER, headers: { origin: ALLOWED } });
    expect(allowed.json('hello')).toHaveLength(1);
    allowed.close();
    for (const origin of LOOKALIKES.slice(0, 4)) {
      await expect(TestListener.connect(url, { token: OTHER, headers: { origin } }), origin).rejects.toThrow(/403/);
    }
  });
});

describe('origin allowlist, rate limit and body limit on the Lambda HTTP handler', () => {
  let fake: FakeElevenLabs;
  let call: LambdaCall;
  beforeAll(async () => {
    fake = await startFakeElevenLabs();
    call = lambdaHandler({
      ELEVENLABS_BASE_URL: fake.url,
      ELEVENLABS_API_KEY: fake.apiKey,
      JESSICA_TOKENS: `me:${TOKEN},other:${OTHER},thrifty:${THRIFTY}`,
      JESSICA_SETTINGS: 'memory:',
      JESSICA_ALLOWED_ORIGINS: ALLOWED,
      JESSICA_RATE_LIMIT: '20',
    }).call;
  });
  afterAll(async () => {
    await fake.close();
  });

  sharedChecks(() => async (init) => {
    const result = await call(init);
    const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
    return { status: result.statusCode ?? 0, headers, json: result.json };
  });
});
