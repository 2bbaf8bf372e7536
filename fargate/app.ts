import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  contentSecurityPolicy,
  errorToResponse,
  forbiddenHost,
  isHostAllowed,
  JessicaError,
  MAX_BODY_BYTES,
  SECURITY_HEADERS,
  type ApiRequest,
  type ApiResponse,
  type Config,
  type Logger,
} from '../core/index.js';

export interface AppOptions {
  config: Config;
  api: (request: ApiRequest) => Promise<ApiResponse>;
  logger: Logger;
  /** The built page (web/dist); absent → the page routes answer 404. */
  webDir: string | undefined;
}

/**
 * The Express app: it only translates between Express and the core's HTTP contract, and
 * serves the built page. Every route and error body comes from the core.
 */
export function createApp(options: AppOptions): express.Express {
  const { config, api, logger, webDir } = options;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // Behind the gateway or load balancer the client's scheme and host arrive in X-Forwarded-*.
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');

  const router = express.Router({ caseSensitive: true, strict: false });
  const rawBody = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  const contentType = expressContentType(app);
  const toCore = (req: Request, res: Response, next: NextFunction) => {
    const queryAt = req.url.indexOf('?');
    const target = { path: req.path, query: queryAt === -1 ? '' : req.url.slice(queryAt + 1), protocol: req.protocol };
    forwardRaw(req, res, target, api, contentType, logger).catch(next);
  };

  router.all(['/health', '/mcp', '/api/{*rest}'], rawBody, toCore);
  router.get('/config.json', (_req, res) => {
    res.set(SECURITY_HEADERS).set('cache-control', 'no-store');
    res.json({ apiBase: './api/v1', wsUrl: './ws', healthUrl: './health', requiresAuth: config.tokens !== undefined });
  });
  if (webDir && existsSync(webDir)) {
    const csp = contentSecurityPolicy(config.allowedOrigins ?? []);
    router.use(
      express.static(webDir, {
        index: 'index.html',
        fallthrough: true,
        setHeaders: (res, path) => {
          res.setHeader('content-security-policy', csp);
          for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
          // scripts/build-web.mjs names the script and stylesheet by their content hash: a name
          // never changes content, so browsers keep them a year; the HTML that names them is
          // revalidated on every load.
          const immutable = /\.[A-Z0-9]{8}\.(?:js|css)$/.test(path);
          const revalidate = path.endsWith('.html') || path.endsWith('config.json');
          res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : revalidate ? 'no-cache' : 'public, max-age=300');
        },
      }),
    );
  }
  router.use(rawBody, toCore);

  if (config.rootPath) app.use(config.rootPath, router);
  else app.use(router);
  app.use(rawBody, (req, res) => {
    sendErrorRaw(res, new JessicaError('not_found', `No route ${req.path.slice(0, 200)}.`), contentType, logger);
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendErrorRaw(res, bodyParserError(error) ?? error, contentType, logger);
  });
  return app;
}

/**
 * The live server's request listener: the Express app, with one shortcut. A request for an API
 * route (`/health`, `/mcp`, `/api/...` below ROOT_PATH, in plain form) goes to the core without
 * Express's router and without Express's request and response prototypes: swapping the
 * prototypes of every request makes property access megamorphic across Node's own HTTP code
 * and costs more than everything else the API does (bench/: ~145 → ~40 µs CPU per /health).
 * What it does is what the router's API route does: the same body parser, the same request
 * translation, the same response and error bodies, header by header. Anything less plain
 * (other paths, encoded or unusual path characters, conditional requests) takes the Express
 * route unchanged.
 */
export function createRequestListener(options: AppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const app = createApp(options);
  const { api, config, logger } = options;
  // The router's API body parser, with the same options.
  const rawBody = express.raw({ type: () => true, limit: MAX_BODY_BYTES }) as unknown as (
    req: IncomingMessage,
    res: ServerResponse,
    next: (error?: unknown) => void,
  ) => void;
  const trustProxy = app.get('trust proxy fn') as (address: string | undefined, hop: number) => boolean;
  const contentType = expressContentType(app);
  return (req, res) => {
    // DNS rebinding: a foreign Host is refused before anything is read, page and API alike.
    if (!isHostAllowed(req.headers.host, config.allowedHosts)) {
      sendErrorRaw(res, forbiddenHost(), contentType, logger);
      return;
    }
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    if (!isPlainApiPath(pathname, config.rootPath) || req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined) {
      app(req, res);
      return;
    }
    const fail = (error: unknown) => sendErrorRaw(res, bodyParserError(error) ?? error, contentType, logger);
    rawBody(req, res, (error) => {
      if (error) return fail(error);
      const path = pathname.slice(config.rootPath.length);
      forwardRaw(req, res, { path, query: queryAt === -1 ? '' : url.slice(queryAt + 1), protocol: protocolOf(req, trustProxy) }, api, contentType, logger).catch(fail);
    });
  };
}

const PLAIN_PATH = /^[A-Za-z0-9._~/-]+$/;

/** `/health`, `/mcp` or `/api/<something>` right below the root path, with nothing Express would treat specially. */
function isPlainApiPath(pathname: string, rootPath: string): boolean {
  if (!pathname.startsWith(rootPath)) return false;
  const rest = pathname.slice(rootPath.length);
  return (rest === '/health' || rest === '/mcp' || (rest.startsWith('/api/') && rest.length > '/api/'.length)) && PLAIN_PATH.test(rest);
}

