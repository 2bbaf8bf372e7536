import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { isInAWS, streamifyResponse, type ResponseStream } from 'lambda-stream';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { JessicaError } from '../core/errors.js';
import { describeError, type ApiResponse } from '../core/http/api.js';
import { errorResponse, eventToApiRequest, JSON_CONTENT_TYPE } from './lib/api-gateway.js';
import { lazyRuntime, type HandlerOptions } from './lib/bootstrap.js';
import { createObservability, publishMetrics } from './lib/observability.js';

/** What this function serves below ROOT_PATH; everything else lives behind the HTTP API. */
const SERVED_PATHS = new Set(['/api/v1/tts/stream', '/health']);

export interface ResponseMetadata {
  statusCode: number;
  headers: Record<string, string>;
}

/**
 * Sends status and headers ahead of the body. In AWS that is the runtime's
 * `HttpResponseStream.from` prelude, which must precede the first write. Outside AWS,
 * lambda-stream's buffer keeps only a content type (its status is always 200), and binary
 * content must be flagged or its UTF-8 rendering corrupts it.
 */
export function withResponseMetadata(stream: Writable, metadata: ResponseMetadata): Writable {
  if (isInAWS()) return awslambda.HttpResponseStream.from(stream, { statusCode: metadata.statusCode, headers: metadata.headers });
  const local = stream as Writable & Partial<Pick<ResponseStream, 'setContentType' | 'setIsBase64Encoded'>>;
  const contentType = metadata.headers['content-type'] ?? JSON_CONTENT_TYPE;
  local.setContentType?.(contentType);
  if (!/^(text\/|application\/json)/i.test(contentType)) local.setIsBase64Encoded?.(true);
  return stream;
}

/** Writes a core response to the stream, forwarding each chunk of a stream body as it arrives. */
export async function writeApiResponse(response: ApiResponse, responseStream: Writable): Promise<void> {
  const headers = { ...response.headers };
  const { body } = response;
  if (body.kind === 'json') headers['content-type'] ??= JSON_CONTENT_TYPE;
  const out = withResponseMetadata(responseStream, { statusCode: response.status, headers });
  switch (body.kind) {
    case 'stream':
      await pipeline(body.value, out);
      return;
    case 'bytes':
      await pipeline([body.value], out);
      return;
    case 'json':
      await pipeline([Buffer.from(JSON.stringify(body.value))], out);
      return;
    case 'empty':
      await pipeline([], out);
      return;
  }
}

export type StreamHandlerOptions = HandlerOptions;

export type StreamHandler = (event: LambdaFunctionURLEvent, responseStream: Writable, context?: Context) => Promise<void>;

/**
 * The Function URL handler (`RESPONSE_STREAM`) for `POST /api/v1/tts/stream`: the same core
 * contract as the HTTP API, but audio chunks leave as the upstream sends them. Errors before the
 * first byte carry the SPEC's status and JSON body; a failure after it can only cut the body short.
 * Exported unwrapped so a test can hand it any Writable and watch the chunks arrive.
 */
export function createStreamHandler(options: StreamHandlerOptions = {}): StreamHandler {
  const observability = options.observability ?? createObservability(options.env);
  const { powertoolsLogger, powertoolsMetrics, logger } = observability;
  const runtime = lazyRuntime(options, observability);

  return async function streamHandler(event, responseStream, context) {
    if (context) powertoolsLogger.addContext(context);
    const started = Date.now();
    const abort = new AbortController();
    responseStream.once('close', () => {
      if (!responseStream.writableFinished) abort.abort();
    });
    try {
      let response: ApiResponse;
      let path = event.rawPath;
      try {
        const ready = await runtime();
        const request = eventToApiRequest(event, ready.config.rootPath, abort.signal);
        path = request.path;
        response = SERVED_PATHS.has(request.path)
          ? await ready.api(request)
          : errorResponse(new JessicaError('not_found', 'This endpoint serves POST /api/v1/tts/stream only; every other route is on the HTTP API.'));
      } catch (error) {
        logger.error('cold start failed', { error: describeError(error) });
        response = errorResponse(error);
      }
      try {
        await writeApiResponse(response, responseStream);
      } catch (error) {
        // Status and headers are gone already: all that is left is to cut the body short.
        logger.error('stream broke off', { path, error: describeError(error) });
      }
      logger.info('request', { method: event.requestContext.http.method, path, status: response.status, ms: Date.now() - started });
    } finally {
      publishMetrics(powertoolsMetrics);
    }
  };
}

export const handler = streamifyResponse<LambdaFunctionURLEvent, void>(createStreamHandler());
