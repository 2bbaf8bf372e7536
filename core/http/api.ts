import type { Config } from '../config.js';
import { errorToResponse, JessicaError } from '../errors.js';
import type { Jessica } from '../jessica.js';
import { backendFromJessica, type McpBackend } from '../mcp/backend.js';
import type { McpHttpHandler } from '../mcp/http.js';
import type { Logger } from '../ports.js';
import { authenticate } from './auth.js';
import { parseJsonBody } from './body.js';
import { corsHeaders, isOriginAllowed, SECURITY_HEADERS } from './headers.js';
import { isHostAllowed } from './host.js';
import { openApiDocument } from './openapi.js';
import { RateLimiter } from './rate-limit.js';
import { ndjsonLines, NDJSON, wantsTimestamps } from './timed-stream.js';

/** A runtime-neutral HTTP request, as each adapter sees it below ROOT_PATH. */
export interface ApiRequest {
  method: string;
  /** Path below ROOT_PATH, e.g. `/api/v1/tts`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
  body: Uint8Array | string | undefined;
  /** `scheme://host` the client used, for same-origin checks and page links. */
  origin: string | undefined;
  /** Aborts when the client goes away. */
  signal?: AbortSignal;
  /** A host name the platform in front already matched this request to (API Gateway's domain): served as Host too. */
  servedHost?: string;
}

export type ApiBody =
  | { kind: 'json'; value: unknown }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'stream'; value: AsyncIterable<Uint8Array> }
  | { kind: 'empty' };

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: ApiBody;
}

export interface ApiOptions {
  jessica: Jessica;
  config: Config;
  logger: Logger;
  /** Backend of the MCP tools; defaults to the core itself. */
  mcpBackend?: McpBackend;
  /** False where responses are buffered whole (Lambda behind API Gateway): no stream may stay open. */
  openStreams?: boolean;
}

type Handler = (request: ApiRequest, principal: string) => Promise<Omit<ApiResponse, 'headers'> & { headers?: Record<string, string> }>;

/** The one route with a path parameter: a voice id (no slash; a malformed escape is not one). */
const VOICE_SETTINGS_ROUTE = '/api/v1/voices/{voice_id}/settings';
const VOICE_SETTINGS_PATH = /^\/api\/v1\/voices\/(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2}){1,100}\/settings$/;

const json = (status: number, value: unknown) => ({ status, body: { kind: 'json', value } as ApiBody });

/**
 * The whole HTTP contract (REST under `/api/v1`, `/health`, `/mcp`) as one function from
 * request to response, so the live server and the Lambda handler answer identically.
 * It never throws: every failure becomes the SPEC's error body.
 */
