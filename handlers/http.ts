import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describeError } from '../core/http/api.js';
import { isJessicaError } from '../core/errors.js';
import { apiResponseToResult, errorResult, eventToApiRequest } from './lib/api-gateway.js';
import { lazyRuntime, type HandlerOptions } from './lib/bootstrap.js';
import { createObservability, publishMetrics } from './lib/observability.js';

export type HttpHandlerOptions = HandlerOptions;

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The HTTP API (payload 2.0) handler: every REST route, `/health` and `/mcp`, answered by the
 * core's `createApiHandler`. Audio comes back base64-encoded; streams are buffered, since an
 * HTTP API cannot stream (the Function URL handler in `stream.ts` can).
 */
export function createHttpHandler(options: HttpHandlerOptions = {}): HttpHandler {
  const observability = options.observability ?? createObservability(options.env);
  const { powertoolsLogger, powertoolsMetrics, logger } = observability;
  const runtime = lazyRuntime(options, observability);

  return async function handler(event, context) {
    powertoolsLogger.addContext(context);
    const started = Date.now();
    let result: APIGatewayProxyStructuredResultV2;
    try {
      let ready;
      try {
        ready = await runtime();
      } catch (error) {
        logger.error('cold start failed', { error: describeError(error) });
        return errorResult(error);
      }
      const request = eventToApiRequest(event, ready.config.rootPath);
      try {
        result = await apiResponseToResult(await ready.api(request));
      } catch (error) {
        // Only a stream that broke (or outgrew the buffer) while being read lands here.
        if (!isJessicaError(error)) logger.error('response failed', { path: request.path, error: describeError(error) });
        result = errorResult(error);
      }
      logger.info('request', { method: request.method, path: request.path, status: result.statusCode, ms: Date.now() - started });
      return result;
    } finally {
      publishMetrics(powertoolsMetrics);
    }
  };
}

export const handler = createHttpHandler();
