import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { startStack, type Stack } from '../support/stack.js';
import {
  ALLOWED_ORIGIN,
  directHandler,
  FUZZ_TOKENS,
  FUZZ_TOKENS_ENV,
  requestArb,
  responseProblems,
  RUNS,
  specErrorProblems,
  toApiRequest,
  within,
  type FuzzRequest,
} from './fuzz-support.js';

describe('REST bodies, query strings and headers, generated (createApiHandler)', () => {
  let fake: FakeElevenLabs;
  let harness: ReturnType<typeof directHandler>;
  let secrets: string[];

  beforeAll(async () => {
    fake = await startFakeElevenLabs();
    harness = directHandler(fake);
    secrets = [fake.apiKey, FUZZ_TOKENS.alice, FUZZ_TOKENS.bob];
  });
  afterAll(async () => {
    await fake.close();
  });

  it(`answers ${RUNS.restDirect} generated requests without a 5xx, a throw or a hang, always in the SPEC's error shape`, async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, async (request) => {
        const response = await within(harness.api(toApiRequest(request)), 10_000, `${request.method} ${request.path}`);
        const problems = await within(responseProblems(response, secrets, request.path), 10_000, 'reading the body');
        if (problems.length > 0) throw new Error(`${problems.join('; ')}\nresponse ${response.status}`);
      }),
      { numRuns: RUNS.restDirect },
    );
    expect(harness.errors).toEqual([]);
  });
});

/** Only the bytes HTTP allows in a header value; the rest could never reach a server. */
const headerSafe = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '')]));

describe('REST over real sockets, generated (live server)', () => {
  let stack: Stack;
  let secrets: string[];
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });

  beforeAll(async () => {
    stack = await startStack({ JESSICA_TOKENS: FUZZ_TOKENS_ENV, JESSICA_ALLOWED_ORIGINS: ALLOWED_ORIGIN, JESSICA_RATE_LIMIT: '1000000' });
    secrets = [stack.fake.apiKey, FUZZ_TOKENS.alice, FUZZ_TOKENS.bob];
  });
  afterAll(async () => {
    agent.destroy();
    await stack.close();
  });

  /** node:http refuses to send some generated methods, paths and header values; those are the client's to refuse. */
  const send = (request: FuzzRequest) =>
    new Promise<{ status: number; headers: Record<string, string>; text: string } | 'refused by the client'>((resolve, reject) => {
      let req;
      try {
        req = httpRequest(stack.url(request.path) + (request.query ? `?${request.query}` : ''), {
          agent,
          method: request.method,
          headers: { ...headerSafe(request.headers), ...(request.body === undefined ? {} : { 'content-length': Buffer.byteLength(request.body) }) },
        });
      } catch {
        resolve('refused by the client');
        return;
      }
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const headers = Object.fromEntries(Object.entries(res.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]));
          resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(request.body);
    });

  it(`answers ${RUNS.restSockets} generated requests over HTTP without a 5xx, always as JSON in the SPEC's error shape`, async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(requestArb, async (request) => {
        // A URL parser would swallow these before the server saw them; CONNECT is covered on a raw socket.
        if (!request.path.startsWith('/') || /[#?]/.test(request.path) || request.method.toUpperCase() === 'CONNECT') return;
        const answer = await within(send(request), 10_000, `${request.method} ${request.path}`);
        if (answer === 'refused by the client') return;
        sent += 1;
        const problems: string[] = [];
        if (answer.status >= 500) problems.push(`5xx: ${answer.status}`);
        if (answer.status >= 400 && request.method !== 'HEAD') {
          const isJson = /^application\/json/.test(answer.headers['content-type'] ?? '');
          if (!isJson) problems.push(`error ${answer.status} is ${answer.headers['content-type']}, not JSON: ${answer.text.slice(0, 120)}`);
          else {
            const body = JSON.parse(answer.text) as unknown;
            const mcpTransport = request.path.startsWith('/mcp') && (body as { jsonrpc?: unknown }).jsonrpc === '2.0';
            if (!mcpTransport) problems.push(...specErrorProblems(answer.status, body, secrets));
          }
        }
        for (const secret of secrets) if (answer.text.includes(secret)) problems.push('the response contains a secret');
        if (answer.status >= 400 && /<html|<!doctype/i.test(answer.text)) problems.push('an HTML error page');
        if (problems.length > 0) throw new Error(`${problems.join('; ')}`);
      }),
      { numRuns: RUNS.restSockets },
    );
    expect(sent).toBeGreaterThan(RUNS.restSockets / 2);
    expect((await stack.request('/health')).status).toBe(200);
  });

  it(`survives ${RUNS.rawSockets} malformed HTTP messages on a raw socket, answering 4xx or closing, never 5xx`, async () => {
    const port = stack.server.port;
    const rawRequest = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
      fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 60 }), fc.string({ maxLength: 10 })).map(([method, path, version]) => Buffer.from(`${method} ${path} ${version}\r\n\r\n`)),
      fc.tuple(fc.constantFrom('GET', 'POST'), fc.constantFrom('/api/v1/tts', '/health', '/mcp'), fc.string({ maxLength: 80 })).map(([method, path, header]) =>
        Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: x\r\n${header}\r\n\r\n`),
      ),
      fc.constantFrom(
        'POST /api/v1/tts HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
        'POST /api/v1/tts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
        'POST /api/v1/tts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
        `GET /api/v1/voices HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        'GET /health HTTP/9.9\r\n\r\n',
        'GET /health\r\n\r\n',
        'POST /api/v1/tts HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"text":',
        'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
        'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 99\r\n\r\n',
        'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      ).map((text) => Buffer.from(text)),
    );
    await fc.assert(
      fc.asyncProperty(rawRequest, async (bytes) => {
        const reply = await within(
          new Promise<string>((resolve) => {
            const socket = connect(port, '127.0.0.1');
            const chunks: Buffer[] = [];
            socket.on('data', (chunk) => chunks.push(chunk));
            socket.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
            socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
            // Half-close after writing so an incomplete request ends instead of waiting for more.
            socket.end(bytes);
            setTimeout(() => socket.destroy(), 1_500);
          }),
          5_000,
          'raw request',
        );
        // Several responses may share the socket (keep-alive); each must be a 4xx or better, in the SPEC's shape.
        for (const match of reply.matchAll(/HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/g)) {
          const status = Number(match[1]);
          if (status >= 500) throw new Error(`5xx on a raw request: ${reply.slice(0, 200)}`);
          if (status >= 400 && !/content-type: application\/json/i.test(match[2]!)) {
            throw new Error(`error ${status} without a JSON body: ${reply.slice(0, 300)}`);
          }
        }
      }),
      { numRuns: RUNS.rawSockets },
    );
    expect((await stack.request('/health')).status).toBe(200);
  });
});
