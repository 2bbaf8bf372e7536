import fc from 'fast-check';
import { composeJessica } from '../../core/compose.js';
import { loadConfig, type Config } from '../../core/config.js';
import { ERROR_STATUS, isErrorCode } from '../../core/errors.js';
import { createApiHandler, type ApiRequest, type ApiResponse } from '../../core/http/api.js';
import { SECURITY_HEADERS } from '../../core/http/headers.js';
import { LiveHub } from '../../core/live/hub.js';
import { noMetrics, type Logger } from '../../core/ports.js';
import { OUTPUT_FORMATS } from '../../core/types.js';
import type { FakeElevenLabs } from '../fake-elevenlabs/index.js';

/** Tokens and key every fuzz target knows, so responses and logs can be scanned for them. */
export const FUZZ_TOKENS = { alice: 'fuzz-alice-token-5f1c2d9e', bob: 'fuzz-bob-token-8a7b6c5d' } as const;
export const FUZZ_TOKENS_ENV = `alice:${FUZZ_TOKENS.alice},bob:${FUZZ_TOKENS.bob}`;
export const OWN_ORIGIN = 'http://127.0.0.1:9020';
/** The Host a browser on the page sends with OWN_ORIGIN. */
export const OWN_HOST = new URL(OWN_ORIGIN).host;
export const ALLOWED_ORIGIN = 'https://allowed.example';

/** How many cases each property runs; the total across the suite is at least 10 000. */
export const RUNS = {
  restDirect: 6_500,
  restSockets: 600,
  rawSockets: 150,
  wsText: 2_000,
  wsBinary: 300,
  wsInvalidUtf8: 60,
  wsOversized: 40,
  wsFlood: 12,
  mcpDirect: 1_200,
} as const;

export interface LoggedError {
  message: string;
  extra: unknown[];
}

/** createApiHandler over a core wired to the fake upstream, as the live server wires it (hub included). */
export function directHandler(fake: FakeElevenLabs, env: Record<string, string> = {}) {
  const config: Config = loadConfig({
    ELEVENLABS_BASE_URL: fake.url,
    ELEVENLABS_API_KEY: fake.apiKey,
    JESSICA_SETTINGS: 'memory:',
    JESSICA_TOKENS: FUZZ_TOKENS_ENV,
    JESSICA_ALLOWED_ORIGINS: ALLOWED_ORIGIN,
    JESSICA_RATE_LIMIT: '1000000',
    JESSICA_UPSTREAM_TIMEOUT_MS: '3000',
    ...env,
  });
  const errors: LoggedError[] = [];
  const logger: Logger = { debug() {}, info() {}, warn() {}, error: (message, ...extra) => errors.push({ message, extra }) };
  const jessica = composeJessica({
    config,
    version: '0.0.0-fuzz',
    logger,
    metrics: noMetrics,
    live: (speech) => new LiveHub({ audio: (plan, signal) => speech.audio(plan, signal), maxBufferedBytes: 1024 * 1024, logger, metrics: noMetrics }),
  });
  return { api: createApiHandler({ jessica, config, logger }), errors, config };
}

/** Reads whatever body a response has, so streams run to their end. */
export async function drain(response: ApiResponse): Promise<{ json?: unknown; bytes: number }> {
  const { body } = response;
  switch (body.kind) {
    case 'json':
      return { json: body.value, bytes: JSON.stringify(body.value).length };
    case 'bytes':
      return { bytes: body.value.byteLength };
    case 'empty':
      return { bytes: 0 };
    case 'stream': {
      let bytes = 0;
      for await (const chunk of body.value) bytes += chunk.byteLength;
      return { bytes };
    }
  }
}

const STACK_TRACE = /\n\s+at\s|\(file:\/\/|node:internal|\.ts:\d+:\d+/;

/**
 * Problems with an error body against SPEC §4: `{"error": {"code", "message"}}`, a code from the
 * table whose status matches, a message for humans without a stack trace or a secret.
 */
export function specErrorProblems(status: number, value: unknown, secrets: readonly string[]): string[] {
  const problems: string[] = [];
  const error = (value as { error?: unknown } | null)?.error as { code?: unknown; message?: unknown } | undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof error !== 'object' || error === null) {
    return [`error body is not {error: {...}}: ${JSON.stringify(value)?.slice(0, 200)}`];
  }
  if (Object.keys(value).length !== 1) problems.push(`error body has extra top-level keys: ${Object.keys(value).join(',')}`);
  if (!isErrorCode(error.code)) problems.push(`unknown error code ${String(error.code)}`);
  else if (ERROR_STATUS[error.code] !== status) problems.push(`code ${error.code} carries ${ERROR_STATUS[error.code]} but the status is ${status}`);
  if (typeof error.message !== 'string' || error.message.length === 0) problems.push('error message missing');
  else if (STACK_TRACE.test(error.message)) problems.push(`error message looks like a stack trace: ${error.message.slice(0, 200)}`);
  const text = JSON.stringify(value);
  for (const secret of secrets) if (text.includes(secret)) problems.push('error body contains a secret');
  return problems;
}

