import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../core/http/openapi.js';
import { TestListener, wsUrl } from '../../support/listener.js';
import { startStack, type Stack } from '../../support/stack.js';

/**
 * What the document says against what the live server answers: for a representative request
 * of each operation (a success and the errors a client meets), the status is one the operation
 * documents and the body fits the schema documented for it.
 */

type Schema = Record<string, unknown>;
interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

const TOKEN = 'tok-alice-openapi';
const document = openApiDocument('test', '') as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

/** The subset of JSON Schema the document uses; returns the problems, none when it fits. */
function validate(value: unknown, schema: Schema, at = '$'): string[] {
  if (typeof schema['$ref'] === 'string') {
    const name = schema['$ref'].replace('#/components/schemas/', '');
    const target = document.components.schemas[name];
    if (!target) return [`${at}: unknown $ref ${schema['$ref']}`];
    return validate(value, { ...target, ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$ref')) }, at);
  }
  const problems: string[] = [];
  if (Array.isArray(schema['allOf'])) for (const part of schema['allOf'] as Schema[]) problems.push(...validate(value, part, at));
  if (Array.isArray(schema['anyOf']) && !(schema['anyOf'] as Schema[]).some((part) => validate(value, part, at).length === 0)) {
    problems.push(`${at}: matches none of anyOf`);
  }
  const types = schema['type'] === undefined ? undefined : ([] as unknown[]).concat(schema['type']);
  if (types && !types.some((type) => typeMatches(value, type))) return [...problems, `${at}: ${JSON.stringify(value)?.slice(0, 80)} is not ${types.join('|')}`];
  if (Array.isArray(schema['enum']) && !schema['enum'].includes(value)) problems.push(`${at}: ${JSON.stringify(value)} is not one of ${schema['enum'].join(', ')}`);
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) problems.push(`${at}: below ${schema['minimum']}`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) problems.push(`${at}: above ${schema['maximum']}`);
  }
  if (Array.isArray(value) && schema['items']) value.forEach((item, index) => problems.push(...validate(item, schema['items'] as Schema, `${at}[${index}]`)));
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const key of (schema['required'] ?? []) as string[]) if (!(key in record)) problems.push(`${at}: missing ${key}`);
    for (const [key, item] of Object.entries(record)) {
      if (properties[key]) problems.push(...validate(item, properties[key], `${at}.${key}`));
      else if (schema['additionalProperties'] === false) problems.push(`${at}: unexpected ${key}`);
      else if (typeof schema['additionalProperties'] === 'object') problems.push(...validate(item, schema['additionalProperties'] as Schema, `${at}.${key}`));
    }
  }
  return problems;
}

function typeMatches(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}

interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

async function answerOf(response: Response): Promise<Answer> {
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: Buffer.from(await response.arrayBuffer()) };
}

/** The answer fits the operation: a documented status, a documented media type, a body that fits its schema. */
function expectDocumented(path: string, method: string, answer: Answer, expectedStatus: number, expectedCode?: string): void {
  const operation = document.paths[path]?.[method];
  expect(operation, `${method} ${path} is documented`).toBeDefined();
  expect(answer.status, `${operation!.operationId}: ${answer.body.toString('utf8').slice(0, 200)}`).toBe(expectedStatus);
  const documented = operation!.responses[String(answer.status)];
  expect(documented, `${operation!.operationId} documents ${answer.status}`).toBeDefined();
  const mediaType = answer.contentType.split(';')[0]!.trim();
  const content = documented!.content ?? {};
  expect(Object.keys(content), `${operation!.operationId} ${answer.status} documents ${mediaType}`).toContain(mediaType);
  if (mediaType === 'application/json') {
    const body: unknown = JSON.parse(answer.body.toString('utf8'));
    expect(validate(body, content[mediaType]!.schema!), `${operation!.operationId} ${answer.status}`).toEqual([]);
    if (expectedCode) expect((body as { error: { code: string } }).error.code).toBe(expectedCode);
  } else {
    expect(answer.body.length).toBeGreaterThan(0);
  }
  exercised.add(operation!.operationId);
}

const exercised = new Set<string>();
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ JESSICA_TOKENS: `alice:${TOKEN}` });
});
afterAll(() => stack?.close());

const call = async (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; token?: string | null } = {}) =>
  answerOf(await stack.request(`/api/v1${path}`, { ...init, token: init.token === null ? undefined : (init.token ?? TOKEN) }));

describe('the schema check used below', () => {
  it('refuses bodies that do not fit: a wrong code, a missing field, an extra field, a wrong type', () => {
    const settings = { default_voice_id: 'v', default_model_id: 'm', output_format: 'mp3_44100_128', voice_settings: null, auto_play: true };
    expect(validate(settings, { $ref: '#/components/schemas/Settings' })).toEqual([]);
    expect(validate({ ...settings, voice_settings: { speed: 3 } }, { $ref: '#/components/schemas/Settings' })).not.toEqual([]);
    expect(validate({ ...settings, auto_play: 'yes' }, { $ref: '#/components/schemas/Settings' })).not.toEqual([]);
    expect(validate({ error: { code: 'nope', message: 'x' } }, { $ref: '#/components/schemas/Error' })).not.toEqual([]);
    expect(validate({ voice_id: 'v', name: 'n', category: 'c', labels: {} }, { $ref: '#/components/schemas/Voice' })).toEqual(['$: missing preview_url']);
    expect(validate({ stopped: 1, extra: true }, (document.paths['/stop']!['post']!.responses['200']!.content!['application/json']!.schema)!)).toEqual(['$: unexpected extra']);
  });
});

