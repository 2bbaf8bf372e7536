import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname } from 'node:path';
import { contentSecurityPolicy, SECURITY_HEADERS } from '../../../core/index.js';
import { createHttpHandler } from '../../../handlers/http.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../../fake-elevenlabs/index.js';
import { eventFor, httpApiEvent, lambdaContext, quietObservability, resultToResponse } from '../../handlers/helpers.js';

/**
 * The off-hours deployment on one port: the built page (web/dist) as the static site serves it,
 * and `${ROOT_PATH}/api/*`, `/health`, `/mcp` answered by the real Lambda HTTP handler
 * (`createHttpHandler`), each request turned into the API Gateway v2 event the `ANY
 * /jessica/{proxy+}` route delivers. There is no WebSocket: upgrades are refused, as they are
 * while the live task sleeps.
 */
export interface LambdaSite {
  fake: FakeElevenLabs;
  /** `http://127.0.0.1:port` */
  url: string;
  /** The page's address: `${url}${ROOT_PATH}/`, where the build's relative config.json finds the API. */
  pageUrl(): string;
  /** Events the handler was invoked with, in arrival order (method and path below the host). */
  invocations: Array<{ method: string; path: string; status: number }>;
  /** WebSocket upgrades that were refused. */
  refusedUpgrades(): number;
  close(): Promise<void>;
}

const ROOT_PATH = '/jessica';
const DIST = new URL('../../../web/dist/', import.meta.url);
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
};
/** What API Gateway passes through as text; any other body arrives base64-encoded. */
const TEXT_BODY = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded)|[^;]*\+json)/i;

export async function startLambdaSite(options: { env?: Record<string, string> } = {}): Promise<LambdaSite> {
  const fake = await startFakeElevenLabs();
  const handler = createHttpHandler({
    env: {
      ROOT_PATH,
      ELEVENLABS_BASE_URL: fake.url,
      ELEVENLABS_API_KEY: fake.apiKey,
      JESSICA_SETTINGS: 'memory:',
      JESSICA_ALLOW_ANONYMOUS: 'true',
      LOG_LEVEL: 'silent',
      ...options.env,
    },
    observability: quietObservability(),
  });
  const invocations: LambdaSite['invocations'] = [];
  let refused = 0;
  const csp = contentSecurityPolicy([]);

  const toLambda = async (request: IncomingMessage, response: ServerResponse, rawPathAndQuery: string): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    // What API Gateway adds: the scheme and address the client used.
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-for'] = request.socket.remoteAddress ?? '127.0.0.1';
    const bytes = Buffer.concat(chunks);
    const body = bytes.length === 0 ? undefined : TEXT_BODY.test(headers['content-type'] ?? '') ? bytes.toString('utf8') : new Uint8Array(bytes);
    const method = request.method ?? 'GET';
    const event = eventFor(httpApiEvent, method, rawPathAndQuery, { headers, ...(body === undefined ? {} : { body }) });
    event.pathParameters = { proxy: event.rawPath.slice(ROOT_PATH.length + 1) };
    const result = resultToResponse(await handler(event, lambdaContext()));
    invocations.push({ method, path: event.rawPath, status: result.status });
    response.writeHead(result.status, result.headers).end(result.body);
  };

  const fromDist = async (response: ServerResponse, path: string): Promise<void> => {
    const file = path === `${ROOT_PATH}/` ? 'index.html' : path.slice(ROOT_PATH.length + 1);
    let body: Buffer | undefined;
    if (/^[\w.-]+$/.test(file)) body = await readFile(new URL(file, DIST)).catch(() => undefined);
    if (!body) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    response
      .writeHead(200, { ...SECURITY_HEADERS, 'content-security-policy': csp, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' })
      .end(body);
  };

  const server = createServer((request, response) => {
    const rawPathAndQuery = request.url ?? '/';
    const path = rawPathAndQuery.split('?')[0] ?? '/';
    const below = path.startsWith(`${ROOT_PATH}/`) ? path.slice(ROOT_PATH.length) : undefined;
    const work =
      below === undefined
        ? Promise.resolve(void response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found'))
        : below === '/health' || below === '/mcp' || below.startsWith('/api/')
          ? toLambda(request, response, rawPathAndQuery)
          : fromDist(response, path);
    work.catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  // The HTTP API has no WebSocket and the live task is asleep: every upgrade is turned away.
  server.on('upgrade', (_request: IncomingMessage, socket: Duplex) => {
    refused += 1;
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    fake,
    url,
    pageUrl: () => `${url}${ROOT_PATH}/`,
    invocations,
    refusedUpgrades: () => refused,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fake.close();
    },
  };
}
