import { existsSync } from 'node:fs';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  contentSecurityPolicy,
  errorToResponse,
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
  const toCore = (req: Request, res: Response, next: NextFunction) => {
    void forward(req, res, api, logger).catch(next);
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
          res.setHeader('cache-control', path.endsWith('.html') || path.endsWith('config.json') ? 'no-cache' : 'public, max-age=300');
        },
      }),
    );
  }
  router.use(rawBody, toCore);

  if (config.rootPath) app.use(config.rootPath, router);
  else app.use(router);
  app.use(rawBody, (req, res) => {
    sendError(res, new JessicaError('not_found', `No route ${req.path.slice(0, 200)}.`));
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendError(res, bodyParserError(error) ?? error, logger);
  });
  return app;
}

async function forward(req: Request, res: Response, api: AppOptions['api'], logger: Logger): Promise<void> {
  const controller = new AbortController();
  // The client went away before the response finished: stop the upstream work too.
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const response = await api({
    method: req.method,
    path: req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path,
    query,
    headers,
    body: Buffer.isBuffer(req.body) ? req.body : undefined,
    origin: `${req.protocol}://${req.get('host') ?? 'localhost'}`,
    signal: controller.signal,
  });
  await writeResponse(res, response, logger);
}

async function writeResponse(res: Response, response: ApiResponse, logger: Logger): Promise<void> {
  res.status(response.status).set(response.headers);
  const { body } = response;
  switch (body.kind) {
    case 'empty':
      res.end();
      return;
    case 'json':
      res.type('application/json').send(JSON.stringify(body.value));
      return;
    case 'bytes':
      res.end(Buffer.from(body.value.buffer, body.value.byteOffset, body.value.byteLength));
      return;
    case 'stream':
      res.flushHeaders();
      try {
        for await (const chunk of body.value) {
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
}

function sendError(res: Response, error: unknown, logger?: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, body } = errorToResponse(error);
  if (status >= 500 && logger && !(error instanceof JessicaError)) {
    logger.error('request failed', { error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
  }
  res.status(status).set(SECURITY_HEADERS).type('application/json').send(JSON.stringify(body));
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
    default:
      return undefined;
  }
}
