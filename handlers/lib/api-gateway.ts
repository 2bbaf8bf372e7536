import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiErrorResponse, JSON_CONTENT_TYPE, type ApiRequest, type ApiResponse } from '../../core/http/api.js';
import { collectBytes, toGatewayBody } from './gateway-body.js';

/**
 * The part of a payload 2.0 event that API Gateway HTTP APIs and Lambda Function URLs share,
 * which is all a request needs.
 */
export type HttpEventV2 = Pick<APIGatewayProxyEventV2, 'rawPath' | 'rawQueryString' | 'headers' | 'body' | 'isBase64Encoded'> & {
  cookies?: string[] | undefined;
  requestContext: { domainName: string; stage?: string; http: { method: string } };
};

export { JSON_CONTENT_TYPE };

/**
 * The path below ROOT_PATH. A route `/jessica/{proxy+}` delivers `/jessica/...`, while a custom
 * domain whose API mapping key is `jessica` has already removed it; both reach the same route.
 */
export function pathBelowRoot(rawPath: string, rootPath: string): string {
  const path = rawPath === '' ? '/' : rawPath;
  if (rootPath === '') return path;
  if (path === rootPath) return '/';
  return path.startsWith(`${rootPath}/`) ? path.slice(rootPath.length) : path;
}

/** A named stage (not `$default`) reached through the execute-api host puts its name in front of rawPath. */
function withoutStage(rawPath: string, stage: string | undefined): string {
  if (stage === undefined || stage === '$default') return rawPath;
  return rawPath.startsWith(`/${stage}/`) ? rawPath.slice(stage.length + 1) : rawPath;
}

/** A payload 2.0 event as the runtime-neutral request of the core. */
export function eventToApiRequest(event: HttpEventV2, rootPath: string, signal?: AbortSignal): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  // Payload 2.0 moves cookies out of the headers.
  if (event.cookies?.length) headers['cookie'] = event.cookies.join('; ');
  const host = (headers['host'] ??= event.requestContext.domainName);
  const scheme = headers['x-forwarded-proto']?.split(',')[0]?.trim() || 'https';
  const body =
    event.body === undefined || event.body === null
      ? undefined
      : event.isBase64Encoded
        ? new Uint8Array(Buffer.from(event.body, 'base64'))
        : event.body;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: pathBelowRoot(withoutStage(event.rawPath, event.requestContext.stage), rootPath),
    query: new URLSearchParams(event.rawQueryString ?? ''),
    headers,
    body,
    origin: host ? `${scheme}://${host}` : undefined,
    // API Gateway and Function URLs route a request to this function only by one of its own domain names.
    servedHost: event.requestContext.domainName,
    ...(signal ? { signal } : {}),
  };
}

/**
 * The core's response as a buffered payload 2.0 result. Streams are read to the end (an HTTP
 * API buffers them anyway); failures while reading are the caller's to turn into an error result.
 */
export async function apiResponseToResult(response: ApiResponse): Promise<APIGatewayProxyStructuredResultV2> {
  const headers = { ...response.headers };
  const { body } = response;
  switch (body.kind) {
    case 'json':
      headers['content-type'] ??= JSON_CONTENT_TYPE;
      return { statusCode: response.status, headers, body: JSON.stringify(body.value), isBase64Encoded: false };
    case 'bytes':
      return { statusCode: response.status, headers, ...toGatewayBody(body.value, headers['content-type']) };
    case 'stream':
      return { statusCode: response.status, headers, ...toGatewayBody(await collectBytes(body.value), headers['content-type']) };
    case 'empty':
      return { statusCode: response.status, headers, body: '', isBase64Encoded: false };
  }
}

/**
 * The SPEC's error response for a failure outside the core's request handling (a failed cold
 * start, a stream that broke while being buffered, a path this function does not serve): the
 * core's own, so both adapters answer such failures alike.
 */
export const errorResponse = (error: unknown) => apiErrorResponse(error);

/** {@link errorResponse} as a payload 2.0 result. */
export function errorResult(error: unknown): APIGatewayProxyStructuredResultV2 {
  const { status, headers, body } = errorResponse(error);
  return { statusCode: status, headers, body: JSON.stringify(body.value), isBase64Encoded: false };
}
