import { randomBytes } from 'node:crypto';
import { ConfigError, LiveHub, type LiveHubOptions, type Logger, type Semaphore } from '../../core/index.js';
import { RedisLiveChannel } from './channel.js';
import { RedisLink } from './link.js';
import { RedisSemaphore } from './semaphore.js';

export { RedisLiveChannel } from './channel.js';
export { RedisLink } from './link.js';
export { RedisSemaphore } from './semaphore.js';

export interface SharedLiveOptions {
  /** `JESSICA_PUBSUB`: redis:// or rediss:// (Redis, Valkey, ElastiCache Serverless for Valkey). */
  url: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Upstream requests allowed at once across every task (`JESSICA_UPSTREAM_CONCURRENCY`). */
  upstreamConcurrency: number;
  /** `JESSICA_UPSTREAM_TIMEOUT_MS`: the longest pause between two upstream chunks. */
  upstreamTimeoutMs: number;
  logger: Logger;
}

/** The live path and upstream limit shared by every task of the service. */
export interface SharedLive {
  readonly taskId: string;
  readonly limiter: Semaphore;
  /** Builds this task's hub (for its own sockets) and the channel that feeds it from the other tasks. */
  live(hubOptions: LiveHubOptions): { hub: LiveHub; channel: RedisLiveChannel };
  /** SIGTERM: withdraw presence, let what is playing or being sent finish. */
  drain(): Promise<void>;
  /** The drain deadline passed. */
  abortAll(): void;
  close(): Promise<void>;
}

/** Presence, utterance registrations, speaker and upstream leases of a crashed task last this long. */
const DEFAULT_TTL_MS = 15_000;
/** Audio of one utterance buffered per task ahead of its hub (about 8 minutes of 128 kbit/s). */
const FEED_MAX_BYTES = 8 * 1024 * 1024;

/** `JESSICA_PRESENCE_TTL_MS`, validated like the rest of the configuration. */
export function presenceTtlFrom(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env['JESSICA_PRESENCE_TTL_MS']?.trim();
  if (raw === undefined || raw === '') return DEFAULT_TTL_MS;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= 300 && value <= 600_000)) throw new ConfigError('JESSICA_PRESENCE_TTL_MS', `expected a number from 300 to 600000, got "${raw}"`);
  return value;
}

/**
 * Connects this task to the others through Redis. Nothing waits for Redis here: the task
 * starts (and serves REST and its own listeners, reporting `degraded`) while Redis is away.
 *
 * @example
 * const shared = createSharedLive({ url: config.pubsubUrl, env, upstreamConcurrency: 4, upstreamTimeoutMs: 15_000, logger });
 * const { hub, channel } = shared.live({ audio, maxBufferedBytes, logger, metrics });
 */
export function createSharedLive(options: SharedLiveOptions): SharedLive {
  const ttlMs = presenceTtlFrom(options.env);
  const taskId = `task_${randomBytes(6).toString('hex')}`;
  const { logger } = options;
  const link = new RedisLink({ url: options.url, taskId, logger });
  const limiter = new RedisSemaphore({
    redis: link.commands,
    isUp: () => link.up,
    limit: options.upstreamConcurrency,
    leaseMs: ttlMs,
    taskId,
    logger,
  });
  let channel: RedisLiveChannel | undefined;
  let hub: LiveHub | undefined;
  return {
    taskId,
    limiter,
    live(hubOptions) {
      if (channel && hub) return { hub, channel };
      hub = new LiveHub({ ...hubOptions, onListenersChanged: (principal, count) => channel?.listenersChanged(principal, count) });
      channel = new RedisLiveChannel({
        link,
        hub,
        audio: hubOptions.audio,
        taskId,
        ttlMs,
        feedMaxBytes: FEED_MAX_BYTES,
        feedIdleMs: ttlMs,
        flowStallMs: Math.floor((options.upstreamTimeoutMs * 2) / 3),
        logger,
      });
      return { hub, channel };
    },
    async drain() {
      if (channel) await channel.drain();
      else await hub?.idle();
    },
    abortAll() {
      channel?.abortAll();
    },
    async close() {
      await channel?.close();
      limiter.close();
      await link.close();
    },
  };
}
