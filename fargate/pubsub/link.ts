import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../core/index.js';

export interface RedisLinkOptions {
  url: string;
  taskId: string;
  logger: Logger;
  /** Longest wait between reconnection attempts. */
  retryMaxMs?: number;
  /** A reply slower than this fails the command (and the caller falls back), instead of hanging. */
  commandTimeoutMs?: number;
}

export interface LinkHandlers {
  /** A message on a subscribed channel, bytes as published. */
  message(channel: string, message: Buffer): void;
  /** Both connections are back and every subscription is restored: republish what this task holds. */
  restored(): Promise<void>;
  /** A connection dropped: messages in flight may be lost. */
  lost(): void;
}

/**
 * The two connections a task keeps to Redis (a subscriber connection can run nothing but
 * (un)subscribe commands): one for commands and scripts, one for subscriptions. Both fail fast
 * while Redis is away (no offline queue, no retries per request) and reconnect by themselves
 * with jittered backoff; subscriptions are counted here and restored after every reconnect.
 */
export class RedisLink {
  readonly commands: Redis;
  readonly subscriber: Redis;
  readonly #logger: Logger;
  readonly #subscriptions = new Map<string, number>();
  /** SUBSCRIBE commands not yet confirmed: a second caller waits for the same confirmation. */
  readonly #confirming = new Map<string, Promise<void>>();
  #handlers: LinkHandlers | undefined;
  #up = false;
  #restoring: Promise<void> | undefined;
  #closed = false;
  /** Counts connection losses, so a restore that a loss overtook is not taken for a good one. */
  #generation = 0;
  #lastErrorLog = 0;

  constructor(options: RedisLinkOptions) {
    this.#logger = options.logger;
    const retryMaxMs = options.retryMaxMs ?? 2_000;
    const base: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      enableReadyCheck: true,
      connectTimeout: 2_000,
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      disableClientInfo: true,
      // Jitter so that many tasks do not reconnect in lockstep after a failover.
      retryStrategy: (times) => Math.round(Math.min(retryMaxMs, 50 * 2 ** Math.min(times, 10)) * (0.5 + Math.random() / 2)),
    };
    this.commands = new Redis(options.url, { ...base, connectionName: `jessica-${options.taskId}` });
    this.subscriber = new Redis(options.url, { ...base, connectionName: `jessica-${options.taskId}-sub` });
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.#handlers?.message(channel.toString('utf8'), message));
    for (const client of [this.commands, this.subscriber]) {
      client.on('ready', () => this.#maybeRestore());
      client.on('close', () => this.#lost());
      client.on('error', (error: Error) => this.#logError(error));
    }
  }

  /** True while both connections are ready and every subscription is in place. */
  get up(): boolean {
    return this.#up;
  }

  start(handlers: LinkHandlers): void {
    this.#handlers = handlers;
    this.#maybeRestore();
  }

  /**
   * Subscribes to `channel` (counted: the last `unsubscribe` leaves it). Resolves once Redis
   * confirmed, or at once while Redis is away (the subscription is restored on reconnection).
   */
  async subscribe(channel: string): Promise<void> {
    const count = (this.#subscriptions.get(channel) ?? 0) + 1;
    this.#subscriptions.set(channel, count);
    if (count > 1) return this.#confirming.get(channel);
    if (this.subscriber.status !== 'ready') return;
    const confirmed = this.subscriber
      .subscribe(channel)
      .then(() => undefined, (error: unknown) => this.#logError(error))
      .finally(() => {
        if (this.#confirming.get(channel) === confirmed) this.#confirming.delete(channel);
      });
    this.#confirming.set(channel, confirmed);
    return confirmed;
  }

  unsubscribe(channel: string): void {
    const count = (this.#subscriptions.get(channel) ?? 0) - 1;
    if (count > 0) {
      this.#subscriptions.set(channel, count);
      return;
    }
    this.#subscriptions.delete(channel);
    if (this.subscriber.status === 'ready') void this.subscriber.unsubscribe(channel).catch((error: unknown) => this.#logError(error));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#up = false;
    await Promise.all([this.commands, this.subscriber].map((client) => client.quit().catch(() => client.disconnect())));
  }

  #maybeRestore(): void {
    if (this.#closed || !this.#handlers || this.#restoring) return;
    if (this.commands.status !== 'ready' || this.subscriber.status !== 'ready') return;
    const generation = this.#generation;
    this.#restoring = (async () => {
      try {
        const wanted = [...this.#subscriptions.keys()];
        if (wanted.length > 0) await this.subscriber.subscribe(...wanted);
        await this.#handlers!.restored();
        if (generation === this.#generation && !this.#closed) {
          this.#up = true;
          this.#logger.info('shared live channel connected', { subscriptions: wanted.length });
        }
      } catch (error) {
        this.#logError(error);
      } finally {
        this.#restoring = undefined;
      }
      // A failure while both connections stayed ready would otherwise leave the link down for good.
      if (!this.#up && !this.#closed) setTimeout(() => this.#maybeRestore(), generation === this.#generation ? 500 : 0).unref();
    })();
  }

  #lost(): void {
    if (this.#closed) return;
    const wasUp = this.#up;
    this.#generation += 1;
    this.#up = false;
    if (wasUp) this.#logger.warn('shared live channel lost; serving local listeners only until Redis is back');
    this.#handlers?.lost();
  }

  #logError(error: unknown): void {
    // Reconnection attempts fail every few hundred milliseconds while Redis is away; one line every 10 s is enough.
    const now = Date.now();
    if (now - this.#lastErrorLog < 10_000) return;
    this.#lastErrorLog = now;
    this.#logger.warn('redis error', { reason: error instanceof Error ? error.message : String(error) });
  }
}
