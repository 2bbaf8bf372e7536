import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { TestListener, wsUrl } from '../support/listener.js';
import { startStack, type Stack } from '../support/stack.js';
import { lambdaHandler, type LambdaCall } from './lambda-events.js';
import { badCredentials, PROTECTED_ROUTES } from './routes.js';

const ALICE = 'alice-auth-token-7d3e9a';
const TOKENS = `alice:${ALICE},bob:bob-auth-token-5c1b2f`;

describe('authentication on the live server', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ JESSICA_TOKENS: TOKENS, ROOT_PATH: '/jessica', JESSICA_RATE_LIMIT: '100000' });
  });
  afterAll(async () => {
    await stack.close();
  });

  const send = (route: (typeof PROTECTED_ROUTES)[number], headers: Record<string, string>, query = '') =>
    fetch(stack.url(route.path) + (query ? `?${query}` : ''), {
      method: route.method,
      headers: { ...(route.body === undefined ? {} : { 'content-type': 'application/json' }), ...route.headers, ...headers },
      ...(route.body === undefined ? {} : { body: JSON.stringify(route.body) }),
    });

  it.each(badCredentials(ALICE))('refuses every API and MCP route with 401 unauthorized given $name', async ({ headers, query }) => {
    const refused: string[] = [];
    for (const route of PROTECTED_ROUTES) {
      const response = await send(route, headers, query);
      const body = (await response.json()) as { error?: { code?: string } };
      if (response.status !== 401 || body.error?.code !== 'unauthorized') refused.push(`${route.method} ${route.path} → ${response.status}`);
    }
    expect(refused).toEqual([]);
  });

  it('lets the real token through on every route, and needs no token for /health and the page configuration', async () => {
    for (const route of PROTECTED_ROUTES) {
      const response = await send(route, { authorization: `Bearer ${ALICE}` });
      await response.arrayBuffer();
      expect(response.status, `${route.method} ${route.path}`).not.toBe(401);
    }
    expect((await fetch(stack.url('/health'))).status).toBe(200);
    expect((await fetch(stack.url('/config.json'))).status).toBe(200);
  });

  it('refuses a WebSocket listener with no token, a wrong query token or Basic credentials', async () => {
    const url = wsUrl(stack.server.url, '/jessica/ws');
    for (const attempt of [
      TestListener.connect(url, { hello: false }),
      TestListener.connect(`${url}?token=not-the-token-123`, { hello: false }),
      TestListener.connect(url, { hello: false, headers: { authorization: `Basic ${Buffer.from(`alice:${ALICE}`).toString('base64')}` } }),
    ]) {
      const listener = await attempt;
      expect((await listener.waitClosed()).code).toBe(4401);
      expect(listener.json('hello')).toHaveLength(0);
      expect(listener.frames.filter((frame) => frame.kind === 'binary')).toHaveLength(0);
    }
  });
});

describe('authentication on the Lambda HTTP handler', () => {
  let fake: FakeElevenLabs;
  let call: LambdaCall;
  beforeAll(async () => {
    fake = await startFakeElevenLabs();
    call = lambdaHandler({
      ELEVENLABS_BASE_URL: fake.url,
      ELEVENLABS_API_KEY: fake.apiKey,
      JESSICA_TOKENS: TOKENS,
      JESSICA_SETTINGS: 'memory:',
      JESSICA_RATE_LIMIT: '100000',
    }).call;
  });
  afterAll(async () => {
    await fake.close();
  });

  it.each(badCredentials(ALICE))('refuses every API and MCP route with 401 unauthorized given $name', async ({ headers, query }) => {
    const refused: string[] = [];
    for (const route of PROTECTED_ROUTES) {
      const result = await call({ method: route.method, path: route.path, body: route.body, headers: { ...route.headers, ...headers }, ...(query ? { query } : {}) });
      const code = (result.json as { error?: { code?: string } } | undefined)?.error?.code;
      if (result.statusCode !== 401 || code !== 'unauthorized') refused.push(`${route.method} ${route.path} → ${result.statusCode}`);
    }
    expect(refused).toEqual([]);
  });

  it('lets the real token through on every route and needs no token for /health', async () => {
    for (const route of PROTECTED_ROUTES) {
      const result = await call({ method: route.method, path: route.path, body: route.body, headers: { ...route.headers }, token: ALICE });
      expect(result.statusCode, `${route.method} ${route.path}`).not.toBe(401);
    }
    const health = await call({ path: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', target: 'lambda' });
  });

  it('refuses to cold-start without tokens, answering 500 rather than serving anonymously', async () => {
    const anonymous = lambdaHandler({ ELEVENLABS_BASE_URL: fake.url, ELEVENLABS_API_KEY: fake.apiKey, JESSICA_SETTINGS: 'memory:' }).call;
    const result = await anonymous({ path: '/api/v1/settings' });
    expect(result.statusCode).toBeGreaterThanOrEqual(500);
    expect(result.json).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    expect(result.body).not.toContain(fake.apiKey);
  });
});
