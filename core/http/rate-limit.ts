import { JessicaError } from '../errors.js';

/**
 * A token bucket per principal: `perMinute` tokens a minute on average, bursts up to `burst`
 * (by default a tenth of the minute's, at least ten). Buckets idle for long are forgotten so
 * memory stays bounded.
 */
export class RateLimiter {
  readonly #perMinute: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  readonly #message: string;

  constructor(perMinute: number, now: () => number = Date.now, options: { burst?: number; message?: string } = {}) {
    this.#perMinute = perMinute;
    this.#burst = options.burst ?? Math.max(10, Math.ceil(perMinute / 10));
    this.#now = now;
    this.#message = options.message ?? 'Too many requests; slow down.';
  }

  /** Takes `cost` tokens; throws 429 rate_limited (with how long to wait) when the principal is over its budget. */
  take(principal: string, cost = 1): void {
    const now = this.#now();
    const bucket = this.#buckets.get(principal) ?? { tokens: this.#burst, at: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 60_000) * this.#perMinute);
    bucket.at = now;
    // A cost above the burst could never be paid: it waits for a full bucket instead.
    const needed = Math.min(cost, this.#burst);
    if (bucket.tokens < needed) {
      const wait = Math.ceil(((needed - bucket.tokens) * 60) / this.#perMinute);
      this.#buckets.set(principal, bucket);
      throw new JessicaError('rate_limited', this.#message, { retryAfterSeconds: Math.max(1, wait) });
    }
    bucket.tokens -= needed;
    this.#buckets.delete(principal);
    this.#buckets.set(principal, bucket);
    if (this.#buckets.size > 10_000) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
  }

  /** Gives back what `take` took for work that then did not happen. */
  give(principal: string, cost = 1): void {
    const bucket = this.#buckets.get(principal);
    if (bucket) bucket.tokens = Math.min(this.#burst, bucket.tokens + Math.min(cost, this.#burst));
  }
}
