import { describe, expect, it } from 'vitest';
import { Backoff, RECONNECT_BACKOFF } from '../../web/src/backoff.js';

describe('reconnect backoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    const backoff = new Backoff({ ...RECONNECT_BACKOFF, jitter: 0 });
    const delays = Array.from({ length: 10 }, () => backoff.next());
    expect(delays.slice(0, 4)).toEqual([500, 1_000, 2_000, 4_000]);
    expect(Math.max(...delays)).toBe(30_000);
    expect(delays.at(-1)).toBe(30_000);
  });

  it('spreads each delay over its jitter band', () => {
    const low = new Backoff(RECONNECT_BACKOFF, () => 1);
    const high = new Backoff(RECONNECT_BACKOFF, () => 0);
    expect(low.next()).toBe(250);
    expect(high.next()).toBe(500);
  });

  it('starts over after a reset', () => {
    const backoff = new Backoff({ ...RECONNECT_BACKOFF, jitter: 0 });
    for (let i = 0; i < 6; i += 1) backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(500);
  });
});
