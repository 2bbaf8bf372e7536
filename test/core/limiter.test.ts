import { describe, expect, it } from 'vitest';
import { LocalSemaphore } from '../../core/limiter.js';
import { rejectionOf } from './support/fakes.js';

describe('LocalSemaphore', () => {
  it('refuses a limit that is not a positive integer', () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) expect(() => new LocalSemaphore(limit)).toThrow(RangeError);
  });

  it('grants up to the limit at once and queues the rest in arrival order', async () => {
    const semaphore = new LocalSemaphore(2);
    const first = await semaphore.acquire();
    const second = await semaphore.acquire();
    const order: string[] = [];
    const third = semaphore.acquire().then((release) => (order.push('third'), release));
    const fourth = semaphore.acquire().then((release) => (order.push('fourth'), release));
    expect(semaphore.active).toBe(2);
    expect(semaphore.waiting).toBe(2);
    first();
    const releaseThird = await third;
    expect(order).toEqual(['third']);
    second();
    const releaseFourth = await fourth;
    expect(order).toEqual(['third', 'fourth']);
    releaseThird();
    releaseFourth();
    expect(semaphore.active).toBe(0);
  });

  it('ignores a second call of the same release', async () => {
    const semaphore = new LocalSemaphore(1);
    const release = await semaphore.acquire();
    release();
    release();
    expect(semaphore.active).toBe(0);
    await semaphore.acquire();
    expect(semaphore.active).toBe(1);
  });

  it('drops a waiter whose signal aborts, with the signal’s reason', async () => {
    const semaphore = new LocalSemaphore(1);
    const release = await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    const next = semaphore.acquire();
    controller.abort(new Error('gave up'));
    expect(await rejectionOf(waiting)).toMatchObject({ message: 'gave up' });
    expect(semaphore.waiting).toBe(1);
    release();
    const releaseNext = await next;
    expect(semaphore.active).toBe(1);
    releaseNext();
  });

  it('refuses at once when the signal is already aborted', async () => {
    const semaphore = new LocalSemaphore(1);
    const signal = AbortSignal.abort(new Error('too late'));
    expect(() => semaphore.acquire(signal)).toThrow('too late');
    expect(semaphore.active).toBe(0);
  });
});
