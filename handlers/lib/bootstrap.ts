import type { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { composeJessica } from '../../core/compose.js';
import { loadConfig, type Config } from '../../core/config.js';
import { createApiHandler, type ApiRequest, type ApiResponse } from '../../core/http/api.js';
import type { Jessica } from '../../core/jessica.js';
import type { Logger, MetricsSink } from '../../core/ports.js';
import { packageVersion } from '../../core/version.js';
import { nodeTransport } from '../../fargate/upstream-transport.js';
import { remoteSettingsStoreFor, withSecretParameters } from './aws-on-demand.js';
import type { Observability } from './observability.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What a Lambda handler needs from the core, built once per cold start. */
export interface LambdaRuntime {
  config: Config;
  jessica: Jessica;
  api: (request: ApiRequest) => Promise<ApiResponse>;
}

export interface BootstrapOptions {
  env: Env;
  logger: Logger;
  metrics: MetricsSink;
  /** Called only when a `*_PARAM` variable needs reading. */
  ssm?: () => SSMClient;
  /** Default: a DocumentClient for the ambient region and credentials. */
  dynamo?: DynamoDBDocumentClient;
}

/**
 * Cold start: secrets from SSM, configuration for the Lambda target (no live channel, so
 * `/speak` and `/stop` answer 503 live_channel_unavailable), settings in DynamoDB when
 * `JESSICA_SETTINGS=dynamodb:<table>`, and the core's HTTP contract on top. The SSM and
 * DynamoDB adapters are loaded only when the configuration names them (aws-on-demand.ts).
 */
export async function bootstrapLambda(options: BootstrapOptions): Promise<LambdaRuntime> {
  const { logger, metrics } = options;
  const env = await withSecretParameters(options.env, options.ssm);
  const config = loadConfig(env, { target: 'lambda' });
  const remoteSettingsStore = await remoteSettingsStoreFor(config, options.dynamo);
  const jessica = composeJessica({
    config,
    version: options.env['JESSICA_VERSION']?.trim() || packageVersion(),
    logger,
    metrics,
    // Node's own HTTP client, as on the live server: the first `fetch` of a process loads and
    // compiles undici (~70 ms of a cold start, measured by bench/suites/lambda.ts); node:http is loaded already.
    upstreamTransport: nodeTransport,
    ...(remoteSettingsStore ? { remoteSettingsStore } : {}),
  });
  logger.info('cold start complete', {
    version: jessica.version,
    settings: config.settings.kind,
    upstreamConfigured: config.elevenLabsApiKey !== undefined,
    principals: config.tokens?.length ?? 0,
  });
  return { config, jessica, api: createApiHandler({ jessica, config, logger, openStreams: false }) };
}

/**
 * Runs `factory` once and shares its promise with every caller; a failure is not kept, so the
 * next invocation retries (a throttled SSM read must not poison a warm container).
 */
export function once<T>(factory: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= factory().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** What tests (and other callers) may hand a handler factory instead of the Lambda defaults. */
export interface HandlerOptions {
  /** Default: process.env, read at the first invocation. */
  env?: Env;
  observability?: Observability;
  ssm?: () => SSMClient;
  dynamo?: DynamoDBDocumentClient;
}

/** The cold start of an HTTP or streaming handler, run by its first invocation. */
export function lazyRuntime(options: HandlerOptions, observability: Observability): () => Promise<LambdaRuntime> {
  return once(() =>
    bootstrapLambda({
      env: options.env ?? process.env,
      logger: observability.logger,
      metrics: observability.metrics,
      ...(options.ssm ? { ssm: options.ssm } : {}),
      ...(options.dynamo ? { dynamo: options.dynamo } : {}),
    }),
  );
}