describe('the OpenAPI document against the live server', () => {
  it('documents the catalogue answers: voices, a voice’s own settings, models', async () => {
    expectDocumented('/voices', 'get', await call('/voices?search=jess'), 200);
    expectDocumented('/voices', 'get', await call('/voices', { token: null }), 401, 'unauthorized');
    expectDocumented('/voices/{voice_id}/settings', 'get', await call('/voices/cgSgspJ2msm6clMCkdW9/settings'), 200);
    expectDocumented('/voices/{voice_id}/settings', 'get', await call('/voices/Nobody/settings'), 400, 'unknown_voice');
    expectDocumented('/models', 'get', await call('/models'), 200);
  });

  it('documents synthesis, its refusals and the upstream’s failures', async () => {
    expectDocumented('/tts', 'post', await call('/tts', { body: { text: 'Hello.' } }), 200);
    expectDocumented('/tts', 'post', await call('/tts', { body: { text: 'Hi.', output_format: 'pcm_24000' } }), 200);
    expectDocumented('/tts', 'post', await call('/tts', { body: { text: '**  **' } }), 400, 'empty_text');
    expectDocumented('/tts', 'post', await call('/tts', { body: 'text=hello', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    expectDocumented('/tts', 'post', await call('/tts', { body: { text: 'x'.repeat(300 * 1024) } }), 413, 'payload_too_large');
    expectDocumented('/tts/stream', 'post', await call('/tts/stream', { body: { text: 'Streamed.' } }), 200);
    expectDocumented('/tts/stream', 'post', await call('/tts/stream', { body: { text: 'Hi.', voice_settings: { speed: 9 } } }), 400, 'invalid_request');
    stack.fake.inject({ kind: 'quota_exceeded' }, { times: 1 });
    expectDocumented('/tts', 'post', await call('/tts', { body: { text: 'Quota, please.' } }), 502, 'upstream_quota_exceeded');
  });

  it('documents live playback: no listener, a listener, stop', async () => {
    expectDocumented('/speak', 'post', await call('/speak', { body: { text: 'Anyone?' } }), 409, 'no_listeners');
    const listener = await TestListener.connect(wsUrl(stack.url('/ws'), ''), { token: TOKEN });
    try {
      expectDocumented('/speak', 'post', await call('/speak', { body: { text: 'Someone.' } }), 202);
      expectDocumented('/stop', 'post', await call('/stop', { method: 'POST' }), 200);
    } finally {
      listener.ws.close();
    }
  });

  it('documents settings: read, set, cleared back to the voice’s own, refused', async () => {
    expectDocumented('/settings', 'get', await call('/settings'), 200);
    const set = await call('/settings', { method: 'PATCH', body: { voice_settings: { speed: 1.1 } } });
    expectDocumented('/settings', 'patch', set, 200);
    expect(JSON.parse(set.body.toString('utf8'))).toMatchObject({ voice_settings: { speed: 1.1 } });
    const cleared = await call('/settings', { method: 'PATCH', body: { voice_settings: null } });
    expectDocumented('/settings', 'patch', cleared, 200);
    expect(JSON.parse(cleared.body.toString('utf8'))).toMatchObject({ voice_settings: null });
    expectDocumented('/settings', 'patch', await call('/settings', { method: 'PATCH', body: { default_voice_id: 'Nobody' } }), 400, 'unknown_voice');
    expectDocumented('/settings', 'patch', await call('/settings', { method: 'PATCH', body: { volume: 11 } }), 400, 'invalid_request');
  });

  it('documents usage and the document itself', async () => {
    expectDocumented('/usage', 'get', await call('/usage'), 200);
    expectDocumented('/openapi.json', 'get', await call('/openapi.json'), 200);
  });

  it('documents the refusal of a foreign Origin and of a foreign Host', async () => {
    expectDocumented('/settings', 'get', await call('/settings', { headers: { origin: 'http://evil.example' } }), 403, 'forbidden_origin');
    // fetch() sets Host itself; node:http lets the test send the one a rebinding page would.
    const url = new URL(stack.url('/api/v1/settings'));
    const answer = await new Promise<Answer>((resolve, reject) => {
      const outgoing = httpRequest(url, { headers: { host: 'evil.example:9020', authorization: `Bearer ${TOKEN}` } }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, contentType: String(incoming.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
    expectDocumented('/settings', 'get', answer, 403, 'forbidden_host');
  });

  it('documents rate_limited (429) with Retry-After', async () => {
    const limited = await startStack({ JESSICA_TOKENS: `alice:${TOKEN}`, JESSICA_FLOOD_LIMIT: '1' });
    try {
      let last: Response | undefined;
      // The bucket holds a burst of at least ten: the eleventh request in a row meets the ceiling.
      for (let attempt = 0; attempt < 11; attempt += 1) last = await limited.request('/api/v1/models', { token: TOKEN });
      expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
      expectDocumented('/models', 'get', await answerOf(last!), 429, 'rate_limited');
    } finally {
      await limited.close();
    }
  });

  it('exercised every documented operation above', () => {
    const documented = Object.values(document.paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId));
    expect([...exercised].sort()).toEqual([...documented].sort());
  });
});
