/** Every authenticated route of the HTTP contract, with a body that would be valid for it. */
export interface RouteCase {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const MCP_HEADERS = { accept: 'application/json, text/event-stream' };

export const PROTECTED_ROUTES: readonly RouteCase[] = [
  { method: 'GET', path: '/api/v1/voices' },
  { method: 'GET', path: '/api/v1/voices/cgSgspJ2msm6clMCkdW9/settings' },
  { method: 'GET', path: '/api/v1/models' },
  { method: 'GET', path: '/api/v1/usage' },
  { method: 'GET', path: '/api/v1/openapi.json' },
  { method: 'GET', path: '/api/v1/settings' },
  { method: 'PATCH', path: '/api/v1/settings', body: { auto_play: false } },
  { method: 'POST', path: '/api/v1/tts', body: { text: 'Let me in.' } },
  { method: 'POST', path: '/api/v1/tts/stream', body: { text: 'Let me in.' } },
  { method: 'POST', path: '/api/v1/speak', body: { text: 'Let me in.' } },
  { method: 'POST', path: '/api/v1/stop' },
  { method: 'POST', path: '/mcp', body: { jsonrpc: '2.0', id: 1, method: 'tools/list' }, headers: MCP_HEADERS },
  { method: 'GET', path: '/mcp', headers: MCP_HEADERS },
  { method: 'DELETE', path: '/mcp', headers: MCP_HEADERS },
];

/** Authorization headers that must never let anyone in, given the real token. */
export function badCredentials(valid: string): Array<{ name: string; headers: Record<string, string>; query?: string }> {
  return [
    { name: 'no credentials', headers: {} },
    { name: 'a wrong token', headers: { authorization: 'Bearer not-a-real-token-000' } },
    { name: 'the token with a character added', headers: { authorization: `Bearer ${valid}x` } },
    { name: 'the token with its last character cut', headers: { authorization: `Bearer ${valid.slice(0, -1)}` } },
    { name: 'an empty bearer', headers: { authorization: 'Bearer ' } },
    { name: 'the token without the Bearer scheme', headers: { authorization: valid } },
    { name: 'the token as Basic credentials', headers: { authorization: `Basic ${Buffer.from(`user:${valid}`).toString('base64')}` } },
    { name: 'two bearer tokens', headers: { authorization: `Bearer ${valid}, Bearer ${valid}` } },
    { name: 'the token in the query string (WebSocket only)', headers: {}, query: `token=${encodeURIComponent(valid)}` },
    { name: 'the principal name instead of the token', headers: { authorization: 'Bearer alice' } },
  ];
}