export function createApiHandler(options: ApiOptions): (request: ApiRequest) => Promise<ApiResponse> {
  const { jessica, config, logger } = options;
  // What spends is budgeted in the core (characters and requests sent upstream); here only floods meet a ceiling.
  const floodLimiter = new RateLimiter(config.floodLimitPerMinute);
  const mcpBackend = options.mcpBackend ?? backendFromJessica(jessica);

  const audioHeaders = (plan: { mime: string; characters: number; utteranceId: string }) => ({
    'content-type': plan.mime,
    'cache-control': 'no-store',
    'x-jessica-characters': String(plan.characters),
    'x-jessica-utterance-id': plan.utteranceId,
  });

  const routes: Record<string, Record<string, Handler>> = {
    '/api/v1/voices': { GET: async (request) => json(200, { voices: await jessica.listVoices(request.query.get('search') ?? undefined) }) },
    [VOICE_SETTINGS_ROUTE]: { GET: async (request) => json(200, await jessica.voiceSettings(voiceIdOf(request.path))) },
    '/api/v1/models': { GET: async () => json(200, { models: await jessica.listModels() }) },
    '/api/v1/usage': { GET: async () => json(200, await jessica.usage()) },
    '/api/v1/openapi.json': { GET: async () => json(200, openApiDocument(jessica.version, config.rootPath)) },
    '/api/v1/settings': {
      GET: async (_request, principal) => json(200, await jessica.getSettings(principal)),
      PATCH: async (request, principal) => json(200, await jessica.updateSettings(principal, bodyOf(request))),
    },
    '/api/v1/tts': {
      POST: async (request, principal) => {
        const { plan, audio } = await jessica.synthesize(principal, bodyOf(request), request.signal);
        return { status: 200, headers: audioHeaders(plan), body: { kind: 'bytes', value: audio } };
      },
    },
    '/api/v1/tts/stream': {
      POST: async (request, principal) => {
        if (wantsTimestamps(request.query, request.headers['accept'])) {
          const { plan, chunks } = await jessica.openTimedStream(principal, bodyOf(request), request.signal);
          return { status: 200, headers: { ...audioHeaders(plan), 'content-type': NDJSON }, body: { kind: 'stream', value: ndjsonLines(chunks) } };
        }
        const { plan, chunks } = await jessica.openStream(principal, bodyOf(request), request.signal);
        return { status: 200, headers: audioHeaders(plan), body: { kind: 'stream', value: chunks } };
      },
    },
    '/api/v1/speak': {
      POST: async (request, principal) => {
        const queued = await jessica.speak(principal, bodyOf(request));
        return json(202, { utterance_id: queued.utterance_id, listeners: queued.listeners });
      },
    },
    '/api/v1/stop': { POST: async (_request, principal) => json(200, await jessica.stop(principal)) },
    '/mcp': {
      POST: (request, principal) => mcp(request, principal),
      GET: (request, principal) => mcp(request, principal),
      DELETE: (request, principal) => mcp(request, principal),
    },
  };

  let mcpHandler: Promise<McpHttpHandler> | undefined;
  async function mcp(request: ApiRequest, principal: string): Promise<Omit<ApiResponse, 'headers'> & { headers: Record<string, string> }> {
    // The origin comes from Host and X-Forwarded-Proto, both client-controlled: only a real http(s) origin is used.
    const base = httpOrigin(request.origin) ?? 'http://localhost';
    const pageUrl = config.publicUrl ?? `${base}${config.rootPath}/`;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && name !== 'authorization' && name !== 'cookie') headers[name] = value;
    }
    // A body that parsed is handed over as JSON: the SDK then never reads the Request's own, so it
    // gets none (a web body stream per request costs more than the rest of the envelope).
    const parsedBody = request.method === 'POST' ? parseJsonBody(request.headers['content-type'], request.body) : undefined;
    const hasBody = parsedBody === undefined && request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined;
    // Loaded on first use: a Lambda cold start that serves no MCP request skips the MCP SDK.
    mcpHandler ??= import('../mcp/http.js').then(({ createMcpHttpHandler }) => createMcpHttpHandler({ backend: mcpBackend, version: jessica.version, openStreams: options.openStreams ?? true }));
    const handler = await mcpHandler;
    const init = { method: request.method, ...(hasBody ? { body: request.body as BodyInit } : {}), ...(request.signal ? { signal: request.signal } : {}) };
    const response = await handler(webRequest(`${base}${config.rootPath}/mcp`, init, headers), { principal, pageUrl }, parsedBody);
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => (out[name] = value));
    // An SSE answer (progress and log messages before the result) streams as it is written.
    if (response.body && out['content-type']?.startsWith('text/event-stream')) {
      return { status: response.status, headers: out, body: { kind: 'stream', value: response.body as unknown as AsyncIterable<Uint8Array> } };
    }
    return { status: response.status, headers: out, body: { kind: 'bytes', value: new Uint8Array(await response.arrayBuffer()) } };
  }

  return async function handle(raw: ApiRequest): Promise<ApiResponse> {
    return withContentType(await route(raw));
  };

  async function route(raw: ApiRequest): Promise<ApiResponse> {
    const path = routePath(raw.path);
    const request = path === raw.path ? raw : { ...raw, path };
    const headers: Record<string, string> = { ...SECURITY_HEADERS };
    // Before anything else, CORS included: a foreign Host is a DNS-rebinding page, and learns nothing.
    if (!isHostAllowed(request.headers['host'], config.allowedHosts, request.servedHost)) return errorResponse(forbiddenHost(), headers, request);
    const origin = request.headers['origin'];
    const allowedOrigin = isOriginAllowed(origin, request.origin, config.allowedOrigins);
    if (origin && allowedOrigin && origin !== request.origin) Object.assign(headers, corsHeaders(origin));
    try {
      if (!allowedOrigin) throw new JessicaError('forbidden_origin', 'This origin may not call the API (see JESSICA_ALLOWED_ORIGINS).');
      if (request.path === '/health') return health(request, headers);
      // Own keys only: a method or path such as `__proto__` must not find an inherited member.
      const routeKey = VOICE_SETTINGS_PATH.test(request.path) ? VOICE_SETTINGS_ROUTE : request.path;
      const route = Object.hasOwn(routes, routeKey) ? routes[routeKey] : undefined;
      if (!route) throw new JessicaError('not_found', `No route ${request.path.slice(0, 200)}.`);
      if (request.method === 'OPTIONS') return { status: 204, headers, body: { kind: 'empty' } };
      const handler = Object.hasOwn(route, request.method) ? route[request.method] : undefined;
      if (!handler) {
        headers['allow'] = Object.keys(route).join(', ');
        throw new JessicaError('method_not_allowed', `${request.method.slice(0, 10)} is not allowed here; use ${headers['allow']}.`);
      }
      const principal = authenticate(config, { authorization: request.headers['authorization'] });
      floodLimiter.take(principal);
      const result = await handler(request, principal);
      return { status: result.status, headers: { ...headers, ...result.headers }, body: result.body };
    } catch (error) {
      return errorResponse(error, headers, request);
    }
  }

  function health(request: ApiRequest, headers: Record<string, string>): ApiResponse {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      headers['allow'] = 'GET, HEAD';
      throw new JessicaError('method_not_allowed', 'Use GET /health.');
    }
    const report = jessica.health();
    return { status: report.status === 'draining' ? 503 : 200, headers: { ...headers, 'cache-control': 'no-store' }, body: { kind: 'json', value: report } };
  }

  function errorResponse(error: unknown, headers: Record<string, string>, request: ApiRequest): ApiResponse {
    const { status, body, retryAfterSeconds } = errorToResponse(error);
    if (status >= 500 && !(error instanceof JessicaError)) {
      logger.error('request failed', { method: request.method, path: request.path, error: describeError(error) });
    }
    if (retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.ceil(retryAfterSeconds));
    return { status, headers, body: { kind: 'json', value: body } };
  }
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The route a path names: trailing slashes name the same one, in every runtime. */
export function routePath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : path;
}

