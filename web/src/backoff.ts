export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Fraction of each delay that is randomised, so many pages do not reconnect in lockstep. */
  jitter: number;
}

export const RECONNECT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

/**
 * Reconnect delays: exponential, capped, jittered, and back to the start after a success.
 *
 * @example
 * const backoff = new Backoff(RECONNECT_BACKOFF);
 * setTimeout(connect, backoff.next()); // ~0.25–0.5 s, then ~0.5–1 s, … up to 30 s
 */
export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions, random: () => number = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.#options;
    const ceiling = Math.min(maxMs, initialMs * factor ** this.#attempt);
    this.#attempt += 1;
    return Math.round(ceiling * (1 - jitter * this.#random()));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
