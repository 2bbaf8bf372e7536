import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createHttpHandler, type HttpHandler, type HttpHandlerOptions } from '../../handlers/http.js';
import { createObservability } from '../../handlers/lib/observability.js';
import { eventFor, httpApiEvent, lambdaContext, quietObservability } from '../handlers/helpers.js';

export interface EventInit {
  method?: string;
  /** Below the root path, e.g. `/api/v1/settings`. */
  path: string;
  query?: string;
  headers?: Record<string, string>;
  /** JSON-encoded unless a string. */
  body?: unknown;
  /** Raw bytes, sent as API Gateway sends binary bodies (`isBase64Encoded: true`). */
  bodyBase64?: string;
  token?: string;
}

export type LambdaCall = (init: EventInit) => Promise<APIGatewayProxyStructuredResultV2 & { json?: unknown }>;

/**
 * One Lambda container's HTTP handler (its own cold start) behind API Gateway's `/jessica`,
 * driven with the checked-in payload 2.0 event (test/handlers/helpers.ts); JSON results come
 * back parsed. Logs and metrics are silent unless `env.LOG_LEVEL` asks for them.
 */
export function lambdaHandler(env: Record<string, string | undefined>, options: Omit<HttpHandlerOptions, 'env'> = {}): { handler: HttpHandler; call: LambdaCall } {
  const fullEnv = { ROOT_PATH: '/jessica', ...env };
  const observability = env['LOG_LEVEL'] === undefined ? quietObservability() : createObservability(fullEnv);
  const handler = createHttpHandler({ env: fullEnv, observability, ...options });
  const call: LambdaCall = async (init) => {
    const headers: Record<string, string> = {};
    if (init.body !== undefined || init.bodyBase64 !== undefined) headers['content-type'] = 'application/json';
    if (init.token) headers['authorization'] = `Bearer ${init.token}`;
    Object.assign(headers, init.headers);
    const body =
      init.bodyBase64 !== undefined
        ? new Uint8Array(Buffer.from(init.bodyBase64, 'base64'))
        : init.body === undefined
          ? undefined
          : typeof init.body === 'string'
            ? init.body
            : JSON.stringify(init.body);
    const method = init.method ?? (body === undefined ? 'GET' : 'POST');
    const target = `/jessica${init.path}${init.query ? `?${init.query}` : ''}`;
    const result = await handler(eventFor(httpApiEvent, method, target, { headers, ...(body === undefined ? {} : { body }) }), lambdaContext());
    const type = String(result.headers?.['content-type'] ?? '');
    return type.includes('json') && !result.isBase64Encoded && typeof result.body === 'string' && result.body !== ''
      ? { ...result, json: JSON.parse(result.body) as unknown }
      : result;
  };
  return { handler, call };
}
