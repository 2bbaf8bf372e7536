import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import type { TestListener } from '../support/listener.js';
import { presenceOf, RedisServer } from './support/redis.js';
import { eventually, startTask, type Task } from './support/tasks.js';

const ALICE = 'alice-token-123456';
const BOB = 'bob-token-abcdefgh';
const CAROL = 'carol-token-1234567';
const TOKENS = `alice:${ALICE},bob:${BOB},carol:${CAROL}`;
const TTL_MS = 2_000;

type Spoken = { utterance_id: string; listeners: number };

/** The audio.* frames a listener saw but the words, as `type:id`, in order. */
function audioSequence(listener: TestListener): string[] {
  return listener
    .json()
    .filter((frame) => String(frame['type']).startsWith('audio.') && frame['type'] !== 'audio.words')
    .map((frame) => `${String(frame['type'])}:${String(frame['id'])}`);
}

describe('two live tasks sharing Redis', () => {
  let redis: RedisServer;
  let fake: FakeElevenLabs;
  let first: Task;
  let second: Task;
  let client: Redis;
  const open: TestListener[] = [];
  const listen = async (task: Task, token: string) => {
    const listener = await task.listen(token);
    open.push(listener);
    return listener;
  };
  const speak = async (task: Task, token: string, text: string): Promise<Spoken> => {
    const response = await task.request('/api/v1/speak', { token, body: { text } });
    expect(response.status, await response.clone().text()).toBe(202);
    return (await response.json()) as Spoken;
  };
  /** Presence is written just after the hello: wait until Redis counts `listeners` of the principal. */
  const untilPresent = (principal: string, listeners: number) =>
    eventually(async () => (await presence(principal)) === listeners, 5_000, `${listeners} listeners of ${principal}`);
  const presence = (principal: string) => presenceOf(client, principal);

  beforeAll(async () => {
    redis = await RedisServer.start();
    client = new Redis(redis.url);
    fake = await startFakeElevenLabs();
    [first, second] = await Promise.all([
      startTask('first', { fake, redisUrl: redis.url, tokens: TOKENS, extra: { JESSICA_UPSTREAM_CONCURRENCY: '2' } }),
      startTask('second', { fake, redisUrl: redis.url, tokens: TOKENS, extra: { JESSICA_UPSTREAM_CONCURRENCY: '2' } }),
    ]);
    await Promise.all([first.waitForHealth('ok'), second.waitForHealth('ok')]);
  });
  afterEach(async () => {
    const closing = open.splice(0);
    for (const listener of closing) listener.close();
    await Promise.all(closing.map((listener) => listener.waitClosed()));
    // The next test counts listeners: wait until the closed ones are gone from presence too.
    await eventually(async () => (await presence('alice')) + (await presence('bob')) === 0, 5_000, 'listeners gone');
    fake.reset();
  });
  afterAll(async () => {
    client?.disconnect();
    await Promise.all([first?.stop(), second?.stop()]);
    await fake?.close();
    await redis?.kill();
  });

  it('streams a POST /speak on the first task to a listener on the second with identical bytes', async () => {
    const listener = await listen(second, ALICE);
    await untilPresent('alice', 1);
    const { utterance_id, listeners } = await speak(first, ALICE, 'Crossing tasks.');
    expect(listeners).toBe(1);
    const start = await listener.next('audio.start');
    expect(start).toMatchObject({ id: utterance_id, text: 'Crossing tasks.', voice_id: 'cgSgspJ2msm6clMCkdW9', model_id: 'eleven_flash_v2_5', format: 'mp3_44100_128', mime: 'audio/mpeg' });
    const end = await listener.next('audio.end');
    const sent = fake.sentAudio.at(-1)!.bytes;
    expect(end).toEqual({ type: 'audio.end', id: utterance_id, bytes: sent.length });
    expect(listener.audioOf(utterance_id).equals(sent)).toBe(true);
    expect(fake.ttsRequests()).toHaveLength(1);
  });

  it('carries the audio.words frames across tasks, in order with the audio', async () => {
    const listener = await listen(second, ALICE);
    await untilPresent('alice', 1);
    const text = 'Every word crosses from one task to the other, timed.';
    const { utterance_id } = await speak(first, ALICE, text);
    await listener.next('audio.end');
    const own = listener.frames.filter((frame) => frame.kind === 'binary' || frame.value['id'] === utterance_id);
    const words = own.flatMap((frame) => (frame.kind === 'json' && frame.value.type === 'audio.words' ? (frame.value['words'] as Array<{ text: string }>) : []));
    expect(words.map((word) => word.text).join(' ')).toBe(text);
    // The first words frame comes after some of the audio, and the audio is the upstream's.
    const firstWords = own.findIndex((frame) => frame.kind === 'json' && frame.value.type === 'audio.words');
    expect(own.slice(0, firstWords).some((frame) => frame.kind === 'binary')).toBe(true);
    expect(listener.audioOf(utterance_id).equals(fake.sentAudio.at(-1)!.bytes)).toBe(true);
  });

  it('plays utterances from both tasks one at a time, in the same order for listeners on either task', async () => {
    const onFirst = await listen(first, ALICE);
    const onSecond = await listen(second, ALICE);
    await untilPresent('alice', 2);
    fake.configure({ chunkDelayMs: 10, chunkSize: 2048 });
    const spoken = await Promise.all([
      speak(first, ALICE, 'One from the first task.'),
      speak(second, ALICE, 'One from the second task.'),
      speak(first, ALICE, 'Two from the first task.'),
      speak(second, ALICE, 'Two from the second task.'),
    ]);
    const ids = spoken.map((item) => item.utterance_id);
    for (const listener of [onFirst, onSecond]) {
      for (const id of ids) await listener.next('audio.end', (frame) => frame['id'] === id, 15_000);
    }
    const sequence = audioSequence(onFirst);
    expect(audioSequence(onSecond)).toEqual(sequence);
    expect(sequence).toHaveLength(8);
    for (let index = 0; index < sequence.length; index += 2) {
      const id = sequence[index]!.slice('audio.start:'.length);
      expect(sequence[index + 1]).toBe(`audio.end:${id}`);
    }
    // Each task keeps its own callers' order.
    const order = sequence.filter((entry) => entry.startsWith('audio.start:')).map((entry) => entry.slice('audio.start:'.length));
    expect(order.indexOf(ids[0]!)).toBeLessThan(order.indexOf(ids[2]!));
    expect(order.indexOf(ids[1]!)).toBeLessThan(order.indexOf(ids[3]!));
    const texts = ['One from the first task.', 'One from the second task.', 'Two from the first task.', 'Two from the second task.'];
    for (const [index, id] of ids.entries()) {
      const sent = fake.sentAudio.find((audio) => audio.text === texts[index])!.bytes;
      expect(onFirst.audioOf(id).equals(sent)).toBe(true);
      expect(onSecond.audioOf(id).equals(sent)).toBe(true);
    }
    expect(fake.ttsRequests()).toHaveLength(4);
  });

  it('stops playback and the queue on every task from a POST /stop on either', async () => {
    const onFirst = await listen(first, ALICE);
    const onSecond = await listen(second, ALICE);
    await untilPresent('alice', 2);
    fake.configure({ chunkDelayMs: 50, chunkSize: 512 });
    const playing = await speak(first, ALICE, 'A long reading that will be cut short.');
    const queued = await speak(second, ALICE, 'Never heard anywhere.');
    await onFirst.next('audio.start', (frame) => frame['id'] === playing.utterance_id);
    await onSecond.next('audio.start', (frame) => frame['id'] === playing.utterance_id);
    const response = await second.request('/api/v1/stop', { token: ALICE, method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ stopped: 2 });
    await onFirst.next('stopped');
    await onSecond.next('stopped');
    // The turn to speak was handed back: the next utterance plays at once. Utterances play in order, so
    // once it has ended on both tasks, neither the cleared one nor the rest of the cut one can still come.
    fake.configure({ chunkDelayMs: 0, chunkSize: 4096 });
    const next = await speak(second, ALICE, 'After the stop.');
    await onFirst.next('audio.end', (frame) => frame['id'] === next.utterance_id);
    await onSecond.next('audio.end', (frame) => frame['id'] === next.utterance_id);
    for (const listener of [onFirst, onSecond]) {
      expect(listener.json('audio.start').map((frame) => frame['id'])).not.toContain(queued.utterance_id);
      expect(listener.json('audio.end').map((frame) => frame['id'])).not.toContain(playing.utterance_id);
    }
    expect(fake.sentAudio.find((audio) => audio.text === 'A long reading that will be cut short.')?.completed).toBe(false);
  });

  it('reaches a listener that connected a moment ago on the task that speaks', async () => {
    const listener = await listen(first, ALICE);
    const { utterance_id, listeners } = await speak(first, ALICE, 'Right after connecting.');
    expect(listeners).toBe(1);
    await listener.next('audio.end', (frame) => frame['id'] === utterance_id);
    expect(listener.audioOf(utterance_id).equals(fake.sentAudio.at(-1)!.bytes)).toBe(true);
  });

  it('answers 409 no_listeners only while no task has a listener of the principal', async () => {
    for (const task of [first, second]) {
      const response = await task.request('/api/v1/speak', { token: BOB, body: { text: 'Anyone there?' } });
      expect(response.status).toBe(409);
      expect(await response.json()).toEqual({ error: { code: 'no_listeners', message: expect.any(String) } });
    }
    const listener = await listen(second, BOB);
    await untilPresent('bob', 1);
    const spoken = await speak(first, BOB, 'Bob is on the other task.');
    expect(spoken.listeners).toBe(1);
    await listener.next('audio.end');
    listener.close();
    await untilPresent('bob', 0);
    const response = await first.request('/api/v1/speak', { token: BOB, body: { text: 'Gone again?' } });
    expect(response.status).toBe(409);
  });

  it("carries a listener's played acknowledgement back to the task that waits for it (MCP speak_text wait)", async () => {
    const listener = await listen(second, ALICE);
    await untilPresent('alice', 1);
    const call = first.request('/mcp', {
      token: ALICE,
      headers: { accept: 'application/json, text/event-stream' },
      body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'speak_text', arguments: { text: 'Tell me when it played.', wait: true } } },
    });
    const end = await listener.next('audio.end');
    listener.send({ type: 'played', id: end['id'] });
    const response = await call;
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toContain('Played on');
  });

  it('pushes a settings change made on one task to listeners on the other', async () => {
    const listener = await listen(second, ALICE);
    await untilPresent('alice', 1);
    const response = await first.request('/api/v1/settings', { token: ALICE, method: 'PATCH', body: { auto_play: false } });
    expect(response.status).toBe(200);
    expect((await listener.next('settings'))['settings']).toMatchObject({ auto_play: false });
  });

  it('keeps a WebSocket speak frame on the connection that sent it', async () => {
    const asker = await listen(second, ALICE);
    const other = await listen(first, ALICE);
    await untilPresent('alice', 2);
    asker.send({ type: 'speak', text: 'Only for this tab.' });
    await asker.next('audio.end');
    // Frames from one task reach the other in order: once an utterance for every tab has arrived, the private one cannot still come.
    const everyone = await speak(second, ALICE, 'For every tab.');
    await other.next('audio.end', (frame) => frame['id'] === everyone.utterance_id);
    expect(other.json('audio.start').map((frame) => frame['id'])).toEqual([everyone.utterance_id]);
  });

  it('holds the upstream concurrency limit across both tasks', async () => {
    fake.configure({ chunkDelayMs: 20, chunkSize: 2048 });
    const calls = [first, second].flatMap((task) =>
      [1, 2, 3, 4].map((n) => task.request('/api/v1/tts', { token: ALICE, body: { text: `Limit check ${task.name} ${n}.` } })),
    );
    const responses = await Promise.all(calls);
    expect(responses.map((response) => response.status)).toEqual(new Array(8).fill(200));
    expect(fake.ttsRequests()).toHaveLength(8);
    expect(fake.maxConcurrentTts).toBe(2);
  });

  it('withdraws its listeners at once when a task drains on SIGTERM, and exits 0', async () => {
    const third = await startTask('third', { fake, redisUrl: redis.url, tokens: TOKENS });
    try {
      const listener = await third.listen(CAROL);
      await untilPresent('carol', 1);
      const spoken = await speak(first, CAROL, 'Heard before the drain.');
      await listener.next('audio.end', (frame) => frame['id'] === spoken.utterance_id);
      third.process.child.kill('SIGTERM');
      expect((await listener.waitClosed()).code).toBe(1001);
      expect(await presence('carol')).toBe(0);
      expect(await third.process.exited).toEqual({ code: 0, signal: null });
    } finally {
      await third.stop();
    }
  });

  it("forgets a killed task's listeners within the presence expiry, and ends the utterance it was sending", async () => {
    const onFirst = await listen(first, ALICE);
    await listen(second, CAROL);
    await untilPresent('carol', 1);
    await untilPresent('alice', 1);
    expect((await first.request('/api/v1/speak', { token: CAROL, body: { text: 'Still there?' } })).status).toBe(202);
    fake.configure({ chunkDelayMs: 100, chunkSize: 256 });
    const cut = await speak(second, ALICE, 'The sender of this one is about to crash.');
    await onFirst.next('audio.start', (frame) => frame['id'] === cut.utterance_id);
    second.process.child.kill('SIGKILL');
    await second.process.exited;
    const killedAt = Date.now();

    const elapsed = await eventually(async () => (await presence('carol')) === 0, TTL_MS + 2_000, 'presence expiry');
    expect(elapsed).toBeLessThanOrEqual(TTL_MS + 1_000);
    const response = await first.request('/api/v1/speak', { token: CAROL, body: { text: 'Anyone?' } });
    expect(response.status).toBe(409);

    // The listener on the surviving task is told, within the expiry, that the utterance will not finish…
    const error = await onFirst.next('audio.error', (frame) => frame['id'] === cut.utterance_id, TTL_MS + 2_000);
    expect(error['code']).toBe('live_channel_unavailable');
    expect(Date.now() - killedAt).toBeLessThanOrEqual(TTL_MS + 1_000);
    // …and the dead task's turn to speak runs out, so the next utterance plays.
    fake.configure({ chunkDelayMs: 0, chunkSize: 4096 });
    const next = await speak(first, ALICE, 'Life goes on.');
    await onFirst.next('audio.end', (frame) => frame['id'] === next.utterance_id, TTL_MS + 5_000);
  });
});
