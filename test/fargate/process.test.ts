import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { TestListener, wsUrl } from '../support/listener.js';
import { spawnTs } from '../support/process.js';

const TOKEN_A = 'secret-token-alpha-7c1f';
const TOKEN_B = 'secret-token-bravo-9d2e';

describe('the server process', () => {
  let fake: FakeElevenLabs;
  beforeAll(async () => {
    fake = await startFakeElevenLabs({ apiKey: 'sk_live_very_secret_key_123456' });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('finishes the stream in flight on SIGTERM, closes listeners with 1001 and exits 0', async () => {
    fake.configure({ chunkDelayMs: 40, chunkSize: 2048 });
    const server = spawnTs('fargate/main.ts', [], {
      ELEVENLABS_BASE_URL: fake.url,
      ELEVENLABS_API_KEY: fake.apiKey,
      PORT: '0',
      JESSICA_SETTINGS: 'memory:',
      JESSICA_DRAIN_TIMEOUT_MS: '10000',
    });
    const { url } = (await server.waitForLog('jessica is listening')) as { url: string };
    const base = url.replace(/\/$/, '');
    const listener = await TestListener.connect(wsUrl(base, '/ws'));
    const response = await fetch(`${base}/api/v1/speak`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Finishing before I go.' }) });
    const { utterance_id } = (await response.json()) as { utterance_id: string };
    await listener.next('audio.start');
    server.child.kill('SIGTERM');
    await server.waitForLog('draining');
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'draining' });
    const refused = await fetch(`${base}/api/v1/tts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'too late' }) });
    expect(refused.status).toBe(503);
    const end = await listener.next('audio.end', () => true, 20_000);
    expect(listener.audioOf(utterance_id).equals(fake.sentAudio.at(-1)!.bytes)).toBe(true);
    expect(end['bytes']).toBe(fake.sentAudio.at(-1)!.bytes.length);
    expect((await listener.waitClosed()).code).toBe(1001);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    fake.reset();
  });

  it('never writes the upstream key or a bearer token to its output, whatever happens', async () => {
    const server = spawnTs('fargate/main.ts', [], {
      ELEVENLABS_BASE_URL: fake.url,
      ELEVENLABS_API_KEY: fake.apiKey,
      PORT: '0',
      JESSICA_SETTINGS: 'memory:',
      JESSICA_TOKENS: `alpha:${TOKEN_A},bravo:${TOKEN_B}`,
      LOG_LEVEL: 'debug',
      JESSICA_METRICS: 'emf',
    });
    const { url } = (await server.waitForLog('jessica is listening')) as { url: string };
    const base = url.replace(/\/$/, '');
    const call = (path: string, init: RequestInit = {}, token: string | undefined = TOKEN_A) =>
      fetch(`${base}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) } });
    const listener = await TestListener.connect(wsUrl(base, `/ws?token=${TOKEN_B}`));
    await TestListener.connect(wsUrl(base, `/ws?token=${TOKEN_A}x`), { hello: false }).then((bad) => bad.waitClosed());
    await call('/api/v1/speak', { method: 'POST', body: JSON.stringify({ text: 'Hi bravo' }) }, TOKEN_B);
    await listener.next('audio.end');
    await call('/api/v1/voices');
    await call('/api/v1/settings', { method: 'PATCH', body: JSON.stringify({ default_voice_id: 'nobody' }) });
    await call('/api/v1/tts', { method: 'POST', body: '{broken' });
    await call('/api/v1/usage', {}, 'wrong-token-0000');
    await call(`/api/v1/voices?token=${TOKEN_A}`, {}, undefined);
    fake.inject({ kind: 'invalid_key' }, { times: 3 });
    await call('/api/v1/tts', { method: 'POST', body: JSON.stringify({ text: 'with a broken key' }) });
    fake.inject({ kind: 'server_error' }, { times: 10 });
    await call('/api/v1/tts', { method: 'POST', body: JSON.stringify({ text: 'with a failing upstream' }) });
    fake.clearFaults();
    await call('/mcp', {
      method: 'POST',
      headers: { accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_usage', arguments: {} } }),
    });
    listener.close();
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    const output = server.output();
    expect(output).toContain('upstream request failed');
    for (const secret of [fake.apiKey, TOKEN_A, TOKEN_B]) expect(output).not.toContain(secret);
    fake.reset();
  });
});
