import { LruAudioCache } from './cache/lru.js';
import type { Config } from './config.js';
import { ElevenLabsClient, userAgentFor } from './elevenlabs/client.js';
import { createJessica, type Jessica, type JessicaDeps } from './jessica.js';
import { LocalSemaphore, type Semaphore } from './limiter.js';
import type { Logger, MetricsSink, SettingsStore, UpstreamTransport } from './ports.js';
import { FileSettingsStore } from './settings/file-store.js';
import { MemorySettingsStore } from './settings/memory-store.js';
import { projectUrl } from './version.js';

export interface ComposeOptions {
  config: Config;
  version: string;
  logger: Logger;
  metrics: MetricsSink;
  /** The upstream key, when it came from somewhere other than the environment (SSM). */
  apiKey?: string | undefined;
  /** Builds the store for `dynamodb:` (an AWS adapter); file and memory stores are built here. */
  remoteSettingsStore?: (table: string) => SettingsStore;
  limiter?: Semaphore;
  /** How the ElevenLabs client reaches the network (default `fetch`). */
  upstreamTransport?: UpstreamTransport;
  live?: JessicaDeps['live'];
}

/** Builds the settings store that `JESSICA_SETTINGS` names. */
export function settingsStoreFor(config: Config, remote?: (table: string) => SettingsStore): SettingsStore {
  const location = config.settings;
  switch (location.kind) {
    case 'memory':
      return new MemorySettingsStore();
    case 'file':
      return new FileSettingsStore(location.path);
    case 'dynamodb':
      if (!remote) throw new Error('JESSICA_SETTINGS=dynamodb: needs the AWS settings store in this runtime');
      return remote(location.table);
  }
}

/** The standard wiring of the core from configuration; both adapters call it once at start. */
export function composeJessica(options: ComposeOptions): Jessica {
  const { config, logger, metrics } = options;
  const provider = new ElevenLabsClient({
    baseUrl: config.elevenLabsBaseUrl,
    apiKey: options.apiKey ?? config.elevenLabsApiKey,
    timeoutMs: config.upstreamTimeoutMs,
    retries: config.upstreamRetries,
    limiter: options.limiter ?? new LocalSemaphore(config.upstreamConcurrency),
    userAgent: userAgentFor(options.version, projectUrl()),
    logger,
    metrics,
    ...(options.upstreamTransport ? { transport: options.upstreamTransport } : {}),
  });
  return createJessica({
    config: options.apiKey === undefined ? config : Object.freeze({ ...config, elevenLabsApiKey: options.apiKey }),
    version: options.version,
    provider,
    settingsStore: settingsStoreFor(config, options.remoteSettingsStore),
    cache: new LruAudioCache(config.cacheBytes),
    logger,
    metrics,
    ...(options.live ? { live: options.live } : {}),
  });
}
