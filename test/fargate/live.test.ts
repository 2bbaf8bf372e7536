import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestListener, wsUrl } from '../support/listener.js';
import { startStack, type Stack } from '../support/stack.js';

const ALICE = 'alice-token-123456';
const BOB = 'bob-token-abcdefgh';

describe('live WebSocket path', () => {
  let stack: Stack;
  const open: TestListener[] = [];
  const listen = async (token: string, hello = true) => {
    const listener = await TestListener.connect(wsUrl(stack.server.url, `${stack.server.rootPath}/ws`), { token, hello });
    open.push(listener);
    return listener;
  };

  beforeAll(async () => {
    stack = await startStack({ JESSICA_TOKENS: `alice:${ALICE},bob:${BOB}`, ROOT_PATH: '/jessica' });
  });
  afterEach(() => {
    for (const listener of open.splice(0)) listener.close();
    stack.fake.reset();
  });
  afterAll(async () => {
    await stack.close();
  });

  it('greets a listener with hello, version, target and its settings', async () => {
    const listener = await listen(ALICE);
    const hello = listener.json('hello')[0]!;
    expect(hello).toMatchObject({ type: 'hello', target: 'fargate', settings: { default_voice_id: 'cgSgspJ2msm6clMCkdW9' } });
    expect(typeof hello['version']).toBe('string');
  });

  it('streams a POST /speak to the listener: start, binary audio equal to the upstream bytes, end', async () => {
    const listener = await listen(ALICE);
    const response = await stack.request('/api/v1/speak', { token: ALICE, body: { text: 'Build finished.' } });
    expect(response.status).toBe(202);
    const { utterance_id, listeners } = (await response.json()) as { utterance_id: string; listeners: number };
    expect(listeners).toBe(1);
    const start = await listener.next('audio.start');
    expect(start).toMatchObject({ id: utterance_id, text: 'Build finished.', voice_id: 'cgSgspJ2msm6clMCkdW9', model_id: 'eleven_flash_v2_5', format: 'mp3_44100_128', mime: 'audio/mpeg' });
    const end = await listener.next('audio.end');
    const sent = stack.fake.sentAudio.at(-1)!.bytes;
    expect(end['bytes']).toBe(sent.length);
    expect(listener.audioOf(utterance_id).equals(sent)).toBe(true);
  });

  it('delivers the first audio bytes before the upstream has sent its last chunk', async () => {
    const listener = await listen(ALICE);
    stack.fake.configure({ chunkSize: 1024 });
    const gate = stack.fake.hold();
    try {
      const response = await stack.request('/api/v1/speak', { token: ALICE, body: { text: 'Streaming while held.' } });
      expect(response.status).toBe(202);
      await listener.next('audio.start');
      while (!listener.frames.some((frame) => frame.kind === 'binary')) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(stack.fake.sentAudio.at(-1)?.completed ?? false).toBe(false);
      expect(listener.json('audio.end')).toHaveLength(0);
    } finally {
      gate.release();
    }
    await listener.next('audio.end');
  });

  it("reaches only the caller's listeners: bob hears nothing of alice's speech", async () => {
    const alice = await listen(ALICE);
    const bob = await listen(BOB);
    const response = await stack.request('/api/v1/speak', { token: ALICE, body: { text: 'For Alice only.' } });
    expect(response.status).toBe(202);
    await alice.next('audio.end');
    expect(bob.json('audio.start')).toHaveLength(0);
    expect(bob.frames.filter((frame) => frame.kind === 'binary')).toHaveLength(0);
  });

  it('plays two utterances in order, one at a time', async () => {
    const listener = await listen(ALICE);
    stack.fake.configure({ chunkDelayMs: 5, chunkSize: 8192 });
    const first = (await (await stack.request('/api/v1/speak', { token: ALICE, body: { text: 'First sentence.' } })).json()) as { utterance_id: string };
    const second = (await (await stack.request('/api/v1/speak', { token: ALICE, body: { text: 'Second sentence.' } })).json()) as { utterance_id: string };
    await listener.next('audio.end', (frame) => frame['id'] === second.utterance_id);
    const sequence = listener.json().filter((frame) => String(frame['type']).startsWith('audio.')).map((frame) => `${frame['type']}:${frame['id']}`);
    // Each utterance's words frames sit between its start and its end.
    const collapsed = sequence.filter((item, index) => !item.startsWith('audio.words:') || sequence[index - 1] !== item);
    expect(collapsed).toEqual([
      `audio.start:${first.utterance_id}`,
      `audio.words:${first.utterance_id}`,
      `audio.end:${first.utterance_id}`,
      `audio.start:${second.utterance_id}`,
      `audio.words:${second.utterance_id}`,
      `audio.end:${second.utterance_id}`,
    ]);
    const words = listener.json('audio.words').filter((frame) => frame['id'] === second.utterance_id).flatMap((frame) => frame['words'] as Array<{ text: string }>);
    expect(words.map((word) => word.text)).toEqual(['Second', 'sentence.']);
  });

  it('answers 409 no_listeners when the principal has no page open', async () => {
    await listen(ALICE);
    const response = await stack.request('/api/v1/speak', { token: BOB, body: { text: 'Anyone there?' } });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({ error: { code: 'no_listeners', message: expect.any(String) } });
  });

  it('stops playback and clears the queue on POST /stop', async () => {
    const listener = await listen(ALICE);
    stack.fake.configure({ chunkDelayMs: 50, chunkSize: 512 });
    await stack.request('/api/v1/speak', { token: ALICE, body: { text: 'A long reading that will be cut.' } });
    const queued = (await (await stack.request('/api/v1/speak', { token: ALICE, body: { text: 'Never heard.' } })).json()) as { utterance_id: string };
    await listener.next('audio.start');
    const response = await stack.request('/api/v1/stop', { token: ALICE, method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ stopped: 2 });
    await listener.next('stopped');
    // Utterances play in order: once one spoken after the stop has ended, a cleared one can no longer come.
    stack.fake.configure({ chunkDelayMs: 0 });
    const after = (await (await stack.request('/api/v1/speak', { token: ALICE, body: { text: 'After the stop.' } })).json()) as { utterance_id: string };
    await listener.next('audio.end', (frame) => frame['id'] === after.utterance_id);
    expect(listener.json('audio.start').map((frame) => frame['id'])).not.toContain(queued.utterance_id);
  });

  it('speaks a WebSocket speak frame to that connection only', async () => {
    const first = await listen(ALICE);
    const second = await listen(ALICE);
    first.send({ type: 'speak', text: 'Just for this tab.', voice: 'george' });
    const start = await first.next('audio.start');
    expect(start['voice_id']).toBe('JBFqnCBsd6RMkjVDRZzb');
    await first.next('audio.end');
    expect(second.json('audio.start')).toHaveLength(0);
  });

  it('answers bad frames with an error frame and keeps the connection open', async () => {
    const listener = await listen(ALICE);
    listener.send('not json');
    listener.send({ type: 'dance' });
    listener.send({ nope: true });
    listener.send({ type: 'speak', text: '   ' });
    listener.send({ type: 'speak', text: 'hi', voice: 'Nobody At All' });
    listener.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const codes = [];
    for (let i = 0; i < 6; i += 1) codes.push((await listener.next('error'))['code']);
    expect(codes.sort()).toEqual(['empty_text', 'invalid_request', 'invalid_request', 'invalid_request', 'invalid_request', 'unknown_voice']);
    listener.send({ type: 'ping' });
    await listener.next('pong');
    expect(listener.closed).toBeUndefined();
  });

  it('closes with 1009 on a frame over 64 KiB', async () => {
    const listener = await listen(ALICE);
    listener.send({ type: 'speak', text: 'x'.repeat(70 * 1024) });
    expect((await listener.waitClosed()).code).toBe(1009);
  });

  it('closes with 1008 when a client floods frames', async () => {
    const listener = await listen(ALICE);
    for (let i = 0; i < 200; i += 1) listener.send({ type: 'ping' });
    expect((await listener.waitClosed()).code).toBe(1008);
  });

  it('refuses a listener without a valid token with close code 4401', async () => {
    const listener = await listen('wrong-token-000000', false);
    expect((await listener.waitClosed()).code).toBe(4401);
    expect(listener.json('error')[0]).toMatchObject({ code: 'unauthorized' });
  });

  it('accepts the token as a query parameter for browsers', async () => {
    const listener = await TestListener.connect(wsUrl(stack.server.url, `/jessica/ws?token=${BOB}`));
    open.push(listener);
    expect(listener.json('hello')).toHaveLength(1);
  });

  it('refuses an upgrade from an origin that is not allowed', async () => {
    await expect(
      TestListener.connect(wsUrl(stack.server.url, '/jessica/ws'), { token: ALICE, headers: { origin: 'https://evil.example' } }),
    ).rejects.toThrow(/403/);
  });

  it('sends audio.error when the upstream fails and plays the next utterance normally', async () => {
    const listener = await listen(ALICE);
    stack.fake.inject({ kind: 'reset_mid_stream', afterBytes: 2048 }, { times: 1 });
    const broken = (await (await stack.request('/api/v1/speak', { token: ALICE, body: { text: 'This one breaks.' } })).json()) as { utterance_id: string };
    const fine = (await (await stack.request('/api/v1/speak', { token: ALICE, body: { text: 'This one plays.' } })).json()) as { utterance_id: string };
    const error = await listener.next('audio.error', (frame) => frame['id'] === broken.utterance_id);
    expect(error['code']).toBe('upstream_error');
    await listener.next('audio.end', (frame) => frame['id'] === fine.utterance_id);
    expect(listener.audioOf(fine.utterance_id).equals(stack.fake.sentAudio.at(-1)!.bytes)).toBe(true);
  });

  it('pushes settings changes to the principal\'s listeners', async () => {
    const listener = await listen(ALICE);
    const response = await stack.request('/api/v1/settings', { token: ALICE, method: 'PATCH', body: { auto_play: false } });
    expect(response.status).toBe(200);
    const frame = await listener.next('settings');
    expect(frame['settings']).toMatchObject({ auto_play: false });
  });

  it('pushes voice settings set, then cleared back to the voice (null), to the principal\'s listeners', async () => {
    const listener = await listen(ALICE);
    expect((await stack.request('/api/v1/settings', { token: ALICE, method: 'PATCH', body: { voice_settings: { style: 0.4 } } })).status).toBe(200);
    expect((await listener.next('settings'))['settings']).toMatchObject({ voice_settings: { style: 0.4 } });
    expect((await stack.request('/api/v1/settings', { token: ALICE, method: 'PATCH', body: { voice_settings: null } })).status).toBe(200);
    expect((await listener.next('settings'))['settings']).toMatchObject({ voice_settings: null });
  });
});
