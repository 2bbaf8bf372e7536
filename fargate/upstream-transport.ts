import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
import type { UpstreamAnswer, UpstreamRequest, UpstreamTransport } from '../core/index.js';

/**
 * The way to ElevenLabs of both adapters (the live server, and the Lambda handlers, whose first
 * `fetch` would load undici at every cold start): Node's own HTTP client over its keep-alive agents, where
 * the core's default `fetch` (undici, with web streams around every body) spends more CPU on
 * each request before the first audio byte is handed on (measured by bench/suites/ttfb.ts). A request on a
 * reused keep-alive socket that the server had closed meanwhile (ECONNRESET before any answer)
 * is sent again once on a fresh socket, as Node's documentation advises: nothing reached the
 * server.
 */
export const nodeTransport: UpstreamTransport = (url, init) => attempt(url, init, true);

/** The parsed origins called so far: every request goes to the same one, so its URL is parsed once. */
const origins = new Map<string, RequestOptions>();

/** The request options for `url`: its origin parsed once (as Node would parse it), its path taken as it is. */
function targetOf(url: string): RequestOptions {
  const pathAt = url.indexOf('/', url.indexOf('//') + 2);
  const origin = pathAt === -1 ? url : url.slice(0, pathAt);
  let parsed = origins.get(origin);
  if (parsed === undefined) {
    const { protocol, hostname, port, auth } = urlToHttpOptions(new URL(origin));
    parsed = { protocol, hostname, port, ...(auth ? { auth } : {}) };
    if (origins.size < 16) origins.set(origin, parsed);
  }
  return { ...parsed, path: pathAt === -1 ? '/' : url.slice(pathAt) };
}

function attempt(url: string, init: UpstreamRequest, mayResend: boolean): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    const target = targetOf(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
    const { signal } = init;
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const request = send({ ...target, method: init.method, headers });
    let answer: IncomingMessage | undefined;
    // Abort ends the exchange where it is: before the answer, or while its body arrives.
    const onAbort = () => {
      const reason = signal.reason as unknown;
      if (answer && !answer.complete) answer.destroy(reason instanceof Error ? reason : new Error('aborted'));
      request.destroy();
      if (!answer) reject(reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    request.once('close', () => {
      if (answer === undefined || answer.complete) signal.removeEventListener('abort', onAbort);
    });
    request.once('response', (body) => {
      answer = body;
      body.once('close', () => signal.removeEventListener('abort', onAbort));
      resolve({
        status: body.statusCode ?? 0,
        header: (name) => {
          const value = body.headers[name];
          return Array.isArray(value) ? value.join(', ') : value;
        },
        body,
      });
    });
    // Errors after the answer surface in its body; listening for them all keeps a second one from being unhandled.
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (answer !== undefined || signal.aborted) return;
      if (mayResend && request.reusedSocket && error.code === 'ECONNRESET') {
        attempt(url, init, false).then(resolve, reject);
      } else {
        reject(error);
      }
    });
    request.end(init.body);
  });
}
