import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cut } from './body-writer.js';
import { writeBody } from './body-writer.js';
import type { ErrorReply } from './error-bodies.js';
import { randomTraceId } from './ids.js';
import type { FakeState } from './state.js';
import type { RecordedRequest } from './types.js';

/** One request/response pair as the route handlers see it, and the ways to answer it. */

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  rawBody: Buffer;
  recorded: RecordedRequest;
  state: FakeState;
  /** Aborts when the response closes before it finished (client gone or server closing). */
  signal: AbortSignal;
}

/** Sent on every response, success or error, as the real edge does. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  server: 'uvicorn',
  'x-region': 'us-central1',
  'access-control-allow-origin': '*',
};

function answerable(res: ServerResponse): boolean {
  return !res.headersSent && !res.destroyed;
}

export function sendError(exchange: Exchange, reply: ErrorReply): void {
  const { res } = exchange;
  if (!answerable(res)) return;
  const body = Buffer.from(JSON.stringify(reply.body), 'utf8');
  res.writeHead(reply.status, {
    ...COMMON_HEADERS,
    'content-type': 'application/json',
    'content-length': String(body.length),
    'x-trace-id': reply.traceId,
    ...reply.headers,
  });
  res.end(body);
}

/** A JSON 200; `cut` lets a mid-stream fault truncate it like any other body. */
export async function sendJson(exchange: Exchange, value: unknown, cut?: Cut): Promise<void> {
  const { res, signal } = exchange;
  if (!answerable(res)) return;
  const data = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'content-type': 'application/json',
    'content-length': String(data.length),
    'x-trace-id': randomTraceId(),
  });
  await writeBody(res, {
    pieces: [{ data, audio: Buffer.alloc(0), raw: false }],
    delayMs: 0,
    gate: undefined,
    cut,
    signal,
    onWritten: () => undefined,
  });
}
