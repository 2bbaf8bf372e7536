import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rpcMessageOf } from '../../support/mcp-wire.js';
import { LruAudioCache } from '../../../core/cache/lru.js';
import { createApiHandler, describeError, type ApiRequest, type ApiResponse } from '../../../core/http/api.js';
import { MAX_BODY_BYTES } from '../../../core/http/body.js';
import { SECURITY_HEADERS } from '../../../core/http/headers.js';
import { createJessica } from '../../../core/jessica.js';
import { LiveHub } from '../../../core/live/hub.js';
import { noMetrics, silentLogger, type SettingsStore } from '../../../core/ports.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../../fake-elevenlabs/index.js';
import { clientFor, collect, configFor, FakeListener, GEORGE_ID, jessicaFor, recordingLogger, recordingMetrics } from '../support/fakes.js';

const OWN_ORIGIN = 'http://127.0.0.1:9020';
const ALICE = 'alice-token-123456';
const BOB = 'bob-token-abcdefgh';

let fake: FakeElevenLabs;

beforeAll(async () => {
  fake = await startFakeElevenLabs();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

function request(overrides: Partial<ApiRequest> & { json?: unknown } = {}): ApiRequest {
  const { json, ...rest } = overrides;
  const headers: Record<string, string | undefined> = {
    host: new URL(OWN_ORIGIN).host,
    ...(json === undefined ? {} : { 'content-type': 'application/json' }),
    ...rest.headers,
  };
  return {
    method: json === undefined ? 'GET' : 'POST',
    path: '/health',
    query: new URLSearchParams(),
    body: json === undefined ? undefined : JSON.stringify(json),
    origin: OWN_ORIGIN,
    ...rest,
    headers,
  };
}

function bodyOf(response: ApiResponse): unknown {
  if (response.body.kind === 'json') return response.body.value;
  if (response.body.kind === 'bytes') return JSON.parse(Buffer.from(response.body.value).toString('utf8')) as unknown;
  throw new Error(`no JSON body: ${response.body.kind}`);
}

function errorCode(response: ApiResponse): string {
  return (bodyOf(response) as { error: { code: string } }).error.code;
}

function handlerFor(env: Record<string, string | undefined> = {}, options: { live?: boolean; logger?: ReturnType<typeof recordingLogger> } = {}) {
  let hub: LiveHub | undefined;
  const { jessica, config } = jessicaFor(fake, env, options.live
    ? { live: (speech) => (hub = new LiveHub({ audio: (plan, signal) => speech.audio(plan, signal), maxBufferedBytes: 1 << 20, logger: silentLogger, metrics: recordingMetrics() })) }
    : {});
  const handle = createApiHandler({ jessica, config, logger: options.logger ?? silentLogger });
  return { handle, jessica, config, hub };
}

describe('routes', () => {
  it('answers GET /health without auth, with the security headers and no caching', async () => {
    const { handle } = handlerFor({ JESSICA_TOKENS: `alice:${ALICE}` });
    const response = await handle(request());
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toEqual({ status: 'ok', version: '9.9.9-test', target: 'fargate', upstream: { configured: true } });
    expect(response.headers).toMatchObject({ ...SECURITY_HEADERS, 'cache-control': 'no-store' });
    expect((await handle(request({ method: 'HEAD' }))).status).toBe(200);
  });

  it('answers 503 on /health while draining', async () => {
    const { handle, jessica } = handlerFor();
    jessica.startDraining();
    const response = await handle(request());
    expect(response.status).toBe(503);
    expect(bodyOf(response)).toMatchObject({ status: 'draining' });
  });

  it('answers 405 with Allow on /health for other methods', async () => {
    const { handle } = handlerFor();
    const response = await handle(request({ method: 'POST' }));
    expect(response.status).toBe(405);
    expect(response.headers['allow']).toBe('GET, HEAD');
    expect(errorCode(response)).toBe('method_not_allowed');
  });

  it('answers 404 not_found for an unknown route, in the SPEC error shape', async () => {
    const { handle } = handlerFor();
    const response = await handle(request({ path: '/api/v1/nothing' }));
    expect(response.status).toBe(404);
    expect(bodyOf(response)).toEqual({ error: { code: 'not_found', message: 'No route /api/v1/nothing.' } });
    expect(response.headers).toMatchObject(SECURITY_HEADERS);
  });

  it('answers 405 method_not_allowed with the allowed methods', async () => {
    const { handle } = handlerFor();
    const settings = await handle(request({ method: 'DELETE', path: '/api/v1/settings' }));
    expect(settings.status).toBe(405);
    expect(settings.headers['allow']).toBe('GET, PATCH');
    const tts = await handle(request({ method: 'GET', path: '/api/v1/tts' }));
    expect(tts.headers['allow']).toBe('POST');
    expect(errorCode(tts)).toBe('method_not_allowed');
  });

  it('finds no inherited member for a path or method named like one', async () => {
    const { handle } = handlerFor();
    for (const path of ['__proto__', 'constructor', 'toString']) {
      const response = await handle(request({ path }));
      expect([response.status, errorCode(response)]).toEqual([404, 'not_found']);
    }
    for (const method of ['__proto__', 'constructor', 'hasOwnProperty']) {
      const response = await handle(request({ method, path: '/api/v1/models' }));
      expect([response.status, errorCode(response), response.headers['allow']]).toEqual([405, 'method_not_allowed', 'GET']);
    }
  });

  it('answers OPTIONS on a known route with 204 and no body, before auth', async () => {
    const { handle } = handlerFor({ JESSICA_TOKENS: `alice:${ALICE}` });
    const response = await handle(request({ method: 'OPTIONS', path: '/api/v1/tts' }));
    expect(response.status).toBe(204);
    expect(response.body.kind).toBe('empty');
  });

  it('lists voices, searched, and TTS-capable models with their limits', async () => {
    const { handle } = handlerFor();
    const voices = bodyOf(await handle(request({ path: '/api/v1/voices', query: new URLSearchParams({ search: 'george' }) }))) as { voices: Array<{ voice_id: string }> };
    expect(voices.voices.map((voice) => voice.voice_id)).toEqual([GEORGE_ID]);
    const models = bodyOf(await handle(request({ path: '/api/v1/models' }))) as { models: Array<Record<string, unknown>> };
    expect(models.models.length).toBeGreaterThan(0);
    for (const model of models.models) expect(Object.keys(model).sort()).toEqual(['languages', 'max_characters', 'model_id', 'name']);
  });

  it("answers a voice's own settings by id or by name, and refuses what is no voice id", async () => {
    const { handle } = handlerFor();
    const own = { stability: 0.6, similarity_boost: 0.8, style: 0, use_speaker_boost: true, speed: 1 };
    const byId = await handle(request({ path: '/api/v1/voices/kP3nWq8RzT1vLm6sXy0D/settings' }));
    expect({ status: byId.status, body: bodyOf(byId) }).toEqual({ status: 200, body: own });
    expect(bodyOf(await handle(request({ path: '/api/v1/voices/My%20Narrator/settings' })))).toEqual(own);
    const cases: Array<[string, number, string]> = [
      ['/api/v1/voices/Nobody/settings', 400, 'unknown_voice'],
      ['/api/v1/voices/%C0/settings', 400, 'invalid_request'],
      ['/api/v1/voices/a/b/settings', 404, 'not_found'],
      ['/api/v1/voices//settings', 404, 'not_found'],
      ['/api/v1/voices/x/settings/more', 404, 'not_found'],
    ];
    for (const [path, status, code] of cases) {
      const response = await handle(request({ path }));
      expect({ path, status: response.status, code: errorCode(response) }).toEqual({ path, status, code });
    }
    const wrongMethod = await handle(request({ path: '/api/v1/voices/x/settings', method: 'PATCH', json: {} }));
    expect([wrongMethod.status, wrongMethod.headers['allow']]).toEqual([405, 'GET']);
  });

  it('reports usage', async () => {
    fake.setSubscription({ character_count: 5, character_limit: 50 });
    const { handle } = handlerFor();
    expect(bodyOf(await handle(request({ path: '/api/v1/usage' })))).toMatchObject({ character_count: 5, character_limit: 50, remaining: 45 });
  });

  it('serves the OpenAPI document with the root path in its server URL', async () => {
    const { handle } = handlerFor({ ROOT_PATH: '/jessica' });
    const document = bodyOf(await handle(request({ path: '/api/v1/openapi.json' }))) as { openapi: string; servers: Array<{ url: string }>; info: { version: string } };
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: '/jessica/api/v1' }]);
    expect(document.info.version).toBe('9.9.9-test');
  });

  it('returns the whole audio for POST /tts with the Jessica headers', async () => {
    const { handle } = handlerFor();
    const response = await handle(request({ path: '/api/v1/tts', json: { text: 'Hello **there**, friend.' } }));
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': 'audio/mpeg', 'cache-control': 'no-store', 'x-jessica-characters': String('Hello there, friend.'.length) });
    expect(response.headers['x-jessica-utterance-id']).toMatch(/^utt_/);
    expect(response.body.kind).toBe('bytes');
    if (response.body.kind === 'bytes') expect(Buffer.from(response.body.value).equals(fake.sentAudio[0]!.bytes)).toBe(true);
  });

  it('streams the audio for POST /tts/stream, the first chunk before the upstream is done', async () => {
    const { handle } = handlerFor();
    const held = fake.hold();
    const response = await handle(request({ path: '/api/v1/tts/stream', json: { text: 'Hello there, friend.', voice: 'George' } }));
    expect(response.status).toBe(200);
    expect(response.body.kind).toBe('stream');
    expect(fake.sentAudio[0]?.completed).toBe(false);
    held.release();
    if (response.body.kind === 'stream') expect((await collect(response.body.value)).equals(fake.sentAudio[0]!.bytes)).toBe(true);
  });

  it('maps synthesis errors to their status', async () => {
    const { handle } = handlerFor({ JESSICA_MAX_TEXT: '100' });
    const cases: Array<[unknown, number, string]> = [
      [{ text: '   ' }, 400, 'empty_text'],
      [{ text: 'x'.repeat(101) }, 400, 'text_too_long'],
      [{ text: 'Hi', voice: 'Nobody' }, 400, 'unknown_voice'],
      [{ text: 'Hi', model: 'nothing' }, 400, 'unknown_model'],
      [{ voice: 'George' }, 400, 'invalid_request'],
    ];
    for (const [json, status, code] of cases) {
      const response = await handle(request({ path: '/api/v1/tts', json }));
      expect([response.status, errorCode(response)]).toEqual([status, code]);
    }
    fake.inject({ kind: 'stall' });
    const { handle: impatient } = handlerFor({ JESSICA_UPSTREAM_TIMEOUT_MS: '300' });
    const timeout = await impatient(request({ path: '/api/v1/tts/stream', json: { text: 'Hello there, friend.' } }));
    expect([timeout.status, errorCode(timeout)]).toEqual([504, 'upstream_timeout']);
  });

  it('passes a retry-after on as a header', async () => {
    fake.inject({ kind: 'retry_after', seconds: 30 });
    const { handle } = handlerFor();
    const response = await handle(request({ path: '/api/v1/tts', json: { text: 'Hello there, friend.' } }));
    expect([response.status, errorCode(response), response.headers['retry-after']]).toEqual([503, 'upstream_busy', '30']);
  });

  it('answers 503 upstream_not_configured without a key', async () => {
    const { handle } = handlerFor({ ELEVENLABS_API_KEY: undefined });
    const response = await handle(request({ path: '/api/v1/tts', json: { text: 'Hello there.' } }));
    expect([response.status, errorCode(response)]).toEqual([503, 'upstream_not_configured']);
  });

  it('reads and changes the caller’s settings', async () => {
    const { handle } = handlerFor();
    const patched = await handle(request({ method: 'PATCH', path: '/api/v1/settings', json: { default_voice_id: 'george', auto_play: false } }));
    expect(patched.status).toBe(200);
    expect(bodyOf(patched)).toMatchObject({ default_voice_id: GEORGE_ID, auto_play: false });
    expect(bodyOf(await handle(request({ path: '/api/v1/settings' })))).toEqual(bodyOf(patched));
    const invalid = await handle(request({ method: 'PATCH', path: '/api/v1/settings', json: { voice_settings: { stability: 1.5 } } }));
    expect([invalid.status, errorCode(invalid)]).toEqual([400, 'invalid_request']);
  });

  it('answers 503 live_channel_unavailable for /speak and /stop without a live path', async () => {
    const { handle } = handlerFor();
    for (const path of ['/api/v1/speak', '/api/v1/stop']) {
      const response = await handle(request({ method: 'POST', path, json: path.endsWith('speak') ? { text: 'Hi.' } : undefined }));
      expect([response.status, errorCode(response)]).toEqual([503, 'live_channel_unavailable']);
    }
  });

  it('queues on the caller’s pages for /speak (202), 409 when none listens, and stops with /stop', async () => {
    const { handle, hub } = handlerFor({}, { live: true });
    const none = await handle(request({ path: '/api/v1/speak', json: { text: 'Hello there.' } }));
    expect([none.status, errorCode(none)]).toEqual([409, 'no_listeners']);
    const page = new FakeListener('page');
    hub!.attach('local', page);
    const held = fake.hold();
    const queued = await handle(request({ path: '/api/v1/speak', json: { text: 'Hello there.' } }));
    expect(queued.status).toBe(202);
    expect(bodyOf(queued)).toEqual({ utterance_id: expect.stringMatching(/^utt_/), listeners: 1 });
    const stopped = await handle(request({ method: 'POST', path: '/api/v1/stop' }));
    held.release();
    expect([stopped.status, bodyOf(stopped)]).toEqual([200, { stopped: 1 }]);
    await hub!.idle();
    expect(page.messages('stopped')).toHaveLength(1);
  });

  it('refuses new speech with 503 draining and a retry-after while draining', async () => {
    const { handle, jessica } = handlerFor();
    jessica.startDraining();
    const response = await handle(request({ path: '/api/v1/tts', json: { text: 'Hello there.' } }));
    expect([response.status, errorCode(response), response.headers['retry-after']]).toEqual([503, 'draining', '5']);
  });
});

