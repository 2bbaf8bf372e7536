/** Response headers every route carries, and the CORS decision, shared by both adapters. */

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-site',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
});

/** The page's policy: scripts and styles from itself only; WebSocket and API on its own origin or the configured ones. */
export function contentSecurityPolicy(connectOrigins: readonly string[] = []): string {
  const connect = ["'self'", ...connectOrigins, ...connectOrigins.map((origin) => origin.replace(/^http/, 'ws'))].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `media-src 'self' blob: https:`,
    `connect-src ${connect}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/**
 * Whether a browser origin may call the API. No Origin header (curl, MCP clients) is fine;
 * the page's own origin is fine; anything else must be listed in JESSICA_ALLOWED_ORIGINS.
 */
export function isOriginAllowed(origin: string | undefined, ownOrigin: string | undefined, allowed: readonly string[] | undefined): boolean {
  if (origin === undefined || origin === '') return true;
  if (ownOrigin !== undefined && origin === ownOrigin) return true;
  return allowed?.includes(origin) ?? false;
}

/** CORS headers for an allowed cross-origin caller; never a wildcard, so credentials stay safe. */
export function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST, PATCH, DELETE, OPTIONS',
    'access-control-allow-headers': 'authorization, content-type, mcp-session-id, mcp-protocol-version, last-event-id',
    'access-control-expose-headers': 'x-jessica-characters, x-jessica-utterance-id, mcp-session-id',
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}
