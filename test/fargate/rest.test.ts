import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

describe('REST through Express', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ ROOT_PATH: '/jessica' });
  });
  afterEach(() => stack.fake.reset());
  afterAll(async () => {
    await stack.close();
  });

  it('streams /tts/stream: the first bytes arrive before the upstream has sent its last chunk', async () => {
    stack.fake.configure({ chunkSize: 1024 });
    const gate = stack.fake.hold();
    const response = await stack.request('/api/v1/tts/stream', { body: { text: 'Streaming to a REST client.' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    expect(response.headers.get('x-jessica-characters')).toBe('27');
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.value!.byteLength).toBeGreaterThan(0);
    expect(stack.fake.sentAudio.at(-1)?.completed).toBe(false);
    gate.release();
    const chunks = [Buffer.from(first.value!)];
    for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(Buffer.from(next.value));
    expect(Buffer.concat(chunks).equals(stack.fake.sentAudio.at(-1)!.bytes)).toBe(true);
  });

  it.each([
    ['?timestamps=true', {}],
    ['', { accept: 'application/x-ndjson' }],
  ] as const)('answers /tts/stream%s with NDJSON lines of audio and words, the first before the upstream is done', async (query, headers) => {
    stack.fake.configure({ chunkSize: 1024 });
    const gate = stack.fake.hold();
    const text = `Streaming words to a REST client, asked by ${query ? 'query' : 'header'}.`;
    const response = await stack.request(`/api/v1/tts/stream${query}`, { body: { text }, headers });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let body = decoder.decode((await reader.read()).value, { stream: true });
    expect(stack.fake.sentAudio.at(-1)?.completed).toBe(false);
    gate.release();
    for (let next = await reader.read(); !next.done; next = await reader.read()) body += decoder.decode(next.value, { stream: true });
    const lines = body.trimEnd().split('\n').map((line) => JSON.parse(line) as { audio_base64: string; words: Array<{ text: string; start_ms: number; end_ms: number }> });
    expect(Buffer.concat(lines.map((line) => Buffer.from(line.audio_base64, 'base64'))).equals(stack.fake.sentAudio.at(-1)!.bytes)).toBe(true);
    expect(lines.flatMap((line) => line.words.map((word) => word.text)).join(' ')).toBe(text);
  });

  it('refuses a timestamps value that is neither true nor false', async () => {
    const response = await stack.request('/api/v1/tts/stream?timestamps=maybe', { body: { text: 'Hello.' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
    expect(stack.fake.ttsRequests()).toHaveLength(0);
  });

  it('aborts the REST stream when the upstream resets mid-stream, never passing it off as complete', async () => {
    stack.fake.inject({ kind: 'reset_mid_stream', afterBytes: 4096 }, { times: 1 });
    const response = await stack.request('/api/v1/tts/stream', { body: { text: 'This will break.' } });
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
    const after = await stack.request('/api/v1/tts', { body: { text: 'And this works again.' } });
    expect(after.status).toBe(200);
  });

  it('maps upstream failures before the first byte to the SPEC status', async () => {
    stack.fake.inject({ kind: 'quota_exceeded' }, { times: 1 });
    const response = await stack.request('/api/v1/tts/stream', { body: { text: 'Out of credits.' } });
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: { code: 'upstream_quota_exceeded' } });
  });

  it('aborts the upstream request when the client goes away', async () => {
    stack.fake.configure({ chunkDelayMs: 50, chunkSize: 256 });
    const controller = new AbortController();
    const response = await fetch(stack.url('/api/v1/tts/stream'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Nobody will hear the end of this.' }),
      signal: controller.signal,
    });
    await response.body!.getReader().read();
    controller.abort();
    for (let i = 0; i < 100 && stack.fake.inFlightTts > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stack.fake.inFlightTts).toBe(0);
    expect(stack.fake.sentAudio.at(-1)?.completed).toBe(false);
  });

  it('answers 413 payload_too_large for a body over the limit', async () => {
    const response = await stack.request('/api/v1/tts', { body: { text: 'x'.repeat(300 * 1024) } });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('answers 415 for a body that is not JSON and 400 for broken JSON', async () => {
    const text = await stack.request('/api/v1/tts', { body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    const broken = await stack.request('/api/v1/tts', { body: '{"text": ', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('answers JSON 404 not_found outside and inside the root path, never an HTML page', async () => {
    for (const path of ['/nowhere', '/jessica/api/v1/nothing', '/jessica/nothing.txt']) {
      const response = await fetch(`${stack.server.url}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('answers 405 method_not_allowed with an Allow header', async () => {
    const response = await stack.request('/api/v1/voices', { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });

  it('serves the page configuration beside the page', async () => {
    const response = await stack.request('/config.json');
    expect(await response.json()).toEqual({ apiBase: './api/v1', wsUrl: './ws', healthUrl: './health', requiresAuth: false });
  });

  it('sets security headers on API responses', async () => {
    const response = await stack.request('/health');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });
});
