import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LISTENER_BUFFER } from '../../fargate/server.js';
import { deadline, pausedPeerCapacity } from '../support/socket-buffers.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { presenceOf, RedisServer } from './support/redis.js';
import { eventually, startTask, type Task } from './support/tasks.js';

const TOKEN = 'alice-token-123456';

describe('a slow listener on another task', () => {
  let redis: RedisServer;
  let fake: FakeElevenLabs;
  let first: Task;
  let second: Task;
  // Twice what a peer that stops reading can hold before the server's cap is crossed, so the drop always comes mid-utterance.
  const audio = randomBytes(2 * (pausedPeerCapacity() + MAX_LISTENER_BUFFER));

  beforeAll(async () => {
    redis = await RedisServer.start();
    fake = await startFakeElevenLabs({ audio, chunkSize: 64 * 1024 });
    // A long upstream timeout: the sender may pause its upstream read (flow control) for up to two thirds of it.
    const env = { fake, redisUrl: redis.url, tokens: `alice:${TOKEN}`, extra: { JESSICA_UPSTREAM_TIMEOUT_MS: '20000' } };
    [first, second] = await Promise.all([startTask('first', env), startTask('second', env)]);
    await Promise.all([first.waitForHealth('ok'), second.waitForHealth('ok')]);
  });
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await fake?.close();
    await redis?.kill();
  });

  it('is dropped on its task while a fast listener there receives every byte', { timeout: 60_000 }, async () => {
    const left = deadline(55_000);
    const fast = await second.listen(TOKEN);
    const slow = await second.listen(TOKEN);
    const client = new Redis(redis.url);
    await eventually(async () => (await presenceOf(client, 'alice')) === 2, 5_000, 'both listeners present');
    client.disconnect();
    (slow.ws as unknown as { _socket: Socket })._socket.pause();

    const response = await first.request('/api/v1/speak', { token: TOKEN, body: { text: 'A very long recording.' } });
    const { utterance_id } = (await response.json()) as { utterance_id: string };
    const end = await Promise.race([fast.next('audio.end', () => true, left()), fast.next('audio.error', () => true, left())]);
    expect(end).toEqual({ type: 'audio.end', id: utterance_id, bytes: audio.length });
    expect(fast.audioOf(utterance_id).equals(audio)).toBe(true);

    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    expect((await slow.waitClosed(left())).code).toBe(1013);
    fast.close();
  });
});
