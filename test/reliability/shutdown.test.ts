import { afterAll, describe, expect, it } from 'vitest';
import { rpcMessageOfResponse } from '../support/mcp-wire.js';
import { AUDIO_FIXTURES, startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { TestListener, wsUrl } from '../support/listener.js';
import { spawnTs, type Spawned } from '../support/process.js';
import { nextFrame } from './helpers.js';

const UTTERANCES = 20;
const principals = Array.from({ length: UTTERANCES }, (_, index) => ({ name: `p${index}`, token: `drain-token-${index}-abcdef` }));

interface Running {
  server: Spawned;
  base: string;
  listeners: TestListener[];
  /** Utterance id per listener, in listener order. */
  ids: string[];
}

/** A child server with one listener per principal, each receiving one utterance when this returns. */
async function startStreaming(fake: FakeElevenLabs, drainTimeoutMs: number): Promise<Running> {
  const server = spawnTs('fargate/main.ts', [], {
    ELEVENLABS_BASE_URL: fake.url,
    ELEVENLABS_API_KEY: fake.apiKey,
    PORT: '0',
    JESSICA_SETTINGS: 'memory:',
    JESSICA_TOKENS: principals.map(({ name, token }) => `${name}:${token}`).join(','),
    JESSICA_UPSTREAM_CONCURRENCY: String(UTTERANCES),
    JESSICA_DRAIN_TIMEOUT_MS: String(drainTimeoutMs),
    JESSICA_RATE_LIMIT: '100000',
  });
  const { url } = (await server.waitForLog('jessica is listening')) as { url: string };
  const base = url.replace(/\/$/, '');
  const listeners = await Promise.all(principals.map(({ token }) => TestListener.connect(wsUrl(base, '/ws'), { token })));
  const ids = await Promise.all(
    principals.map(async ({ token }, index) => {
      const response = await fetch(`${base}/api/v1/speak`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ text: `Utterance number ${index} is streaming while the task drains.` }),
      });
      expect(response.status).toBe(202);
      return ((await response.json()) as { utterance_id: string }).utterance_id;
    }),
  );
  // Every utterance is under way: its first audio bytes have reached its listener.
  await Promise.all(listeners.map((listener) => listener.next('audio.start')));
  for (const listener of listeners) {
    while (!listener.frames.some((frame) => frame.kind === 'binary')) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { server, base, listeners, ids };
}

async function expectNothingNewAccepted(base: string, listener: TestListener): Promise<void> {
  const auth = { authorization: `Bearer ${principals[0]!.token}`, 'content-type': 'application/json' };
  const health = await fetch(`${base}/health`);
  expect(health.status).toBe(503);
  for (const path of ['/api/v1/speak', '/api/v1/tts', '/api/v1/tts/stream']) {
    const refused = await fetch(`${base}${path}`, { method: 'POST', headers: auth, body: JSON.stringify({ text: 'One more thing.' }) });
    expect(refused.status, path).toBe(503);
    expect(await refused.json(), path).toMatchObject({ error: { code: 'draining' } });
  }
  const mcp = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { ...auth, accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'speak_text', arguments: { text: 'One more thing.' } } }),
  });
  const tool = (await rpcMessageOfResponse(mcp)) as { result?: { isError?: boolean; content?: Array<{ text?: string }> } };
  expect(tool.result?.isError).toBe(true);
  expect(tool.result?.content?.[0]?.text).toMatch(/^draining: /);
  await expect(TestListener.connect(wsUrl(base, '/ws'), { token: principals[1]!.token })).rejects.toThrow(/503/);
  const from = listener.frames.length;
  listener.send({ type: 'speak', text: 'Sneaking one in.' });
  const answer = await nextFrame(listener, from, (frame) => frame.type === 'error');
  expect(answer['code']).toBe('draining');
}

// Concurrent: each case has its own upstream and child process, and spends its time waiting.
describe.concurrent('SIGTERM while 20 utterances stream', () => {
  const fakes: FakeElevenLabs[] = [];
  const newFake = async () => {
    const fake = await startFakeElevenLabs();
    fakes.push(fake);
    return fake;
  };
  afterAll(async () => {
    await Promise.all(fakes.map((fake) => fake.close()));
  });

  it('finishes every utterance within the drain deadline, accepts nothing new, closes listeners with 1001 and exits 0', async () => {
    const fake = await newFake();
    fake.configure({ chunkDelayMs: 60, chunkSize: 1024 });
    const { server, base, listeners, ids } = await startStreaming(fake, 20_000);
    server.child.kill('SIGTERM');
    await server.waitForLog('draining');
    await expectNothingNewAccepted(base, listeners[0]!);
    for (const [index, listener] of listeners.entries()) {
      const id = ids[index]!;
      const end = await listener.next('audio.end', (frame) => frame['id'] === id, 20_000);
      const sent = fake.sentAudio.find((audio) => audio.text.includes(`number ${index} is`))!;
      expect(sent.completed).toBe(true);
      expect(end['bytes']).toBe(sent.bytes.length);
      expect(listener.audioOf(id).equals(sent.bytes)).toBe(true);
      expect((await listener.waitClosed()).code).toBe(1001);
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('"outcome":"idle"');
  });

  it('ends every utterance still streaming at the deadline with audio.error draining, then exits 0', async () => {
    const fake = await newFake();
    // About seven seconds of streaming each, against a one-second drain deadline.
    fake.configure({ audio: AUDIO_FIXTURES.long, chunkDelayMs: 60, chunkSize: 1024 });
    const { server, base, listeners, ids } = await startStreaming(fake, 1_000);
    server.child.kill('SIGTERM');
    await server.waitForLog('draining');
    await expectNothingNewAccepted(base, listeners[0]!);
    for (const [index, listener] of listeners.entries()) {
      const id = ids[index]!;
      expect((await listener.waitClosed(15_000)).code).toBe(1001);
      const outcome = listener.json().find((frame) => (frame['type'] === 'audio.end' || frame['type'] === 'audio.error') && frame['id'] === id);
      expect(outcome, `listener ${index}`).toMatchObject({ type: 'audio.error', code: 'draining' });
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('"outcome":"deadline"');
  });
});
