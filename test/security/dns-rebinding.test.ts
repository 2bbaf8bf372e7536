import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { startStack, type Stack } from '../support/stack.js';
import { lambdaHandler } from './lambda-events.js';
import { PROTECTED_ROUTES } from './routes.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A request with a Host of the caller's choosing (fetch would not let a page, nor a test, pick it). */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: string } | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    ws.once('error', reject);
  });
}

const codeOf = (answer: Answer) => (JSON.parse(answer.text) as { error?: { code?: string } }).error?.code;
const PAGE_PATHS = ['/', '/index.html', '/config.json', '/health', '/nowhere'];
const rebound = (port: number) => ({ host: `evil.example:${port}`, origin: `http://evil.example:${port}` });

describe('DNS rebinding on the live server (loopback default, no tokens)', () => {
  let stack: Stack;
  let port: number;
  beforeAll(async () => {
    stack = await startStack();
    port = stack.server.port;
  });
  afterAll(async () => {
    await stack.close();
  });

  it('refuses every API and MCP route with 403 forbidden_host for a foreign Host, and spends nothing upstream', async () => {
    const wrong: string[] = [];
    for (const route of PROTECTED_ROUTES) {
      const answer = await send(stack.server.url, route.method, route.path, { ...route.headers, ...rebound(port) }, route.body === undefined ? undefined : JSON.stringify(route.body));
      if (answer.status !== 403 || codeOf(answer) !== 'forbidden_host') wrong.push(`${route.method} ${route.path} → ${answer.status}`);
      if (answer.headers['access-control-allow-origin'] !== undefined) wrong.push(`${route.method} ${route.path} carries CORS headers`);
    }
    expect(wrong).toEqual([]);
    expect(stack.fake.requests).toHaveLength(0);
  });

  it('refuses the page, its configuration, /health and unknown paths alike', async () => {
    for (const path of PAGE_PATHS) {
      const answer = await send(stack.server.url, 'GET', path, rebound(port));
      expect({ path, status: answer.status, code: codeOf(answer) }).toEqual({ path, status: 403, code: 'forbidden_host' });
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
    }
  });

  it('refuses a foreign Host however it is spelled', async () => {
    for (const host of ['evil.example', 'EVIL.example:9020', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.8', 'localhost:9020@evil.example']) {
      const answer = await send(stack.server.url, 'GET', '/api/v1/settings', { host });
      expect({ host, status: answer.status, code: codeOf(answer) }).toEqual({ host, status: 403, code: 'forbidden_host' });
    }
  });

  it('refuses an HTTP/1.0 request that names no Host', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end('GET /api/v1/settings HTTP/1.0\r\n\r\n'));
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.[01] 403 /);
    expect(raw).toContain('"forbidden_host"');
  });

  it('answers before reading a body it will never use', async () => {
    // A declared body that never comes: an answer proves nothing waited for it.
    const answer = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/tts', method: 'POST', headers: { ...rebound(port), 'content-type': 'application/json', 'content-length': '1000000' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write('{"text":');
    });
    expect(answer).toBe(403);
  });

  it('refuses the WebSocket before the upgrade, so nothing the assistant says reaches the page', async () => {
    const refused = await upgrade(`ws://127.0.0.1:${port}/ws`, rebound(port));
    expect(refused).not.toBe('open');
    expect(refused).toMatchObject({ status: 403 });
    expect(JSON.parse((refused as { body: string }).body)).toMatchObject({ error: { code: 'forbidden_host' } });
    expect(await stack.server.hub.listenerCount('local')).toBe(0);
  });

  it('serves the loopback names on any port, for the page, the API and the WebSocket', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost', 'LOCALHOST.']) {
      const origin = `http://${host}`;
      expect({ host, status: (await send(stack.server.url, 'GET', '/api/v1/settings', { host, origin })).status }).toEqual({ host, status: 200 });
      expect({ host, status: (await send(stack.server.url, 'GET', '/', { host })).status }).toEqual({ host, status: 200 });
    }
    expect(await upgrade(`ws://127.0.0.1:${port}/ws`, { host: `localhost:${port}`, origin: `http://localhost:${port}` })).toBe('open');
  });
});

describe('DNS rebinding with named hosts', () => {
  let stack: Stack;
  const TOKEN = 'alice-host-token-1234';
  beforeAll(async () => {
    stack = await startStack({
      HOST: '0.0.0.0',
      JESSICA_TOKENS: `alice:${TOKEN}`,
      JESSICA_PUBLIC_URL: 'https://jessica.example.io/jessica/',
      JESSICA_ALLOWED_ORIGINS: 'https://page.example.io',
    });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('serves the hosts of JESSICA_PUBLIC_URL and of the allowed origins, loopback names and IP literals, and nothing else', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const host of ['jessica.example.io', 'page.example.io:443', '127.0.0.1:9020', '10.1.2.3:9020', '[fd00::1]:9020']) {
      expect({ host, status: (await send(stack.server.url, 'GET', '/api/v1/settings', { ...auth, host })).status }).toEqual({ host, status: 200 });
    }
    for (const host of ['evil.example', 'other.example.io', 'jessica.example.io.evil.example']) {
      const answer = await send(stack.server.url, 'GET', '/api/v1/settings', { ...auth, host });
      expect({ host, status: answer.status, code: codeOf(answer) }).toEqual({ host, status: 403, code: 'forbidden_host' });
    }
  });
});

describe('DNS rebinding on the Lambda handler', () => {
  let fake: FakeElevenLabs;
  const TOKEN = 'alice-lambda-host-1234';
  beforeAll(async () => {
    fake = await startFakeElevenLabs();
  });
  afterAll(async () => {
    await fake.close();
  });

  const env = () => ({ ELEVENLABS_BASE_URL: fake.url, ELEVENLABS_API_KEY: fake.apiKey, JESSICA_TOKENS: `alice:${TOKEN}`, JESSICA_SETTINGS: 'memory:' });

  it('serves the domain API Gateway routed the request by, and refuses a Host that is not it', async () => {
    const { call } = lambdaHandler(env());
    expect((await call({ path: '/api/v1/settings', token: TOKEN })).statusCode).toBe(200);
    const refused = await call({ path: '/api/v1/settings', token: TOKEN, headers: { host: 'evil.example' } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json).toMatchObject({ error: { code: 'forbidden_host' } });
    expect(fake.requests).toHaveLength(0);
  });

  it('serves the hosts named in JESSICA_ALLOWED_HOSTS as well', async () => {
    const { call } = lambdaHandler({ ...env(), JESSICA_ALLOWED_HOSTS: '.example.org' });
    expect((await call({ path: '/api/v1/settings', token: TOKEN, headers: { host: 'jessica.example.org' } })).statusCode).toBe(200);
    expect((await call({ path: '/api/v1/settings', token: TOKEN, headers: { host: 'example.org.evil' } })).statusCode).toBe(403);
  });
});
