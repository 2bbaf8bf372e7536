import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { createObservability, type Observability } from '../../handlers/lib/observability.js';
import type { ContractResponse, Send } from '../contract/rest-contract.js';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./events/${name}`, import.meta.url), 'utf8')) as T;
}

export const httpApiEvent = fixture<APIGatewayProxyEventV2>('http-api-v2.json');
export const functionUrlEvent = fixture<LambdaFunctionURLEvent>('function-url.json');
export const ecsTaskStateChangeEvent = fixture<Record<string, unknown>>('ecs-task-state-change.json');
export const schedulerToLambdaEvent = fixture<Record<string, unknown>>('scheduler-to-lambda.json');

export function lambdaContext(overrides: Partial<Context> = {}): Context {
  return {
    ...fixture<Omit<Context, 'getRemainingTimeInMillis' | 'done' | 'fail' | 'succeed'>>('lambda-context.json'),
    getRemainingTimeInMillis: () => 28_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...overrides,
  };
}

export interface RequestInit {
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** A payload 2.0 event from a base fixture, with this request's method, path, headers and body. */
export function eventFor<E extends APIGatewayProxyEventV2 | LambdaFunctionURLEvent>(base: E, method: string, rawPathAndQuery: string, init: RequestInit = {}): E {
  const [rawPath = '/', rawQueryString = ''] = rawPathAndQuery.split(/\?(.*)/s);
  const headers: Record<string, string> = { ...(base.headers as Record<string, string>) };
  delete headers['content-type'];
  for (const [name, value] of Object.entries(init.headers ?? {})) headers[name.toLowerCase()] = value;
  const binary = init.body instanceof Uint8Array;
  const event = {
    ...base,
    rawPath,
    rawQueryString,
    headers,
    requestContext: { ...base.requestContext, http: { ...base.requestContext.http, method, path: rawPath } },
    isBase64Encoded: binary,
  } as E;
  if (init.body === undefined) delete (event as { body?: string }).body;
  else event.body = binary ? Buffer.from(init.body as Uint8Array).toString('base64') : (init.body as string);
  return event;
}

export function resultToResponse(result: APIGatewayProxyStructuredResultV2): ContractResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  const body = result.body ?? '';
  return { status: result.statusCode ?? 200, headers, body: result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8') };
}

/** Drives an HTTP API handler the way API Gateway would, with `/jessica` in front of each path. */
export function httpApiDriver(
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>,
  rootPath = '/jessica',
): Send {
  return async (method, path, init) => resultToResponse(await handler(eventFor(httpApiEvent, method, `${rootPath}${path}`, init), lambdaContext()));
}

/** Powertools with logs silenced and EMF output switched off. */
export function quietObservability(): Observability {
  const previous = process.env['POWERTOOLS_METRICS_DISABLED'];
  process.env['POWERTOOLS_METRICS_DISABLED'] = 'true';
  try {
    return createObservability({ LOG_LEVEL: 'silent' });
  } finally {
    if (previous === undefined) delete process.env['POWERTOOLS_METRICS_DISABLED'];
    else process.env['POWERTOOLS_METRICS_DISABLED'] = previous;
  }
}

export const TOKEN = 'contract-token-0123456789';

/** The environment of a Lambda handler that talks to the fake upstream. */
export function lambdaEnv(fake: { url: string; apiKey: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ROOT_PATH: '/jessica',
    ELEVENLABS_BASE_URL: fake.url,
    ELEVENLABS_API_KEY: fake.apiKey,
    JESSICA_TOKENS: `tester:${TOKEN}`,
    JESSICA_SETTINGS: 'memory:',
    JESSICA_RATE_LIMIT: '100000',
    JESSICA_UPSTREAM_RETRIES: '0',
    JESSICA_VERSION: '9.9.9-test',
    LOG_LEVEL: 'silent',
    ...extra,
  };
}