/** Problems with any response of the core's HTTP contract to untrusted input. */
export async function responseProblems(response: ApiResponse, secrets: readonly string[], path: string): Promise<string[]> {
  const problems: string[] = [];
  if (!Number.isInteger(response.status) || response.status < 200 || response.status > 599) problems.push(`bad status ${response.status}`);
  if (response.status >= 500) problems.push(`5xx: ${response.status}`);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (response.headers[name] !== value) problems.push(`missing security header ${name}`);
  }
  if (response.headers['access-control-allow-origin'] === '*') problems.push('wildcard CORS');
  for (const secret of secrets) {
    if (Object.values(response.headers).some((value) => value.includes(secret))) problems.push('a header contains a secret');
  }
  const drained = await drain(response);
  if (response.status >= 400) {
    // Trailing slashes name the same route (`/mcp/` is `/mcp`).
    const isMcpTransportError = path.replace(/\/+$/, '') === '/mcp' && isJsonRpcError(drained.json ?? decodeJson(response));
    if (!isMcpTransportError) {
      if (response.body.kind !== 'json') problems.push(`error ${response.status} without a JSON body (${response.body.kind})`);
      else problems.push(...specErrorProblems(response.status, drained.json, secrets));
    }
  }
  return problems;
}

function decodeJson(response: ApiResponse): unknown {
  if (response.body.kind !== 'bytes') return undefined;
  try {
    return JSON.parse(Buffer.from(response.body.value).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The MCP transport answers protocol mistakes (wrong Accept, not JSON-RPC) in JSON-RPC's own error shape. */
export function isJsonRpcError(value: unknown): boolean {
  const record = value as { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  return record?.jsonrpc === '2.0' && typeof record.error?.code === 'number' && typeof record.error.message === 'string';
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

export const KNOWN_PATHS = [
  '/health',
  '/api/v1/voices',
  '/api/v1/models',
  '/api/v1/usage',
  '/api/v1/openapi.json',
  '/api/v1/settings',
  '/api/v1/tts',
  '/api/v1/tts/stream',
  '/api/v1/speak',
  '/api/v1/stop',
  '/mcp',
] as const;

const weirdText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\uFEFF', '\uD800', '../../etc/passwd', '%00', '%2e%2e%2f', '<script>alert(1)</script>', '${jndi:ldap://x}', "' OR 1=1 --", '__proto__', 'constructor', 'NaN', '1e309', '-0'),
);

/** Text that mostly repeats, so valid requests hit the audio cache instead of the upstream. */
const speechText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('Hello.', 'Build finished.', '# Done\n\n- one\n- two', '```js\nconsole.log(1)\n```', 'See https://example.com/x?y=1.', '', '   ', '**bold** _it_ `code`', 'Ünïcödé ✓ 日本語 🎉') },
  { weight: 1, arbitrary: weirdText },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
);

const voiceRef = fc.oneof(
  fc.constantFrom('Jessica', 'george', 'SARAH', 'cgSgspJ2msm6clMCkdW9', 'JBFqnCBsd6RMkjVDRZzb', 'No Such Voice', 'AAAAAAAAAAAAAAAAAAAA', ' ', ''),
  weirdText,
  fc.anything({ maxDepth: 1 }),
);
const modelRef = fc.oneof(fc.constantFrom('eleven_flash_v2_5', 'ELEVEN_MULTILINGUAL_V2', 'eleven_v3', 'no_such_model', ''), weirdText, fc.integer());
const outputFormat = fc.oneof(fc.constantFrom(...OUTPUT_FORMATS), fc.constantFrom('wav_44100', 'mp3', 'MP3_44100_128', ''), weirdText, fc.integer());
const unit = fc.oneof(fc.double({ noNaN: false }), fc.constantFrom(0, 1, 0.5, -1, 2, 1e308, Number.MIN_VALUE), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null));
const voiceSettings = fc.oneof(
  fc.record(
    { stability: unit, similarity_boost: unit, style: unit, use_speaker_boost: fc.oneof(fc.boolean(), unit), speed: fc.oneof(fc.double({ min: 0.5, max: 1.5 }), unit), extra: fc.anything({ maxDepth: 1 }) },
    { requiredKeys: [] },
  ),
  fc.anything({ maxDepth: 2 }),
);
const pollution = fc.constantFrom<Record<string, unknown>>({}, { __proto__: { admin: true } }, JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, unknown>, { constructor: { prototype: { polluted: true } } });

export const synthesisBody = fc
  .tuple(
    fc.record(
      { text: speechText, voice: voiceRef, voice_id: voiceRef, model: modelRef, model_id: modelRef, output_format: outputFormat, voice_settings: voiceSettings },
      { requiredKeys: [] },
    ),
    pollution,
  )
  .map(([body, extra]) => ({ ...extra, ...body }));

export const settingsPatch = fc.record(
  {
    default_voice_id: voiceRef,
    default_model_id: modelRef,
    output_format: outputFormat,
    voice_settings: voiceSettings,
    auto_play: fc.oneof(fc.boolean(), unit),
    unknown_field: fc.anything({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);

/** A JSON document nested `depth` levels deep, e.g. `[[[…]]]`. */
export const deepJson = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

export const rawBody: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: synthesisBody.map((body) => JSON.stringify(body)) },
  { weight: 3, arbitrary: settingsPatch.map((body) => JSON.stringify(body)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: weirdText },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  // Invalid UTF-8 inside what is otherwise JSON.
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xc3, 0x28, 0xff, ...bytes]), Buffer.from('"}')])) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((depth) => deepJson(depth)) },
  { weight: 1, arbitrary: fc.constantFrom('{"text": "a"', '{"text": "hi"}}', '\u0000', 'null', '[]', '"text"', '{"text": 1e999}', '{"text":"\\ud800"}') },
);

