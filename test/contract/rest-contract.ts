import { randomUUID } from 'node:crypto';
import { rpcMessageOf } from '../support/mcp-wire.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeElevenLabs } from '../fake-elevenlabs/index.js';

/** One HTTP exchange as the contract sees it: lower-case header names, raw body bytes. */
export interface ContractResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Sends one request to the server under test. `path` is below ROOT_PATH (`/health`,
 * `/api/v1/voices?search=x`, `/mcp`); the driver adds the root path its runtime needs.
 */
export type Send = (
  method: string,
  path: string,
  init?: { headers?: Record<string, string>; body?: string | Uint8Array },
) => Promise<ContractResponse>;

export interface ContractServer {
  target: 'fargate' | 'lambda';
  send: Send;
  /** The fake upstream the server talks to. */
  fake: FakeElevenLabs;
  /** A bearer token the server accepts. */
  token: string;
  close(): Promise<void>;
}

const JESSICA_VOICE_ID = 'cgSgspJ2msm6clMCkdW9';
const MCP_TOOLS = ['speak_text', 'text_to_speech', 'list_voices', 'list_models', 'get_settings', 'update_settings', 'get_usage', 'stop_speech'];

/**
 * The REST, health and MCP contract of SPEC §4, run against any runtime. `start` brings up the
 * server against a fake ElevenLabs and returns a driver. The server must run with
 * `ELEVENLABS_BASE_URL=fake.url`, `ELEVENLABS_API_KEY=fake.apiKey`, `JESSICA_TOKENS` holding
 * `token`, `JESSICA_SETTINGS=memory:`, the default `JESSICA_MAX_TEXT` (20 000), and a
 * `JESSICA_RATE_LIMIT` high enough for a burst of some fifty requests.
 *
 * @example
 * restContract('the Lambda HTTP handler', async () => ({ target: 'lambda', send, fake, token, close }));
 */
