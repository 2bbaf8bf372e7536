import { JessicaError } from '../errors.js';

/**
 * A token bucket per principal: `perMinute` requests a minute on average, bursts up to a
 * tenth of that. Buckets idle for long are forgotten so memory stays bounded.
 */
export class RateLimiter {
  readonly #perMinute: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(perMinute: number, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#burst = Math.max(10, Math.ceil(perMinute / 10));
    this.#now = now;
  }

  /** Throws 429 rate_limited when the principal is over its budget. */
  take(principal: string): void {
    const now = this.#now();
    const bucket = this.#buckets.get(principal) ?? { tokens: this.#burst, at: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 60_000) * this.#perMinute);
    bucket.at = now;
    if (bucket.tokens < 1) {
      const wait = Math.ceil(((1 - bucket.tokens) * 60) / this.#perMinute);
      this.#buckets.set(principal, bucket);
      throw new JessicaError('rate_limited', 'Too many requests; slow down.', { retryAfterSeconds: Math.max(1, wait) });
    }
    bucket.tokens -= 1;
    this.#buckets.delete(principal);
    this.#buckets.set(principal, bucket);
    if (this.#buckets.size > 10_000) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
  }
}