/** A JSON body is always labelled as such, with its charset: the adapters write headers as they are. */
function withContentType(response: ApiResponse): ApiResponse {
  if (response.body.kind === 'json' && response.headers['content-type'] === undefined) response.headers['content-type'] = JSON_CONTENT_TYPE;
  return response;
}

/**
 * The SPEC's error response for a failure outside the handler's own request handling (an
 * adapter that could not read the body, a route it could not serve). Unknown errors stay a
 * generic 500 and are logged without request data.
 */
export function apiErrorResponse(error: unknown, logger?: Logger): ApiResponse & { body: { kind: 'json' } } {
  const { status, body, retryAfterSeconds } = errorToResponse(error);
  if (status >= 500 && !(error instanceof JessicaError)) logger?.error('request failed', { error: describeError(error) });
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': JSON_CONTENT_TYPE, 'cache-control': 'no-store' };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.ceil(retryAfterSeconds));
  return { status, headers, body: { kind: 'json', value: body } };
}

/**
 * The web `Request` the MCP SDK reads, with the headers given as they are (one copy, not two);
 * if the Fetch API refuses one (control characters), it is left out: MCP cannot need it.
 */
function webRequest(url: string, init: RequestInit, headers: Record<string, string>): Request {
  try {
    return new Request(url, { ...init, headers });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const accepted = new Headers();
    for (const [name, value] of Object.entries(headers)) {
      try {
        accepted.set(name, value);
      } catch {
        // Refused by the Fetch API: left out.
      }
    }
    return new Request(url, { ...init, headers: accepted });
  }
}

function httpOrigin(origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The refusal of a request whose Host this server does not serve. */
export function forbiddenHost(): JessicaError {
  return new JessicaError('forbidden_host', 'This server does not answer to that Host (see JESSICA_ALLOWED_HOSTS).');
}

function voiceIdOf(path: string): string {
  try {
    return decodeURIComponent(path.split('/')[4] ?? '');
  } catch {
    throw new JessicaError('invalid_request', 'The voice id in the path is not valid percent-encoding.');
  }
}

function bodyOf(request: ApiRequest): unknown {
  const body = parseJsonBody(request.headers['content-type'], request.body);
  if (body === undefined) throw new JessicaError('invalid_request', 'This route needs a JSON body.');
  return body;
}

/** For logs only: the name and message of an unexpected error, stack included, no request data. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { value: String(error) };
}
