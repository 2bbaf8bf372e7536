import { existsSync } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  composeJessica,
  createApiHandler,
  LiveHub,
  loadConfig,
  packageVersion,
  SECURITY_HEADERS,
  sleep,
  type Config,
  type Jessica,
  type SettingsStore,
  type SpeechPlan,
} from '../core/index.js';
import { createRequestListener } from './app.js';
import { banner } from './banner.js';
import { createLogger, EmfMetrics, loggerPort, prettyLogger } from './observability.js';
import { nodeTransport } from './upstream-transport.js';
import { userEnvFile } from './user-env.js';
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
export const MAX_LISTENER_BUFFER = 1024 * 1024;
const METRICS_FLUSH_MS = 60_000;

/** The live server's composition root: config → core → hub → HTTP + WebSocket. */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const config = loadConfig(options.env);
  // A person at a terminal gets readable lines and a banner; containers keep JSON lines.
  const pretty = (config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty';
  const logger = pretty ? prettyLogger(config.logLevel) : loggerPort(createLogger(config.logLevel));
  const metricsMode = options.env['JESSICA_METRICS'] ?? (options.env['ECS_CONTAINER_METADATA_URI_V4'] ? 'emf' : 'off');
  const metrics = new EmfMetrics(metricsMode === 'emf');
  const apiKey =
    config.elevenLabsApiKey ??
    (config.elevenLabsApiKeyParam && options.readSecret ? await options.readSecret(config.elevenLabsApiKeyParam) : undefined);

  // JESSICA_PUBSUB: several tasks share listeners and the upstream limit through Redis (fargate/pubsub/README.md).
  const shared = config.pubsubUrl
    ? (await import('./pubsub/index.js')).createSharedLive({
        url: config.pubsubUrl,
        env: options.env,
        upstreamConcurrency: config.upstreamConcurrency,
        upstreamTimeoutMs: config.upstreamTimeoutMs,
        logger,
      })
    : undefined;
  let hub!: LiveHub;
  const jessica = composeJessica({
    config,
    version: packageVersion(),
    logger,
    metrics,
    apiKey,
    ...(options.remoteSettingsStore ? { remoteSettingsStore: options.remoteSettingsStore } : {}),
    ...(shared ? { limiter: shared.limiter } : {}),
    upstreamTransport: nodeTransport,
    live: (speech) => {
      const hubOptions = { audio: (plan: SpeechPlan, signal: AbortSignal) => speech.chunks(plan, signal), maxBufferedBytes: MAX_LISTENER_BUFFER, logger, metrics };
      if (!shared) return (hub = new LiveHub(hubOptions));
      const wired = shared.live(hubOptions);
      hub = wired.hub;
      return wired.channel;
    },
  });

  const api = createApiHandler({ jessica, config, logger });
  const app = createRequestListener({ config, api, logger, webDir: findWebDir(options.env['JESSICA_WEB_DIR']) });
  const http = createServer(app);
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  // Requests Node cannot parse, and CONNECT, never reach Express: answer them in the SPEC's error shape too.
  http.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    refuseRaw(socket, 400, 'invalid_request', tooLarge ? 'The request headers are too large.' : 'The request is not valid HTTP.');
  });
  http.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    refuseRaw(socket, 405, 'method_not_allowed', 'CONNECT is not allowed here.');
  });
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
  if (pretty && config.logLevel !== 'SILENT') {
    const facts = { version: packageVersion(), pageUrl: `${url}${config.rootPath}/`, config, keyConfigured: apiKey !== undefined };
    process.stdout.write(banner({ ...facts, envFile: userEnvFile(options.env) }));
  } else {
    logger.info('jessica is listening', { url: `${url}${config.rootPath}/`, target: config.target, upstreamConfigured: apiKey !== undefined });
  }

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
    await shared?.close();
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
        const outcome = await Promise.race([(shared ? shared.drain() : hub.idle()).then(() => 'idle' as const), deadline]);
        if (outcome === 'deadline') {
          shared?.abortAll();
          hub.abortAll();
          // Each aborted utterance sends its audio.error on the way out; let that happen before the sockets close.
          await Promise.race([hub.idle(), sleep(1_000)]);
        }
        await closeEverything(Math.min(5_000, config.drainTimeoutMs));
        logger.info('stopped', { outcome });
      })();
      return stopping;
    },
    close() {
      stopping ??= (async () => {
        jessica.startDraining();
        shared?.abortAll();
        hub.abortAll();
        await closeEverything(0);
      })();
      return stopping;
    },
  };
}

/** Writes a whole error response on a socket Express never saw, then closes it. */
function refuseRaw(socket: Duplex, status: number, code: string, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  const headers = Object.entries({ ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), connection: 'close' })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${headers}\r\n${body}`);
}

function findWebDir(configured: string | undefined): string | undefined {
  const candidates = configured ? [configured] : ['../web/dist', '../../web/dist'].map((path) => fileURLToPath(new URL(path, import.meta.url)));
  return candidates.find((dir) => existsSync(`${dir}/index.html`));
}
