import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { apiErrorResponse, contentSecurityPolicy, isHostAllowed, JessicaError, routePath, SECURITY_HEADERS, type ApiRequest, type ApiResponse, type Config, type Logger } from '../core/index.js';
import { createCoreBridge, writeResponse, type CoreBridge, type CoreTarget } from './http.js';

export interface AppOptions {
  config: Config;
  api: (request: ApiRequest) => Promise<ApiResponse>;
  logger: Logger;
  /** The built page (web/dist); absent → only `/config.json` is served besides the API. */
  webDir: string | undefined;
}

/**
 * The live server's request listener. API routes (`/health`, `/mcp`, `/api/...` below
 * ROOT_PATH) go from the `node:http` request straight to the core, always; the page's static
 * files and `/config.json` are Express's; whatever neither serves (a 404, a foreign Host) is
 * answered by the core too, so every error body has one source.
 */
export function createRequestListener(options: AppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, logger } = options;
  const core = createCoreBridge(options);
  // An Express app is a `node:http` listener with a `next` for what it leaves unserved.
  const page = createPageApp(options) as unknown as (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
  const { rootPath } = config;
  return (req, res) => {
    const url = originForm(req.url ?? '/');
    const queryAt = url.indexOf('?');
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    const query = queryAt === -1 ? '' : url.slice(queryAt + 1);
    const below = belowRoot(pathname, rootPath);
    // DNS rebinding: a foreign Host learns nothing, page or API; the core refuses it before reading the body.
    if (!isHostAllowed(req.headers.host, config.allowedHosts)) return core(req, res, { path: below ?? pathname, query, readBody: false });
    if (below === undefined) {
      void writeResponse(res, apiErrorResponse(new JessicaError('not_found', `No route ${pathname.slice(0, 200)}.`)), logger);
      return;
    }
    const target = { path: below, query, readBody: true };
    if (isApiPath(below)) return core(req, res, target);
    page(req, res, fallThrough(core, req, res, target, logger));
  };
}

/** `GET http://host/path` (absolute form, which HTTP/1.1 servers must accept) as `/path`. */
function originForm(url: string): string {
  if (url.startsWith('/')) return url;
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}

/** The path below ROOT_PATH, or undefined when the request is for somewhere else. */
function belowRoot(pathname: string, rootPath: string): string | undefined {
  if (rootPath === '') return pathname;
  if (pathname === rootPath) return '/';
  return pathname.startsWith(`${rootPath}/`) ? pathname.slice(rootPath.length) : undefined;
}

/** `/health`, `/mcp` and everything under `/api`, with or without trailing slashes. */
function isApiPath(path: string): boolean {
  const route = routePath(path);
  return route === '/health' || route === '/mcp' || route === '/api' || route.startsWith('/api/');
}

/**
 * What Express leaves unserved (no such file, another method) goes to the core, which answers
 * its 404; a file that could not be read is a 500 with the core's body.
 */
function fallThrough(core: CoreBridge, req: IncomingMessage, res: ServerResponse, target: CoreTarget, logger: Logger): (error?: unknown) => void {
  return (error) => {
    if (error === undefined) core(req, res, target);
    else void writeResponse(res, apiErrorResponse(error, logger), logger);
  };
}

/** The page: `/config.json` and the built files, with the page's security headers and cache rules. */
function createPageApp(options: AppOptions): express.Express {
  const { config, webDir } = options;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const router = express.Router({ caseSensitive: true, strict: false });
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
  if (config.rootPath) app.use(config.rootPath, router);
  else app.use(router);
  return app;
}
