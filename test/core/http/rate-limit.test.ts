import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../core/http/rate-limit.js';

function refusal(limiter: RateLimiter, principal: string): unknown {
  try {
    limiter.take(principal);
  } catch (error) {
    return error;
  }
  throw new Error('expected the limiter to refuse');
}

describe('RateLimiter', () => {
  it('allows a burst of a tenth of the minute’s budget, at least ten', () => {
    const now = 0;
    const small = new RateLimiter(60, () => now);
    for (let index = 0; index < 10; index += 1) small.take('alice');
    expect(refusal(small, 'alice')).toMatchObject({ code: 'rate_limited', status: 429 });
    const large = new RateLimiter(600, () => now);
    for (let index = 0; index < 60; index += 1) large.take('alice');
    expect(refusal(large, 'alice')).toMatchObject({ code: 'rate_limited' });
  });

  it('tells how long to wait for the next token, and refills at the per-minute rate', () => {
    let now = 0;
    const limiter = new RateLimiter(60, () => now); // one token a second
    for (let index = 0; index < 10; index += 1) limiter.take('alice');
    expect(refusal(limiter, 'alice')).toMatchObject({ retryAfterSeconds: 1 });
    now += 999;
    expect(refusal(limiter, 'alice')).toMatchObject({ code: 'rate_limited' });
    now += 1;
    limiter.take('alice');
    expect(refusal(limiter, 'alice')).toMatchObject({ code: 'rate_limited' });
  });

  it('never refills beyond the burst', () => {
    let now = 0;
    const limiter = new RateLimiter(60, () => now);
    limiter.take('alice');
    now += 3_600_000;
    for (let index = 0; index < 10; index += 1) limiter.take('alice');
    expect(refusal(limiter, 'alice')).toMatchObject({ code: 'rate_limited' });
  });

  it('asks for a wait of at least a second, even at high rates', () => {
    const limiter = new RateLimiter(6_000, () => 0);
    for (let index = 0; index < 600; index += 1) limiter.take('alice');
    expect(refusal(limiter, 'alice')).toMatchObject({ retryAfterSeconds: 1 });
  });

  it('keeps principals apart', () => {
    const limiter = new RateLimiter(60, () => 0);
    for (let index = 0; index < 10; index += 1) limiter.take('alice');
    expect(() => limiter.take('bob')).not.toThrow();
  });

  it('forgets the least recently seen principal beyond 10 000', () => {
    const limiter = new RateLimiter(60, () => 0);
    for (let index = 0; index < 10; index += 1) limiter.take('first');
    expect(refusal(limiter, 'first')).toMatchObject({ code: 'rate_limited' });
    for (let index = 0; index < 10_000; index += 1) limiter.take(`p${index}`);
    expect(() => limiter.take('first')).not.toThrow();
  });
});

describe('RateLimiter.give', () => {
  it('gives back what was taken for work that did not happen, never above the burst', () => {
    const now = 0;
    const limiter = new RateLimiter(60, () => now);
    for (let index = 0; index < 10; index += 1) limiter.take('alice');
    expect(refusal(limiter, 'alice')).toMatchObject({ code: 'rate_limited' });
    limiter.give('alice');
    limiter.take('alice');
    expect(refusal(limiter, 'alice')).toMatchObject({ code: 'rate_limited' });
    limiter.give('alice', 1_000);
    for (let index = 0; index < 10; index += 1) limiter.take('alice');
    expect(refusal(limiter, 'alice')).toMatchObject({ code: 'rate_limited' });
  });
});
