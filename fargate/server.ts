import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  composeJessica,
  createApiHandler,
  LiveHub,
  loadConfig,
  packageVersion,
  sleep,
  type Config,
  type Jessica,
  type SettingsStore,
} from '../core/index.js';
import { createApp } from './app.js';
import { createLogger, EmfMetrics, loggerPort } from './observability.js';
import { attachLiveSockets } from './ws.js';

export interface StartOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Reads a SecureString (ELEVENLABS_API_KEY_PARAM); the AWS adapter in production. */
  readSecret?: (name: string) => Promise<string>;
  /** Builds the DynamoDB settings store for `JESSICA_SETTINGS=dynamodb:<table>`. */
  remoteSettingsStore?: (table: string) => SettingsStore;
}

export interface RunningServer {
  /** `http://host:port` (without the root path). */
  readonly url: string;
  readonly rootPath: string;
  readonly port: number;
  readonly config: Config;
  readonly jessica: Jessica;
  readonly hub: LiveHub;
  readonly http: Server;
  /** Graceful: refuse new work, let speech finish (up to the drain deadline), close sockets with 1001. */
  shutdown(): Promise<void>;
  /** Immediate close (tests). */
  close(): Promise<void>;
}

/** A listener may fall this far behind before it is dropped (about a minute of 128 kbit/s audio). */
const MAX_LISTENER_BUFFER = 1024 * 1024;
const METRICS_FLUSH_MS = 60_000;

/** The live server's composition root: config → core → hub → HTTP + WebSocket. */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const config = loadConfig(options.env);
  const powertools = createLogger(config.logLevel);
  const logger = loggerPort(powertools);
  const metricsMode = options.env['JESSICA_METRICS'] ?? (options.env['ECS_CONTAINER_METADATA_URI_V4'] ? 'emf' : 'off');
  const metrics = new EmfMetrics(metricsMode === 'emf');
  const apiKey =
    config.elevenLabsApiKey ??
    (config.elevenLabsApiKeyParam && options.readSecret ? await options.readSecret(config.elevenLabsApiKeyParam) : undefined);

  let hub!: LiveHub;
  const jessica = composeJessica({
    config,
    version: packageVersion(),
    logger,
    metrics,
    apiKey,
    ...(options.remoteSettingsStore ? { remoteSettingsStore: options.remoteSettingsStore } : {}),
    live: (speech) => {
      hub = new LiveHub({ audio: (plan, signal) => speech.audio(plan, signal), maxBufferedBytes: MAX_LISTENER_BUFFER, logger, metrics });
      return hub;
    },
  });

  const api = createApiHandler({ jessica, config, logger });
  const app = createApp({ config, api, logger, webDir: findWebDir(options.env['JESSICA_WEB_DIR']) });
  const http = createServer(app);
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  const sockets = attachLiveSockets({ server: http, config, jessica, hub, logger });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  logger.info('jessica is listening', { url: `${url}${config.rootPath}/`, target: config.target, upstreamConfigured: apiKey !== undefined });

  const flushTimer = setInterval(() => {
    metrics.gauge('ActiveConnections', hub.totalListeners);
    metrics.flush();
  }, METRICS_FLUSH_MS);
  flushTimer.unref();

  let stopping: Promise<void> | undefined;
  const closeEverything = async (graceMs: number) => {
    clearInterval(flushTimer);
    sockets.close();
    hub.closeAll(1001, 'server shutting down');
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeIdleConnections();
    await Promise.race([closed, sleep(graceMs)]);
    http.closeAllConnections();
    for (const ws of sockets.wss.clients) ws.terminate();
    await closed;
    metrics.gauge('ActiveConnections', 0);
    metrics.flush();
  };

  return {
    url,
    rootPath: config.rootPath,
    port,
    config,
    jessica,
    hub,
    http,
    shutdown() {
      stopping ??= (async () => {
        logger.info('draining', { activeUtterances: hub.activeUtterances, deadlineMs: config.drainTimeoutMs });
        jessica.startDraining();
        const deadline = sleep(config.drainTimeoutMs).then(() => 'deadline' as const);
        const outcome = await Promise.race([hub.idle().then(() => 'idle' as const), deadline]);
        if (outcome === 'deadline') hub.abortAll();
        await closeEverything(Math.min(5_000, config.drainTimeoutMs));
        logger.info('stopped', { outcome });
      })();
      return stopping;
    },
    close() {
      stopping ??= (async () => {
        jessica.startDraining();
        hub.abortAll();
        await closeEverything(0);
      })();
      return stopping;
    },
  };
}

function findWebDir(configured: string | undefined): string | undefined {
  const candidates = configured ? [configured] : ['../web/dist', '../../web/dist'].map((path) => fileURLToPath(new URL(path, import.meta.url)));
  return candidates.find((dir) => existsSync(`${dir}/index.html`));
}
