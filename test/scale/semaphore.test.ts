import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.js';
import { RedisSemaphore } from '../../fargate/pubsub/semaphore.js';
import { freePort, RedisServer } from './support/redis.js';

describe('RedisSemaphore (the upstream limit across tasks)', () => {
  let redis: RedisServer;
  const clients: Redis[] = [];
  const semaphores: RedisSemaphore[] = [];
  let keyCount = 0;

  /** One "task": its own connection and semaphore, on a key of this test. */
  const task = (name: string, limit: number, leaseMs: number, key: string) => {
    const client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    clients.push(client);
    const semaphore = new RedisSemaphore({ redis: client, isUp: () => client.status === 'ready', limit, leaseMs, taskId: name, logger: silentLogger, key });
    semaphores.push(semaphore);
    return { client, semaphore, ready: new Promise<void>((resolve) => client.once('ready', () => resolve())) };
  };
  const newKey = () => `jessica:{upstream}:test-${(keyCount += 1)}`;

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterEach(() => {
    for (const semaphore of semaphores.splice(0)) semaphore.close();
    for (const client of clients.splice(0)) client.disconnect();
  });
  afterAll(async () => {
    await redis?.kill();
  });

  it('never lets more than the limit hold a slot at once across two tasks', async () => {
    const key = newKey();
    const a = task('a', 3, 5_000, key);
    const b = task('b', 3, 5_000, key);
    await Promise.all([a.ready, b.ready]);
    let holding = 0;
    let most = 0;
    const work = async (semaphore: RedisSemaphore) => {
      const release = await semaphore.acquire();
      holding += 1;
      most = Math.max(most, holding);
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 15));
      holding -= 1;
      release();
    };
    await Promise.all([...Array.from({ length: 15 }, () => work(a.semaphore)), ...Array.from({ length: 15 }, () => work(b.semaphore))]);
    expect(most).toBe(3);
    expect(await a.client.zcard(key)).toBe(0);
  });

  it("frees a crashed task's slot once its lease runs out", async () => {
    const key = newKey();
    const crashed = task('crashed', 1, 600, key);
    const survivor = task('survivor', 1, 600, key);
    await Promise.all([crashed.ready, survivor.ready]);
    await crashed.semaphore.acquire();
    // A crash: no release, no more renewals, the connection gone.
    crashed.semaphore.close();
    crashed.client.disconnect();
    const started = Date.now();
    const release = await survivor.semaphore.acquire(AbortSignal.timeout(5_000));
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThan(300);
    expect(waited).toBeLessThan(1_500);
    release();
  });

  it('keeps a slot held past its lease while the holder renews it, and hands it over on release', async () => {
    const key = newKey();
    const holder = task('holder', 1, 300, key);
    const waiter = task('waiter', 1, 300, key);
    await Promise.all([holder.ready, waiter.ready]);
    const release = await holder.semaphore.acquire();
    await expect(waiter.semaphore.acquire(AbortSignal.timeout(1_000))).rejects.toMatchObject({ name: 'TimeoutError' });
    release();
    const started = Date.now();
    const next = await waiter.semaphore.acquire(AbortSignal.timeout(2_000));
    expect(Date.now() - started).toBeLessThan(500);
    next();
  });

  it('falls back to the local limit while Redis is unreachable', async () => {
    const nowhere = new Redis({ port: await freePort(), host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false });
    clients.push(nowhere);
    const semaphore = new RedisSemaphore({ redis: nowhere, isUp: () => false, limit: 2, leaseMs: 1_000, taskId: 'alone', logger: silentLogger });
    const first = await semaphore.acquire(AbortSignal.timeout(500));
    const second = await semaphore.acquire(AbortSignal.timeout(500));
    let third = false;
    const waiting = semaphore.acquire().then((release) => ((third = true), release));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(third).toBe(false);
    first();
    (await waiting)();
    second();
    expect(semaphore.held).toBe(0);
  });

  it('falls back to the local limit when a Redis call fails', async () => {
    const key = newKey();
    const flaky = task('flaky', 1, 1_000, key);
    await flaky.ready;
    flaky.client.disconnect();
    // isUp still says yes for a moment (a race with the connection's close): the failed call must not hang or throw.
    const semaphore = new RedisSemaphore({ redis: flaky.client, isUp: () => true, limit: 1, leaseMs: 1_000, taskId: 'flaky', logger: silentLogger, key });
    semaphores.push(semaphore);
    const release = await semaphore.acquire(AbortSignal.timeout(1_000));
    expect(semaphore.held).toBe(0);
    release();
  });
});
