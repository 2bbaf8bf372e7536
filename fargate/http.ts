import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlockList } from 'node:net';
import express from 'express';
import { apiErrorResponse, JessicaError, MAX_BODY_BYTES, type ApiRequest, type ApiResponse, type Logger } from '../core/index.js';

export interface CoreBridgeOptions {
  api: (request: ApiRequest) => Promise<ApiResponse>;
  logger: Logger;
}

/** Where a request goes in the core: the path below ROOT_PATH as sent (the core decodes it), and the raw query. */
export interface CoreTarget {
  path: string;
  query: string;
  /** False for a request refused before anything is read (a foreign Host). */
  readBody: boolean;
}

/** Hands one `node:http` request to the core and writes the core's answer back. */
export type CoreBridge = (req: IncomingMessage, res: ServerResponse, target: CoreTarget) => void;

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The live server's only way into the core's HTTP contract. It translates and nothing else:
 * the body is read with a size limit (Express's body parser, which also inflates a gzip or
 * deflate body), the scheme comes from the socket or from a proxy on a private address, and
 * status, headers and body are written as the core gives them.
 */
export function createCoreBridge(options: CoreBridgeOptions): CoreBridge {
  const { api, logger } = options;
  const readBody = express.raw({ type: () => true, limit: MAX_BODY_BYTES }) as unknown as Middleware;
  return (req, res, target) => {
    const fail = (error: unknown) => void writeResponse(res, apiErrorResponse(bodyReadError(error) ?? error, logger), logger);
    const forward = () => {
      const body = (req as { body?: unknown }).body;
      answer(req, res, target, Buffer.isBuffer(body) ? body : undefined).catch(fail);
    };
    if (!target.readBody) forward();
    else readBody(req, res, (error) => (error ? fail(error) : forward()));
  };

  async function answer(req: IncomingMessage, res: ServerResponse, target: CoreTarget, body: Buffer | undefined): Promise<void> {
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const response = await api({
      method: req.method ?? 'GET',
      path: target.path,
      query: new URLSearchParams(target.query),
      headers,
      body,
      origin: `${schemeOf(req)}://${req.headers.host ?? 'localhost'}`,
      signal: controller.signal,
    });
    await writeResponse(res, response, logger);
  }
}

/** The proxies whose X-Forwarded-Proto is believed: the load balancer, a sidecar, a local one. */
const TRUSTED_PROXIES = (() => {
  const list = new BlockList();
  for (const [network, prefix] of [
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
  ] as const) {
    list.addSubnet(network, prefix, 'ipv4');
  }
  for (const [network, prefix] of [
    ['::1', 128],
    ['fe80::', 10],
    ['fc00::', 7],
  ] as const) {
    list.addSubnet(network, prefix, 'ipv6');
  }
  return list;
})();

/** The scheme the client used: the socket's, or the first X-Forwarded-Proto value from a trusted proxy. */
export function schemeOf(req: IncomingMessage): string {
  const own = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const address = req.socket.remoteAddress;
  if (address === undefined || !TRUSTED_PROXIES.check(address, address.includes(':') ? 'ipv6' : 'ipv4')) return own;
  const header = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
  return first || own;
}

/** Writes the core's response: its status and headers as they are, then the body in its kind. */
export async function writeResponse(res: ServerResponse, response: ApiResponse, logger: Logger): Promise<void> {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  const { body } = response;
  const noContent = response.status === 204 || response.status === 304;
  const bodyless = noContent || res.req.method === 'HEAD';
  switch (body.kind) {
    case 'empty':
      res.end();
      return;
    case 'json': {
      const text = JSON.stringify(body.value);
      if (!noContent) res.setHeader('content-length', Buffer.byteLength(text));
      res.end(bodyless ? undefined : text);
      return;
    }
    case 'bytes':
      if (!noContent) res.setHeader('content-length', body.value.byteLength);
      res.end(bodyless ? undefined : Buffer.from(body.value.buffer, body.value.byteOffset, body.value.byteLength));
      return;
    case 'stream':
      await pipeChunks(res, body.value, logger);
  }
}

/**
 * Writes chunks as they come, with backpressure; a failure mid-stream breaks the response.
 * The headers travel with the first chunk, in one write, when it is at hand at once (a primed
 * audio stream holds it already): a write of their own would cost a round through the socket
 * before the first audio byte. A stream whose first chunk takes longer (an SSE answer before
 * its first event) still has its headers sent on the next turn of the event loop.
 */
async function pipeChunks(res: ServerResponse, chunks: AsyncIterable<Uint8Array>, logger: Logger): Promise<void> {
  const flushHeaders = setImmediate(() => res.flushHeaders());
  try {
    for await (const chunk of chunks) {
      clearImmediate(flushHeaders);
      if (res.destroyed) break;
      // A slow client must not make the server buffer the whole utterance.
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
    }
    res.end();
  } catch (error) {
    // The headers are gone: break the chunked encoding so the client never takes it as complete.
    logger.warn('stream aborted', { code: error instanceof JessicaError ? error.code : 'internal_error' });
    res.destroy();
  } finally {
    clearImmediate(flushHeaders);
  }
}

/** The body parser's errors carry a `type`; they become the SPEC's codes. */
function bodyReadError(error: unknown): JessicaError | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.too.large':
      return new JessicaError('payload_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new JessicaError('unsupported_media_type', 'Send the body as UTF-8 application/json.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'entity.verify.failed':
      return new JessicaError('invalid_request', 'The request body could not be read.');
    default: {
      // Untyped client errors, such as a body that fails to decompress (Content-Encoding: gzip).
      const status = (error as { status?: unknown } | null)?.status;
      return typeof status === 'number' && status >= 400 && status < 500
        ? new JessicaError('invalid_request', 'The request body could not be read.')
        : undefined;
    }
  }
}