describe('bodies', () => {
  it('answers 400 when a route that needs a body gets none', async () => {
    const { handle } = handlerFor();
    const response = await handle(request({ method: 'POST', path: '/api/v1/tts' }));
    expect([response.status, errorCode(response)]).toEqual([400, 'invalid_request']);
  });

  it('answers 415 for a body that is not JSON by its content type', async () => {
    const { handle } = handlerFor();
    for (const type of ['text/plain', undefined]) {
      const response = await handle(request({ method: 'POST', path: '/api/v1/tts', body: '{"text":"Hi"}', headers: { 'content-type': type } }));
      expect([response.status, errorCode(response)]).toEqual([415, 'unsupported_media_type']);
    }
  });

  it('answers 413 for a body over the limit', async () => {
    const { handle } = handlerFor();
    const response = await handle(request({ method: 'POST', path: '/api/v1/tts', body: new Uint8Array(MAX_BODY_BYTES + 1), headers: { 'content-type': 'application/json' } }));
    expect([response.status, errorCode(response)]).toEqual([413, 'payload_too_large']);
  });

  it('answers 400 for malformed JSON', async () => {
    const { handle } = handlerFor();
    const response = await handle(request({ method: 'POST', path: '/api/v1/tts', body: '{"text":', headers: { 'content-type': 'application/json; charset=utf-8' } }));
    expect([response.status, errorCode(response)]).toEqual([400, 'invalid_request']);
  });

  it('accepts a JSON body given as bytes', async () => {
    const { handle } = handlerFor();
    const response = await handle(request({ method: 'POST', path: '/api/v1/tts', body: new TextEncoder().encode('{"text":"Hello there, friend."}'), headers: { 'content-type': 'application/json' } }));
    expect(response.status).toBe(200);
  });
});

