import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { schemeOf } from '../../fargate/http.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request on a fresh socket, with the request target exactly as given. */
function send(stack: Stack, target: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const { port } = stack.server;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: init.method ?? 'GET', path: target, headers: { host: `127.0.0.1:${port}`, ...init.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const codeOf = (answer: Answer) => (JSON.parse(answer.text) as { error: { code: string } }).error.code;

describe('the live server routes each request one way', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ ROOT_PATH: '/jessica' });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('answers the API below the root path with the core, JSON labelled with its charset', async () => {
    const answer = await send(stack, '/jessica/health');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(answer.text)));
    expect(JSON.parse(answer.text)).toMatchObject({ status: 'ok' });
  });

  it('takes trailing slashes as the same route', async () => {
    expect((await send(stack, '/jessica/health/')).status).toBe(200);
    const voices = await send(stack, '/jessica/api/v1/voices//');
    expect(voices.status).toBe(200);
    expect(JSON.parse(voices.text)).toHaveProperty('voices');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const answer = await send(stack, '/jessica/health', { method: 'HEAD' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(answer.headers['content-length'])).toBeGreaterThan(0);
    expect(answer.text).toBe('');
  });

  it('does not serve the API outside the root path, even where a route of that name exists', async () => {
    for (const path of ['/health', '/api/v1/voices', '/', '/jessicahealth']) {
      const answer = await send(stack, path);
      expect(answer.status, path).toBe(404);
      expect(codeOf(answer), path).toBe('not_found');
    }
  });

  it('answers what the page does not serve with the core: 404 not_found, 405 on an API route', async () => {
    const missing = await send(stack, '/jessica/no-such-file.js');
    expect(missing.status).toBe(404);
    expect(codeOf(missing)).toBe('not_found');
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
    const posted = await send(stack, '/jessica/config.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(posted.status).toBe(404);
    const wrongMethod = await send(stack, '/jessica/api/v1/voices', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(codeOf(wrongMethod)).toBe('method_not_allowed');
    expect(wrongMethod.headers['allow']).toBe('GET');
  });

  it('serves the page and its config with Express, with the page headers', async () => {
    const config = await send(stack, '/jessica/config.json');
    expect(config.status).toBe(200);
    expect(JSON.parse(config.text)).toMatchObject({ apiBase: './api/v1', wsUrl: './ws' });
    const page = await send(stack, '/jessica/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('routes an absolute-form request target by its path', async () => {
    const { port } = stack.server;
    const answer = await send(stack, `http://127.0.0.1:${port}/jessica/health`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ status: 'ok' });
  });

  it('refuses a foreign Host before reading anything, page and API alike', async () => {
    for (const path of ['/jessica/health', '/jessica/', '/jessica/config.json', '/elsewhere']) {
      const answer = await send(stack, path, { headers: { host: 'rebind.attacker.example' } });
      expect(answer.status, path).toBe(403);
      expect(codeOf(answer), path).toBe('forbidden_host');
    }
  });

  it('believes X-Forwarded-Proto from a proxy on a private address (here loopback) for the same-origin check', async () => {
    const { port } = stack.server;
    const headers = { 'x-forwarded-proto': 'https', origin: `https://127.0.0.1:${port}` };
    const answer = await send(stack, '/jessica/api/v1/models', { headers });
    expect(answer.status).toBe(200);
    const plain = await send(stack, '/jessica/api/v1/models', { headers: { origin: `https://127.0.0.1:${port}` } });
    expect(plain.status).toBe(403);
    expect(codeOf(plain)).toBe('forbidden_origin');
  });
});

describe('schemeOf', () => {
  const requestFrom = (remoteAddress: string, proto?: string, encrypted = false) =>
    ({ socket: { remoteAddress, encrypted }, headers: proto === undefined ? {} : { 'x-forwarded-proto': proto } }) as unknown as IncomingMessage;

  it.each(['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3', '172.20.0.5', '192.168.1.1', '169.254.10.10', 'fe80::1', 'fd00::5'])(
    'believes X-Forwarded-Proto from %s',
    (address) => {
      expect(schemeOf(requestFrom(address, 'https, http'))).toBe('https');
    },
  );

  it.each(['203.0.113.9', '2001:db8::1', '172.32.0.1', '::ffff:8.8.8.8'])('ignores X-Forwarded-Proto from %s', (address) => {
    expect(schemeOf(requestFrom(address, 'https'))).toBe('http');
  });

  it("falls back to the socket's own scheme", () => {
    expect(schemeOf(requestFrom('127.0.0.1'))).toBe('http');
    expect(schemeOf(requestFrom('203.0.113.9', 'http', true))).toBe('https');
  });
});