export function restContract(name: string, start: () => Promise<ContractServer>): void {
  describe(name, () => {
    let server: ContractServer;

    beforeAll(async () => {
      server = await start();
    });
    afterAll(async () => {
      await server?.close();
    });
    afterEach(() => {
      server.fake.clearFaults();
    });

    const auth = () => ({ authorization: `Bearer ${server.token}` });
    const get = (path: string) => server.send('GET', path, { headers: auth() });
    const sendJson = (method: string, path: string, body: unknown) =>
      server.send(method, path, { headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (response: ContractResponse): Record<string, unknown> => JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
    /** The JSON-RPC response of an MCP answer, one JSON body or an event stream. */
    const rpcOf = (response: ContractResponse) => rpcMessageOf(response.headers['content-type'], response.body.toString('utf8'));
    /** A phrase no earlier test has synthesised, so the audio cache cannot answer it. */
    const fresh = (words = 'Hello from the contract') => `${words}, take ${randomUUID().slice(0, 8)}.`;

    function expectError(response: ContractResponse, status: number, code: string): void {
      expect({ status: response.status, code: (json(response)['error'] as { code?: string } | undefined)?.code }).toEqual({ status, code });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const error = json(response)['error'] as { message?: unknown };
      expect(typeof error.message).toBe('string');
      expect(response.body.toString('utf8')).not.toContain(server.fake.apiKey);
    }

    function lastAudio(): Buffer {
      const sent = server.fake.sentAudio.at(-1);
      expect(sent?.completed).toBe(true);
      return sent?.bytes ?? Buffer.alloc(0);
    }

    describe('GET /health', () => {
      it('answers without a token with status, version, target and upstream', async () => {
        const response = await server.send('GET', '/health');
        expect(response.status).toBe(200);
        expect(json(response)).toEqual({
          status: 'ok',
          version: expect.any(String),
          target: server.target,
          upstream: { configured: true },
        });
      });
    });

    describe('authentication', () => {
      it('returns 401 unauthorized without a token', async () => {
        expectError(await server.send('GET', '/api/v1/voices'), 401, 'unauthorized');
      });

      it('returns 401 unauthorized with a wrong token', async () => {
        expectError(await server.send('GET', '/api/v1/voices', { headers: { authorization: 'Bearer not-the-right-token' } }), 401, 'unauthorized');
      });

      it('returns 401 unauthorized for MCP without a token', async () => {
        const response = await server.send('POST', '/mcp', {
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
        expectError(response, 401, 'unauthorized');
      });
    });

    describe('voices and models', () => {
      it('lists voices with id, name, category, labels and preview url', async () => {
        const response = await get('/api/v1/voices');
        expect(response.status).toBe(200);
        const voices = json(response)['voices'] as Record<string, unknown>[];
        expect(voices.length).toBeGreaterThan(1);
        for (const voice of voices) expect(Object.keys(voice).sort()).toEqual(['category', 'labels', 'name', 'preview_url', 'voice_id']);
        expect(voices.map((voice) => voice['voice_id'])).toContain(JESSICA_VOICE_ID);
      });

      it('filters voices by search', async () => {
        const voices = json(await get('/api/v1/voices?search=jess'))['voices'] as { name: string }[];
        expect(voices.length).toBeGreaterThan(0);
        for (const voice of voices) expect(voice.name.toLowerCase()).toContain('jess');
      });

      it('lists only text-to-speech models with their limits and languages', async () => {
        const response = await get('/api/v1/models');
        expect(response.status).toBe(200);
        const models = json(response)['models'] as { model_id: string; name: string; max_characters: number; languages: unknown[] }[];
        expect(models.map((model) => model.model_id)).toContain('eleven_flash_v2_5');
        expect(models.map((model) => model.model_id)).not.toContain('eleven_multilingual_sts_v2');
        for (const model of models) {
          expect(model).toEqual({ model_id: expect.any(String), name: expect.any(String), max_characters: expect.any(Number), languages: expect.any(Array) });
        }
      });
    });

    describe('settings', () => {
      it('returns the defaults to a caller who never changed them', async () => {
        const response = await get('/api/v1/settings');
        expect(response.status).toBe(200);
        expect(json(response)).toEqual({
          default_voice_id: JESSICA_VOICE_ID,
          default_model_id: 'eleven_flash_v2_5',
          output_format: 'mp3_44100_128',
          // None set: the voice's own stored settings apply.
          voice_settings: null,
          auto_play: expect.any(Boolean),
          word_timings: true,
        });
      });

      it('merges a PATCH into the stored settings and keeps it', async () => {
        const patched = await sendJson('PATCH', '/api/v1/settings', { voice_settings: { stability: 0.3 }, auto_play: false, default_voice_id: 'George' });
        expect(patched.status).toBe(200);
        expect(json(patched)).toMatchObject({ default_voice_id: 'JBFqnCBsd6RMkjVDRZzb', voice_settings: { stability: 0.3 }, auto_play: false });
        expect(json(patched)['voice_settings']).toEqual({ stability: 0.3 });
        expect(json(await get('/api/v1/settings'))).toEqual(json(patched));
      });

      it('clears voice settings on voice_settings null, and sends upstream only what is set', async () => {
        const sentSettings = () => (server.fake.ttsRequests().at(-1)?.body as { voice_settings?: unknown } | undefined)?.voice_settings;
        const cleared = await sendJson('PATCH', '/api/v1/settings', { voice_settings: null });
        expect(cleared.status).toBe(200);
        expect(json(cleared)['voice_settings']).toBeNull();
        expect(json(await get('/api/v1/settings'))['voice_settings']).toBeNull();
        expect((await sendJson('POST', '/api/v1/tts', { text: fresh('None set') })).status).toBe(200);
        expect(server.fake.ttsRequests().at(-1)?.body).not.toHaveProperty('voice_settings');

        expect((await sendJson('PATCH', '/api/v1/settings', { voice_settings: { speed: 1.1 } })).status).toBe(200);
        expect((await sendJson('POST', '/api/v1/tts', { text: fresh('Speed set') })).status).toBe(200);
        expect(sentSettings()).toEqual({ speed: 1.1 });
        expect((await sendJson('POST', '/api/v1/tts', { text: fresh('Overridden'), voice_settings: { stability: 0.2 } })).status).toBe(200);
        expect(sentSettings()).toEqual({ speed: 1.1, stability: 0.2 });

        expect(json(await sendJson('PATCH', '/api/v1/settings', { voice_settings: null }))['voice_settings']).toBeNull();
        expect((await sendJson('POST', '/api/v1/tts', { text: fresh('Back to the voice') })).status).toBe(200);
        expect(server.fake.ttsRequests().at(-1)?.body).not.toHaveProperty('voice_settings');
      });

      it("returns a voice's own stored settings", async () => {
        const response = await get('/api/v1/voices/kP3nWq8RzT1vLm6sXy0D/settings');
        expect(response.status).toBe(200);
        expect(json(response)).toEqual({ stability: 0.6, similarity_boost: 0.8, style: 0, use_speaker_boost: true, speed: 1 });
        expectError(await get('/api/v1/voices/No%20Such%20Voice/settings'), 400, 'unknown_voice');
      });

      it('names itself to the upstream: User-Agent jessica/<version> on every request', async () => {
        expect(server.fake.requests.length).toBeGreaterThan(0);
        for (const request of server.fake.requests) expect(request.headers['user-agent']).toMatch(/^jessica\/\d+\.\d+\.\d+\S*( \(\+https?:\/\/\S+\))?$/);
      });

      it('returns 400 unknown_voice for a voice that does not exist', async () => {
        expectError(await sendJson('PATCH', '/api/v1/settings', { default_voice_id: 'No Such Voice' }), 400, 'unknown_voice');
      });

      it('returns 400 unknown_model for a model that does not exist', async () => {
        expectError(await sendJson('PATCH', '/api/v1/settings', { default_model_id: 'eleven_imaginary_v9' }), 400, 'unknown_model');
      });

      it.each([
        ['stability above 1', { voice_settings: { stability: 1.5 } }],
        ['speed below 0.7', { voice_settings: { speed: 0.5 } }],
        ['an unknown output format', { output_format: 'mp3_1_1' }],
        ['an unknown field', { favourite_colour: 'blue' }],
      ])('returns 400 invalid_request for %s and changes nothing', async (_what, patch) => {
        const before = json(await get('/api/v1/settings'));
        expectError(await sendJson('PATCH', '/api/v1/settings', patch), 400, 'invalid_request');
        expect(json(await get('/api/v1/settings'))).toEqual(before);
      });
    });

    describe('GET /usage', () => {
      it('reports characters used, the limit, what remains and when it resets', async () => {
        const response = await get('/api/v1/usage');
        expect(response.status).toBe(200);
        const usage = json(response) as { character_count: number; character_limit: number; remaining: number; resets_at: string | null };
        expect(usage.remaining).toBe(usage.character_limit - usage.character_count);
        expect(usage).toEqual({ character_count: expect.any(Number), character_limit: expect.any(Number), remaining: expect.any(Number), resets_at: expect.toBeOneOf([null, expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/)]) });
      });
    });

    describe('GET /openapi.json', () => {
      it('serves an OpenAPI 3.1 document', async () => {
        const response = await get('/api/v1/openapi.json');
        expect(response.status).toBe(200);
        expect(json(response)['openapi']).toMatch(/^3\.1\./);
      });
    });

    describe('POST /tts', () => {
      it('returns the upstream audio bytes with the character count and utterance id', async () => {
        const text = fresh();
        const response = await sendJson('POST', '/api/v1/tts', { text });
        expect(response.status).toBe(200);
        expect(response.headers['content-type']).toBe('audio/mpeg');
        expect(response.headers['x-jessica-characters']).toBe(String(text.length));
        expect(response.headers['x-jessica-utterance-id']).toMatch(/\S+/);
        expect(response.body.equals(lastAudio())).toBe(true);
      });

      it('accepts a voice name and voice_id/model_id aliases', async () => {
        const byName = await sendJson('POST', '/api/v1/tts', { text: fresh(), voice: 'sarah' });
        expect(byName.status).toBe(200);
        expect(server.fake.ttsRequests().at(-1)?.path).toContain('EXAVITQu4vr4xnSDxMaL');
        const byAlias = await sendJson('POST', '/api/v1/tts', { text: fresh(), voice_id: JESSICA_VOICE_ID, model_id: 'eleven_turbo_v2_5' });
        expect(byAlias.status).toBe(200);
        expect(server.fake.ttsRequests().at(-1)?.body).toMatchObject({ model_id: 'eleven_turbo_v2_5' });
      });

      it('returns 400 empty_text when nothing speakable is left', async () => {
        expectError(await sendJson('POST', '/api/v1/tts', { text: '  \n\t ' }), 400, 'empty_text');
      });

      it('returns 400 text_too_long above the text limit', async () => {
        expectError(await sendJson('POST', '/api/v1/tts', { text: 'a'.repeat(20_001) }), 400, 'text_too_long');
      });

      it('returns 400 invalid_request for a body that is not JSON', async () => {
        const response = await server.send('POST', '/api/v1/tts', { headers: { ...auth(), 'content-type': 'application/json' }, body: '{"text": "Hello' });
        expectError(response, 400, 'invalid_request');
      });

      it('returns 400 invalid_request without a body', async () => {
        expectError(await server.send('POST', '/api/v1/tts', { headers: auth() }), 400, 'invalid_request');
      });

      it('returns 415 unsupported_media_type for a body that is not JSON-typed', async () => {
        const response = await server.send('POST', '/api/v1/tts', { headers: { ...auth(), 'content-type': 'text/plain' }, body: 'Hello there' });
        expectError(response, 415, 'unsupported_media_type');
      });

      it('returns 502 upstream_auth_failed when the upstream rejects the key', async () => {
        server.fake.inject({ kind: 'invalid_key' });
        expectError(await sendJson('POST', '/api/v1/tts', { text: fresh() }), 502, 'upstream_auth_failed');
      });

      it('returns 502 upstream_quota_exceeded when the quota is used up', async () => {
        server.fake.inject({ kind: 'quota_exceeded' });
        expectError(await sendJson('POST', '/api/v1/tts', { text: fresh() }), 502, 'upstream_quota_exceeded');
      });
    });

    describe('POST /tts/stream', () => {
      it('returns the whole upstream audio', async () => {
        const response = await sendJson('POST', '/api/v1/tts/stream', { text: fresh('Streaming along') });
        expect(response.status).toBe(200);
        expect(response.headers['content-type']).toBe('audio/mpeg');
        expect(response.headers['x-jessica-utterance-id']).toMatch(/\S+/);
        expect(response.body.equals(lastAudio())).toBe(true);
      });

      it('returns the error status when the upstream fails before the first byte', async () => {
        server.fake.inject({ kind: 'invalid_key' });
        expectError(await sendJson('POST', '/api/v1/tts/stream', { text: fresh() }), 502, 'upstream_auth_failed');
      });
    });

    describe('POST /speak and /stop', () => {
      it('answers /speak as the target can', async () => {
        const response = await sendJson('POST', '/api/v1/speak', { text: fresh() });
        if (server.target === 'lambda') expectError(response, 503, 'live_channel_unavailable');
        else expectError(response, 409, 'no_listeners');
      });

      it('answers /stop as the target can', async () => {
        const response = await server.send('POST', '/api/v1/stop', { headers: auth() });
        if (server.target === 'lambda') expectError(response, 503, 'live_channel_unavailable');
        else {
          expect(response.status).toBe(200);
          expect(json(response)).toEqual({ stopped: expect.any(Number) });
        }
      });
    });

    describe('routing', () => {
      it('returns 404 not_found for an unknown route', async () => {
        expectError(await get('/api/v1/nothing-here'), 404, 'not_found');
      });

      it('returns 405 method_not_allowed with Allow for a wrong method', async () => {
        const response = await server.send('DELETE', '/api/v1/voices', { headers: auth() });
        expectError(response, 405, 'method_not_allowed');
        expect(response.headers['allow']).toContain('GET');
      });

      it('sends security headers on every response', async () => {
        for (const response of [await server.send('GET', '/health'), await get('/api/v1/nothing-here')]) {
          expect(response.headers['x-content-type-options']).toBe('nosniff');
        }
      });
    });

    describe('MCP', () => {
      it('lists the tools over Streamable HTTP', async () => {
        const response = await server.send('POST', '/mcp', {
          headers: { ...auth(), 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
        expect(response.status).toBe(200);
        const message = rpcOf(response) as { id: number; result: { tools: { name: string }[] } };
        expect(message.id).toBe(1);
        expect(message.result.tools.map((tool) => tool.name).sort()).toEqual([...MCP_TOOLS].sort());
      });

      it('answers initialize with the server name', async () => {
        const response = await server.send('POST', '/mcp', {
          headers: { ...auth(), 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 2,
            method: 'initialize',
            params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'contract', version: '1.0.0' } },
          }),
        });
        expect(response.status).toBe(200);
        expect(rpcOf(response)).toMatchObject({ id: 2, result: { serverInfo: { name: 'jessica' } } });
      });
    });
  });
}