const tokenHeader = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(`Bearer ${FUZZ_TOKENS.alice}`, `Bearer ${FUZZ_TOKENS.bob}`, `bearer ${FUZZ_TOKENS.alice}`) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: weirdText.map((text) => `Bearer ${text}`) },
  { weight: 1, arbitrary: weirdText },
  { weight: 1, arbitrary: fc.constantFrom(`Bearer ${FUZZ_TOKENS.alice}x`, `Basic ${FUZZ_TOKENS.alice}`, `Bearer ${FUZZ_TOKENS.alice} ${FUZZ_TOKENS.bob}`, 'Bearer', `${'Bearer '.repeat(50)}x`) },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom('application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'application/vnd.api+json', 'APPLICATION/JSON', 'multipart/form-data; boundary=x', 'application/json;;;') },
  { weight: 1, arbitrary: weirdText },
);

const originHeader = fc.oneof(
  { weight: 5, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom(OWN_ORIGIN, ALLOWED_ORIGIN, 'https://evil.example', 'null', `${ALLOWED_ORIGIN}.evil.example`, '') },
  { weight: 1, arbitrary: fc.webUrl() },
);

const pathArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...KNOWN_PATHS) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...KNOWN_PATHS), fc.constantFrom('/', '//', '/..', '/%2e%2e', '.json', 'X', '?', '#', '/\u0000', '%00')).map(([path, suffix]) => path + suffix) },
  { weight: 1, arbitrary: fc.constantFrom(...KNOWN_PATHS).map((path) => path.toUpperCase()) },
  { weight: 1, arbitrary: fc.webPath() },
  { weight: 1, arbitrary: weirdText.map((text) => `/${text}`) },
);

const methodArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS', 'HEAD') },
  { weight: 1, arbitrary: fc.constantFrom('TRACE', 'CONNECT', 'get', 'post', 'PROPFIND', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const queryArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.dictionary(fc.constantFrom('search', 'token', 'q', 'voice', 'a'), weirdText, { maxKeys: 3 }).map((entries) => new URLSearchParams(entries).toString()) },
  { weight: 1, arbitrary: weirdText.map((text) => [...Buffer.from(text)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')) },
  { weight: 1, arbitrary: fc.constantFrom(`token=${FUZZ_TOKENS.alice}`, 'search=%ZZ', 'search=' + 'a'.repeat(5000), 'search&search=&search=x', '%%%') },
);

const extraHeaders = fc.dictionary(
  fc.constantFrom('x-forwarded-proto', 'x-forwarded-host', 'cookie', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'x-anything', 'content-encoding'),
  fc.oneof(weirdText, fc.constantFrom('application/json, text/event-stream', 'gzip', 'https', '2025-06-18')),
  { maxKeys: 3 },
);

export interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

export const requestArb: fc.Arbitrary<FuzzRequest> = fc
  .record({ method: methodArb, path: pathArb, query: queryArb, authorization: tokenHeader, contentType, origin: originHeader, extra: extraHeaders, body: rawBody })
  .map(({ method, path, query, authorization, contentType: type, origin, extra, body }) => {
    const headers: Record<string, string> = { ...extra };
    if (authorization !== undefined) headers['authorization'] = authorization;
    if (type !== undefined) headers['content-type'] = type;
    if (origin !== undefined) headers['origin'] = origin;
    return { method, path, query, headers, body };
  });

export function toApiRequest(request: FuzzRequest): ApiRequest {
  return {
    method: request.method,
    path: request.path,
    query: new URLSearchParams(request.query),
    headers: { host: OWN_HOST, ...request.headers },
    body: request.body,
    origin: OWN_ORIGIN,
  };
}

/** Rejects if `promise` has not settled in time: a hang is a failure, not a slow pass. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
