/** Where the page finds its server. One build serves every deployment: config.json decides. */
export interface PageConfig {
  /** Absolute http(s) URL of the REST API, without a trailing slash. */
  apiBase: string;
  /** Absolute ws(s) URL of the live channel. */
  wsUrl: string;
  /** Absolute http(s) URL of the health check. */
  healthUrl: string;
  title: string;
  /** The server says every API call needs a token, so the page can ask before the first 401. */
  requiresAuth: boolean;
}

interface RawConfig {
  requiresAuth?: unknown;
  apiBase?: unknown;
  wsUrl?: unknown;
  healthUrl?: unknown;
  title?: unknown;
}

const DEFAULTS = { apiBase: './api/v1', wsUrl: './ws', healthUrl: './health', title: 'Jessica' };

/**
 * Turns config.json values into absolute URLs. Relative values resolve against the page, so
 * `./api/v1` works under any root path and `/api/v1` pins the origin's root.
 *
 * @example
 * resolveConfig({ wsUrl: './ws' }, 'https://example.org/jessica/').wsUrl // 'wss://example.org/jessica/ws'
 */
export function resolveConfig(raw: RawConfig, pageUrl: string): PageConfig {
  const pick = (value: unknown, fallback: string): string => (typeof value === 'string' && value.trim() ? value.trim() : fallback);
  const http = (value: string): string => new URL(value, pageUrl).href;
  const ws = new URL(pick(raw.wsUrl, DEFAULTS.wsUrl), pageUrl);
  // Browsers before 2024 refuse http(s) URLs in the WebSocket constructor.
  if (ws.protocol === 'http:') ws.protocol = 'ws:';
  if (ws.protocol === 'https:') ws.protocol = 'wss:';
  return {
    apiBase: http(pick(raw.apiBase, DEFAULTS.apiBase)).replace(/\/+$/, ''),
    wsUrl: ws.href,
    healthUrl: http(pick(raw.healthUrl, DEFAULTS.healthUrl)),
    title: pick(raw.title, DEFAULTS.title),
    requiresAuth: raw.requiresAuth === true,
  };
}

/** Reads config.json beside index.html; a missing or broken file falls back to the defaults. */
export async function loadConfig(pageUrl: string): Promise<PageConfig> {
  try {
    const response = await fetch(new URL('config.json', pageUrl), { cache: 'no-store' });
    if (response.ok) return resolveConfig((await response.json()) as RawConfig, pageUrl);
  } catch {
    // Same as a missing file: the defaults match the live server's layout.
  }
  return resolveConfig({}, pageUrl);
}
