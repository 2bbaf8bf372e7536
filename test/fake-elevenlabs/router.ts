import { getSubscription, getUser, listModels } from './account-routes.js';
import { plainError } from './error-bodies.js';
import type { Exchange } from './exchange.js';
import { COMMON_HEADERS, sendError } from './exchange.js';
import { ttsRoute } from './tts-route.js';
import { getDefaultVoiceSettings, getVoice, getVoiceSettings, listVoicesV1, searchVoicesV2 } from './voice-routes.js';

/**
 * Maps method and path to a handler. Routing failures answer before any auth check, as
 * Starlette's router does: 404 for an unknown path, 405 (with `allow`) for a wrong method.
 */

type Handler = (exchange: Exchange) => Promise<void> | void;

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handle: Handler;
}

const VOICE_ID = '(?<voice_id>[^/]+)';

const ROUTES: readonly Route[] = [
  { method: 'POST', pattern: new RegExp(`^/v1/text-to-speech/${VOICE_ID}$`), handle: ttsRoute({ stream: false, timestamps: false }) },
  { method: 'POST', pattern: new RegExp(`^/v1/text-to-speech/${VOICE_ID}/stream$`), handle: ttsRoute({ stream: true, timestamps: false }) },
  { method: 'POST', pattern: new RegExp(`^/v1/text-to-speech/${VOICE_ID}/with-timestamps$`), handle: ttsRoute({ stream: false, timestamps: true }) },
  { method: 'POST', pattern: new RegExp(`^/v1/text-to-speech/${VOICE_ID}/stream/with-timestamps$`), handle: ttsRoute({ stream: true, timestamps: true }) },
  { method: 'GET', pattern: /^\/v1\/voices$/, handle: listVoicesV1 },
  { method: 'GET', pattern: /^\/v2\/voices$/, handle: searchVoicesV2 },
  { method: 'GET', pattern: /^\/v1\/voices\/settings\/default$/, handle: getDefaultVoiceSettings },
  { method: 'GET', pattern: new RegExp(`^/v1/voices/${VOICE_ID}$`), handle: getVoice },
  { method: 'GET', pattern: new RegExp(`^/v1/voices/${VOICE_ID}/settings$`), handle: getVoiceSettings },
  { method: 'GET', pattern: /^\/v1\/models$/, handle: listModels },
  { method: 'GET', pattern: /^\/v1\/user$/, handle: getUser },
  { method: 'GET', pattern: /^\/v1\/user\/subscription$/, handle: getSubscription },
];

function decodeParams(groups: Record<string, string> | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(groups ?? {})) {
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      params[name] = value;
    }
  }
  return params;
}

/** CORS preflight: the API answers browsers from any origin. */
function preflight(exchange: Exchange, allowed: string[]): void {
  exchange.res.writeHead(200, {
    ...COMMON_HEADERS,
    'access-control-allow-methods': allowed.join(', '),
    'access-control-allow-headers': exchange.req.headers['access-control-request-headers'] ?? '*',
    'access-control-max-age': '600',
    'content-length': '0',
  });
  exchange.res.end();
}

export async function route(exchange: Exchange): Promise<void> {
  const path = exchange.url.pathname;
  const matches = ROUTES.filter((candidate) => candidate.pattern.test(path));
  if (matches.length === 0) return sendError(exchange, plainError(404));
  const method = exchange.req.method ?? 'GET';
  const allowed = [...new Set(matches.map((candidate) => candidate.method))];
  if (method === 'OPTIONS') return preflight(exchange, allowed);
  const match = matches.find((candidate) => candidate.method === method);
  if (!match) return sendError(exchange, plainError(405, { allow: allowed.join(', ') }));
  exchange.params = decodeParams(match.pattern.exec(path)?.groups);
  await match.handle(exchange);
}
