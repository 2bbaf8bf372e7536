import type { Redis } from 'ioredis';
import { LocalSemaphore, sleep, type Logger, type Semaphore } from '../../core/index.js';
import { acquireSlot, keys, renewSlots } from './scripts.js';

export interface RedisSemaphoreOptions {
  redis: Redis;
  /** False while Redis is unreachable: then only the local bound applies. */
  isUp: () => boolean;
  limit: number;
  /** A holder that stops renewing (a crashed task) loses its slot after this long. */
  leaseMs: number;
  taskId: string;
  logger: Logger;
  key?: string;
}

/** First wait between attempts while every slot is taken; it doubles up to POLL_MAX_MS. */
const POLL_MIN_MS = 10;
const POLL_MAX_MS = 100;

/**
 * The upstream concurrency limit across every task: a sorted set of holders scored by lease
 * expiry, taken atomically by a Lua script (drop expired holders, then add this one if fewer
 * than `limit` remain), polled with jitter while full, renewed while held, removed on release.
 *
 * Each task also keeps a local semaphore with the same limit, taken first: waiters of one task
 * keep their arrival order, a task never polls Redis for more slots than it could use, and
 * while Redis is unreachable the local bound still holds (the cluster-wide bound is then
 * `limit` per task until Redis is back).
 *
 * @example
 * const limiter = new RedisSemaphore({ redis, isUp: () => link.up, limit: 4, leaseMs: 15_000, taskId, logger });
 * const release = await limiter.acquire(signal);
 * try { await callUpstream(); } finally { release(); }
 */
export class RedisSemaphore implements Semaphore {
  readonly #options: RedisSemaphoreOptions;
  readonly #key: string;
  readonly #local: LocalSemaphore;
  readonly #held = new Set<string>();
  #counter = 0;
  #renewal: NodeJS.Timeout | undefined;

  constructor(options: RedisSemaphoreOptions) {
    this.#options = options;
    this.#key = options.key ?? keys.upstreamHolders;
    this.#local = new LocalSemaphore(options.limit);
  }

  /** Slots this task holds in Redis right now. */
  get held(): number {
    return this.#held.size;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    const releaseLocal = await this.#local.acquire(signal);
    let holder: string | undefined;
    try {
      holder = await this.#acquireShared(signal);
    } catch (error) {
      releaseLocal();
      throw error;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (holder !== undefined) this.#releaseShared(holder);
      releaseLocal();
    };
  }

  /** Stops renewing (the process is going away; leases run out by themselves). */
  close(): void {
    if (this.#renewal) clearInterval(this.#renewal);
    this.#renewal = undefined;
  }

  /** Resolves with the holder id, or undefined when Redis cannot be asked (the local slot alone then). */
  async #acquireShared(signal: AbortSignal | undefined): Promise<string | undefined> {
    const { redis, isUp, limit, leaseMs, taskId, logger } = this.#options;
    this.#counter += 1;
    const holder = `${taskId}:${this.#counter}`;
    for (let attempt = 0; ; attempt += 1) {
      signal?.throwIfAborted();
      if (!isUp()) return undefined;
      let granted: boolean;
      try {
        granted = (await acquireSlot.run(redis, [this.#key], [holder, limit, leaseMs])) === 1;
      } catch (error) {
        logger.debug('upstream slot from redis failed; using the local limit', { reason: error instanceof Error ? error.message : String(error) });
        return undefined;
      }
      if (granted) {
        if (signal?.aborted) {
          this.#releaseShared(holder);
          throw signal.reason;
        }
        this.#held.add(holder);
        this.#renewal ??= setInterval(() => this.#renew(), Math.max(50, Math.floor(leaseMs / 3)));
        this.#renewal.unref();
        return holder;
      }
      const wait = Math.min(POLL_MAX_MS, POLL_MIN_MS * 2 ** attempt);
      await sleep(Math.round(wait * (0.5 + Math.random())), signal);
    }
  }

  #releaseShared(holder: string): void {
    this.#held.delete(holder);
    if (this.#held.size === 0) this.close();
    if (this.#options.isUp()) void this.#options.redis.zrem(this.#key, holder).catch(() => undefined);
  }

  #renew(): void {
    if (this.#held.size === 0 || !this.#options.isUp()) return;
    void renewSlots.run(this.#options.redis, [this.#key], [this.#options.leaseMs, ...this.#held]).catch((error: unknown) => {
      this.#options.logger.debug('renewing upstream slots failed', { reason: error instanceof Error ? error.message : String(error) });
    });
  }
}