/** Express's `req.protocol`: the socket's, or X-Forwarded-Proto's first value from a trusted proxy. */
function protocolOf(req: IncomingMessage, trustProxy: (address: string | undefined, hop: number) => boolean): string {
  const own = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  if (!trustProxy(req.socket.remoteAddress, 0)) return own;
  const header = (req.headers['x-forwarded-proto'] as string | undefined) || own;
  const comma = header.indexOf(',');
  return comma !== -1 ? header.substring(0, comma).trim() : header.trim();
}

/** Express's `res.set('content-type', value)` adds a charset where mime-types knows one; ask Express for the same value. */
function expressContentType(app: express.Express): (value: string) => string {
  const set = app.response.set as unknown as (this: { setHeader(name: string, value: string): void }, field: string, value: string) => unknown;
  const known = new Map<string, string>();
  return (value) => {
    let result = known.get(value);
    if (result === undefined) {
      let computed = value;
      set.call({ setHeader: (_name, header) => (computed = header) }, 'content-type', value);
      result = computed;
      if (known.size < 64) known.set(value, result);
    }
    return result;
  };
}

async function forwardRaw(
  req: IncomingMessage & { body?: unknown },
  res: ServerResponse,
  target: { path: string; query: string; protocol: string },
  api: AppOptions['api'],
  contentType: (value: string) => string,
  logger: Logger,
): Promise<void> {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const response = await api({
    method: req.method ?? 'GET',
    path: target.path.length > 1 ? target.path.replace(/\/+$/, '') : target.path,
    query: new URLSearchParams(target.query),
    headers,
    body: Buffer.isBuffer(req.body) ? req.body : undefined,
    origin: `${target.protocol}://${req.headers.host ?? 'localhost'}`,
    signal: controller.signal,
  });
  await writeResponseRaw(req, res, response, contentType, logger);
}

/** Writes the core's response on a bare ServerResponse: the same status, headers and body as Express's `status().set()` and `send()`. */
async function writeResponseRaw(req: IncomingMessage, res: ServerResponse, response: ApiResponse, contentType: (value: string) => string, logger: Logger): Promise<void> {
  setStatusAndHeaders(res, response.status, response.headers, contentType);
  const { body } = response;
  switch (body.kind) {
    case 'empty':
      res.end();
      return;
    case 'json':
      sendJsonRaw(req, res, JSON.stringify(body.value), contentType);
      return;
    case 'bytes':
      res.end(Buffer.from(body.value.buffer, body.value.byteOffset, body.value.byteLength));
      return;
    case 'stream':
      await pipeAudio(res, body.value, logger);
  }
}

/** Writes chunks as they come, with backpressure; a failure mid-stream breaks the response. */
async function pipeAudio(res: ServerResponse, chunks: AsyncIterable<Uint8Array>, logger: Logger): Promise<void> {
  res.flushHeaders();
  try {
    for await (const chunk of chunks) {
      if (res.destroyed) break;
      // Respect backpressure: a slow client must not make us buffer the whole utterance.
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
    }
    res.end();
  } catch (error) {
    // Headers are gone: break the chunked encoding so the client never takes it as complete.
    logger.warn('stream aborted', { code: error instanceof JessicaError ? error.code : 'internal_error' });
    res.destroy();
  }
}

function setStatusAndHeaders(res: ServerResponse, status: number, headers: Record<string, string>, contentType: (value: string) => string): void {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`Invalid status code: ${status}`);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, name.toLowerCase() === 'content-type' ? contentType(String(value)) : String(value));
}

/** Express's `res.type('application/json').send(text)` for a request that is not conditional. */
function sendJsonRaw(req: IncomingMessage, res: ServerResponse, text: string, contentType: (value: string) => string): void {
  res.setHeader('Content-Type', contentType('application/json'));
  res.setHeader('Content-Length', Buffer.byteLength(text));
  if (res.statusCode === 204 || res.statusCode === 304) {
    res.removeHeader('Content-Type');
    res.removeHeader('Content-Length');
    res.removeHeader('Transfer-Encoding');
    text = '';
  }
  if (res.statusCode === 205) {
    res.setHeader('Content-Length', '0');
    res.removeHeader('Transfer-Encoding');
    text = '';
  }
  if (req.method === 'HEAD') res.end();
  else res.end(text, 'utf8');
}

function sendErrorRaw(res: ServerResponse, error: unknown, contentType: (value: string) => string, logger: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, body } = errorToResponse(error);
  if (status >= 500 && !(error instanceof JessicaError)) {
    logger.error('request failed', { error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
  }
  setStatusAndHeaders(res, status, SECURITY_HEADERS, contentType);
  sendJsonRaw(res.req, res, JSON.stringify(body), contentType);
}

/** Express's body parser throws errors with a `type`; they become the SPEC's codes. */
function bodyParserError(error: unknown): JessicaError | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.too.large':
      return new JessicaError('payload_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new JessicaError('unsupported_media_type', 'Send the body as UTF-8 application/json.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'entity.verify.failed':
      return new JessicaError('invalid_request', 'The request body could not be read.');
    default: {
      // Untyped client errors, such as a body that fails to decompress (Content-Encoding: gzip).
      const status = (error as { status?: unknown } | null)?.status;
      return typeof status === 'number' && status >= 400 && status < 500
        ? new JessicaError('invalid_request', 'The request body could not be read.')
        : undefined;
    }
  }
}
