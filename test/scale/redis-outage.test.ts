import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { presenceOf, RedisServer } from './support/redis.js';
import { eventually, startTask, type Task } from './support/tasks.js';

const ALICE = 'alice-token-123456';

describe('two live tasks when Redis goes away', () => {
  let redis: RedisServer;
  let fake: FakeElevenLabs;
  let first: Task;
  let second: Task;

  beforeAll(async () => {
    redis = await RedisServer.start();
    fake = await startFakeElevenLabs();
    // A long expiry, so that nothing below can pass by waiting for a lease to run out.
    const env = { fake, redisUrl: redis.url, tokens: `alice:${ALICE}`, extra: { JESSICA_PRESENCE_TTL_MS: '20000' } };
    [first, second] = await Promise.all([startTask('first', env), startTask('second', env)]);
    await Promise.all([first.waitForHealth('ok'), second.waitForHealth('ok')]);
  });
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await fake?.close();
    await redis?.kill();
  });

  it('keeps serving locally while Redis is down, reports degraded, and shares again once it is back', async () => {
    const onFirst = await first.listen(ALICE);
    const onSecond = await second.listen(ALICE);
    try {
      // An utterance in flight when Redis dies ends with audio.error everywhere instead of hanging.
      fake.configure({ chunkDelayMs: 50, chunkSize: 512 });
      const client = new Redis(redis.url);
      await eventually(async () => (await presenceOf(client, 'alice')) === 2, 5_000, 'both listeners present');
      client.disconnect();
      const cut = (await (await first.request('/api/v1/speak', { token: ALICE, body: { text: 'Cut by the outage.' } })).json()) as { utterance_id: string; listeners: number };
      expect(cut.listeners).toBe(2);
      await onSecond.next('audio.start', (frame) => frame['id'] === cut.utterance_id);
      await redis.kill();
      for (const listener of [onFirst, onSecond]) {
        const error = await listener.next('audio.error', (frame) => frame['id'] === cut.utterance_id);
        expect(error['code']).toBe('live_channel_unavailable');
      }
      fake.configure({ chunkDelayMs: 0, chunkSize: 4096 });

      await Promise.all([first.waitForHealth('degraded', 5_000), second.waitForHealth('degraded', 5_000)]);
      for (const task of [first, second]) {
        const tts = await task.request('/api/v1/tts', { token: ALICE, body: { text: `Still synthesising on ${task.name}.` } });
        expect(tts.status).toBe(200);
        expect((await tts.arrayBuffer()).byteLength).toBeGreaterThan(0);
      }
      const local = await first.request('/api/v1/speak', { token: ALICE, body: { text: 'Heard on this task only.' } });
      expect(local.status).toBe(202);
      const { utterance_id, listeners } = (await local.json()) as { utterance_id: string; listeners: number };
      expect(listeners).toBe(1);
      await onFirst.next('audio.end', (frame) => frame['id'] === utterance_id);
      expect(onFirst.audioOf(utterance_id).equals(fake.sentAudio.at(-1)!.bytes)).toBe(true);

      await redis.restart();
      await Promise.all([first.waitForHealth('ok', 15_000), second.waitForHealth('ok', 15_000)]);
      expect(onSecond.json('audio.start').map((frame) => frame['id'])).not.toContain(utterance_id);

      // Straight after reconnecting (no wait for presence): speech crosses tasks again.
      const shared = await first.request('/api/v1/speak', { token: ALICE, body: { text: 'Shared again.' } });
      expect(shared.status).toBe(202);
      const again = (await shared.json()) as { utterance_id: string; listeners: number };
      expect(again.listeners).toBe(2);
      await onSecond.next('audio.end', (frame) => frame['id'] === again.utterance_id);
      await onFirst.next('audio.end', (frame) => frame['id'] === again.utterance_id);
      const sent = fake.sentAudio.at(-1)!.bytes;
      expect(onSecond.audioOf(again.utterance_id).equals(sent)).toBe(true);
      expect(onFirst.audioOf(again.utterance_id).equals(sent)).toBe(true);

      // And from the other side, to be sure both subscriptions came back.
      const back = (await (await second.request('/api/v1/speak', { token: ALICE, body: { text: 'And back.' } })).json()) as { utterance_id: string };
      await onFirst.next('audio.end', (frame) => frame['id'] === back.utterance_id);
    } finally {
      onFirst.close();
      onSecond.close();
    }
  });

  it('hands the turn to speak on at once after its connections drop, without waiting for the lease to run out', async () => {
    const onFirst = await first.listen(ALICE);
    const onSecond = await second.listen(ALICE);
    const client = new Redis(redis.url);
    try {
      await eventually(async () => (await presenceOf(client, 'alice')) === 2, 5_000, 'both listeners present');
      fake.configure({ chunkDelayMs: 50, chunkSize: 512 });
      const cut = (await (await first.request('/api/v1/speak', { token: ALICE, body: { text: 'Cut by a network blip.' } })).json()) as { utterance_id: string };
      await onSecond.next('audio.start', (frame) => frame['id'] === cut.utterance_id);
      // Redis stays up with its data (the speaker lease included); only the tasks' connections drop.
      await client.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await client.call('CLIENT', 'KILL', 'TYPE', 'pubsub', 'SKIPME', 'yes');
      await onSecond.next('audio.error', (frame) => frame['id'] === cut.utterance_id);
      fake.configure({ chunkDelayMs: 0, chunkSize: 4096 });
      await Promise.all([first.waitForHealth('ok', 10_000), second.waitForHealth('ok', 10_000)]);
      const started = Date.now();
      const next = (await (await second.request('/api/v1/speak', { token: ALICE, body: { text: 'Right after the blip.' } })).json()) as { utterance_id: string };
      await onFirst.next('audio.end', (frame) => frame['id'] === next.utterance_id, 15_000);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      client.disconnect();
      onFirst.close();
      onSecond.close();
    }
  });
});