describe('origins', () => {
  it('refuses a foreign browser origin with 403 forbidden_origin and no CORS headers', async () => {
    const { handle } = handlerFor();
    for (const path of ['/health', '/api/v1/voices', '/mcp']) {
      const response = await handle(request({ path, headers: { origin: 'https://evil.example' } }));
      expect([response.status, errorCode(response)]).toEqual([403, 'forbidden_origin']);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('serves its own origin and callers without an origin, without CORS headers', async () => {
    const { handle } = handlerFor();
    for (const origin of [OWN_ORIGIN, undefined, '']) {
      const response = await handle(request({ path: '/api/v1/models', headers: { origin } }));
      expect(response.status).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('answers an allowed origin with CORS headers naming it, never a wildcard', async () => {
    const { handle } = handlerFor({ JESSICA_ALLOWED_ORIGINS: 'https://app.example,https://other.example' });
    const preflight = await handle(request({ method: 'OPTIONS', path: '/api/v1/tts', headers: { origin: 'https://app.example' } }));
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.example', vary: 'Origin' });
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-expose-headers']).toContain('x-jessica-utterance-id');
    const failed = await handle(request({ path: '/api/v1/nothing', headers: { origin: 'https://other.example' } }));
    expect(failed.headers['access-control-allow-origin']).toBe('https://other.example');
    expect(JSON.stringify([preflight.headers, failed.headers])).not.toContain('"*"');
    const refused = await handle(request({ path: '/api/v1/models', headers: { origin: 'https://app.example.evil' } }));
    expect(refused.status).toBe(403);
  });
});

describe('auth', () => {
  it('answers 401 unauthorized without a valid bearer token', async () => {
    const { handle } = handlerFor({ JESSICA_TOKENS: `alice:${ALICE}` });
    for (const authorization of [undefined, '', `Bearer wrong-token-xyz`, `Basic ${ALICE}`, `Bearer ${ALICE} extra`, 'Bearer']) {
      const response = await handle(request({ path: '/api/v1/settings', headers: { authorization } }));
      expect([response.status, errorCode(response)]).toEqual([401, 'unauthorized']);
    }
  });

  it('ignores a token in the query string on REST routes', async () => {
    const { handle } = handlerFor({ JESSICA_TOKENS: `alice:${ALICE}` });
    const response = await handle(request({ path: '/api/v1/settings', query: new URLSearchParams({ token: ALICE }) }));
    expect(response.status).toBe(401);
  });

  it('keeps each principal’s settings apart', async () => {
    const { handle } = handlerFor({ JESSICA_TOKENS: `alice:${ALICE},bob:${BOB}` });
    const asAlice = { authorization: `Bearer ${ALICE}` };
    const asBob = { authorization: `bearer   ${BOB}` };
    await handle(request({ method: 'PATCH', path: '/api/v1/settings', json: { auto_play: false }, headers: asAlice }));
    expect(bodyOf(await handle(request({ path: '/api/v1/settings', headers: asAlice })))).toMatchObject({ auto_play: false });
    expect(bodyOf(await handle(request({ path: '/api/v1/settings', headers: asBob })))).toMatchObject({ auto_play: true });
  });
});

describe('rate limit', () => {
  it('answers 429 rate_limited with a retry-after once a principal floods past the ceiling, spending or not', async () => {
    const { handle } = handlerFor({ JESSICA_FLOOD_LIMIT: '6', JESSICA_TOKENS: `alice:${ALICE},bob:${BOB}` });
    const asAlice = { authorization: `Bearer ${ALICE}` };
    const statuses: number[] = [];
    for (let index = 0; index < 11; index += 1) statuses.push((await handle(request({ path: '/api/v1/models', headers: asAlice }))).status);
    expect(statuses).toEqual([...Array(10).fill(200), 429]);
    const limited = await handle(request({ path: '/api/v1/models', headers: asAlice }));
    expect(errorCode(limited)).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await handle(request({ path: '/api/v1/models', headers: { authorization: `Bearer ${BOB}` } }))).status).toBe(200);
    expect((await handle(request({ path: '/health' }))).status).toBe(200);
  });

  it('budgets the characters a principal sends upstream, and charges nothing for a cached repeat', async () => {
    const { handle } = handlerFor({ JESSICA_CHARACTER_LIMIT: '60', JESSICA_MAX_TEXT: '40', JESSICA_TOKENS: `alice:${ALICE}` });
    const asAlice = { authorization: `Bearer ${ALICE}` };
    const text = 'Twenty characters...';
    expect((await handle(request({ path: '/api/v1/tts', json: { text }, headers: asAlice }))).status).toBe(200);
    expect((await handle(request({ path: '/api/v1/tts', json: { text: `${text}!` }, headers: asAlice }))).status).toBe(200);
    // 20 + 21 characters spent of 60: 22 more do not fit.
    const refused = await handle(request({ path: '/api/v1/tts', json: { text: `${text}!!` }, headers: asAlice }));
    expect([refused.status, errorCode(refused)]).toEqual([429, 'rate_limited']);
    expect((await handle(request({ path: '/api/v1/tts', json: { text }, headers: asAlice }))).status).toBe(200);
  });
});

describe('/mcp', () => {
  const mcpHeaders = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
  /** The JSON-RPC response, from a JSON body or the event stream the transport chose. */
  const rpcOf = async (response: ApiResponse): Promise<unknown> => {
    const chunks: Uint8Array[] = [];
    if (response.body.kind === 'bytes') chunks.push(response.body.value);
    if (response.body.kind === 'stream') for await (const chunk of response.body.value) chunks.push(chunk);
    return rpcMessageOf(response.headers['content-type'], Buffer.concat(chunks).toString('utf8'));
  };

  it('lists every tool through stateless JSON-RPC without an initialize first', async () => {
    const { handle } = handlerFor();
    const response = await handle(request({ method: 'POST', path: '/mcp', headers: mcpHeaders, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' }));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^(application\/json|text\/event-stream)/);
    const { result } = (await rpcOf(response)) as { result: { tools: Array<{ name: string }> } };
    expect(result.tools.map((tool) => tool.name).sort()).toEqual(
      ['get_settings', 'get_usage', 'list_models', 'list_voices', 'speak_text', 'stop_speech', 'text_to_speech', 'update_settings'].sort(),
    );
  });

  it('initializes and calls a tool as the authenticated principal, with the page URL of the request’s origin', async () => {
    const { handle } = handlerFor({ JESSICA_TOKENS: `alice:${ALICE}`, ROOT_PATH: '/jessica' }, { live: true });
    const headers = { ...mcpHeaders, authorization: `Bearer ${ALICE}` };
    const init = await handle(
      request({
        method: 'POST',
        path: '/mcp',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      }),
    );
    expect(((await rpcOf(init)) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe('jessica');
    const call = await handle(
      request({ method: 'POST', path: '/mcp', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'speak_text', arguments: { text: 'Hello there, friend.' } } }) }),
    );
    const { result } = (await rpcOf(call)) as { result: { content: Array<{ type: string; text?: string }> } };
    expect(result.content[0]?.text).toContain(`Open ${OWN_ORIGIN}/jessica/ to hear Jessica live.`);
    expect(result.content[1]?.type).toBe('audio');
    const unauthenticated = await handle(request({ method: 'POST', path: '/mcp', headers: mcpHeaders, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' }));
    expect(unauthenticated.status).toBe(401);
  });

  it('uses JESSICA_PUBLIC_URL as the page URL when set', async () => {
    const { handle } = handlerFor({ JESSICA_PUBLIC_URL: 'https://jessica.example/' });
    const call = await handle(
      request({ method: 'POST', path: '/mcp', headers: mcpHeaders, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'speak_text', arguments: { text: 'Hello there, friend.' } } }) }),
    );
    expect(JSON.stringify(await rpcOf(call))).toContain('Open https://jessica.example/ to hear Jessica live.');
  });

  it('names the page by a plain http origin only, whatever the request claims', async () => {
    const { handle } = handlerFor();
    const body = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'speak_text', arguments: { text: 'Hello there, friend.' } } });
    for (const origin of ['javascript:alert(1)', 'not a url', 'http://evil.example/path?q']) {
      const call = await handle(request({ method: 'POST', path: '/mcp', headers: mcpHeaders, body, origin }));
      const text = JSON.stringify(await rpcOf(call));
      expect(text).not.toContain('javascript');
      expect(text).not.toContain('/path');
      expect(text).toMatch(/Open (http:\/\/localhost|http:\/\/evil\.example)\/ to hear Jessica live\./);
    }
  });

  it('drops request headers the Fetch API refuses instead of failing', async () => {
    const { handle } = handlerFor();
    const response = await handle(
      request({ method: 'POST', path: '/mcp', headers: { ...mcpHeaders, 'x-odd': 'line\u0000break', cookie: 'session=1' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' }),
    );
    expect(response.status).toBe(200);
  });

  it('answers 405 for the session operations a stateless endpoint has none of, and 400 for bad JSON', async () => {
    const { handle } = handlerFor();
    const get = await handle(request({ method: 'GET', path: '/mcp', headers: { accept: 'text/event-stream' } }));
    expect(get.status).toBe(405);
    const bad = await handle(request({ method: 'POST', path: '/mcp', headers: mcpHeaders, body: '{"jsonrpc":' }));
    expect([bad.status, errorCode(bad)]).toEqual([400, 'invalid_request']);
    const deleted = await handle(request({ method: 'DELETE', path: '/mcp', headers: mcpHeaders }));
    expect(deleted.status).toBe(405);
  });
});

describe('unexpected failures', () => {
  it('answers a generic 500 and logs the details, never sending them', async () => {
    const broken: SettingsStore = { get: () => Promise.reject(new Error('disk on fire at /var/secret')), update: () => Promise.reject(new Error('disk on fire')) };
    const config = configFor(fake);
    const jessica = createJessica({ config, version: '1', provider: clientFor(fake), settingsStore: broken, cache: new LruAudioCache(1024), logger: silentLogger, metrics: noMetrics });
    const logger = recordingLogger();
    const handle = createApiHandler({ jessica, config, logger });
    const response = await handle(request({ path: '/api/v1/settings' }));
    expect(response.status).toBe(500);
    expect(errorCode(response)).toBe('internal_error');
    expect(JSON.stringify(response)).not.toContain('disk on fire');
    expect(logger.entries).toHaveLength(1);
    expect(logger.entries[0]).toMatchObject({ level: 'error', extra: [{ method: 'GET', path: '/api/v1/settings', error: { name: 'Error', message: 'disk on fire at /var/secret' } }] });
  });

  it('does not log expected errors', async () => {
    const logger = recordingLogger();
    const { handle } = handlerFor({ ELEVENLABS_API_KEY: undefined }, { logger });
    await handle(request({ path: '/api/v1/tts', json: { text: 'Hello there.' } }));
    await handle(request({ path: '/nothing' }));
    expect(logger.entries).toHaveLength(0);
  });
});

describe('describeError', () => {
  it('describes errors by name, message and stack, and anything else by its text', () => {
    expect(describeError(new RangeError('bad'))).toMatchObject({ name: 'RangeError', message: 'bad', stack: expect.stringContaining('RangeError') });
    expect(describeError(42)).toEqual({ value: '42' });
  });
});
