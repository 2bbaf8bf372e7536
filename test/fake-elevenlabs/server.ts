import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { plainError } from './error-bodies.js';
import type { Exchange } from './exchange.js';
import { sendError } from './exchange.js';
import { TTS_PATH } from './faults.js';
import { route } from './router.js';
import { FakeState } from './state.js';
import type { FakeElevenLabs, FakeElevenLabsOptions, RecordedRequest } from './types.js';

export type { FakeElevenLabs, FakeElevenLabsOptions, Fault, FaultScope, RecordedRequest, SentAudio } from './types.js';

/**
 * A local ElevenLabs API on 127.0.0.1 speaking the real wire format, with switches for
 * latency, faults and flow control. Every test and benchmark talks to this instead of the
 * real service.
 */

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function firstValues(query: URLSearchParams): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of query) if (!(key in values)) values[key] = value;
  return values;
}

async function handle(state: FakeState, req: IncomingMessage, res: ServerResponse, open: Set<Promise<void>>): Promise<void> {
  const at = Date.now();
  const finished = new Promise<void>((resolve) => res.once('close', () => resolve()));
  open.add(finished);
  void finished.then(() => open.delete(finished));
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const closed = new AbortController();
  // A client that disconnects must never take the server down.
  req.on('error', () => undefined);
  res.on('error', () => undefined);
  res.once('close', () => {
    if (!res.writableFinished) closed.abort();
  });
  if (TTS_PATH.test(url.pathname)) {
    state.ttsStarted();
    res.once('close', () => state.ttsEnded());
  }

  let rawBody: Buffer;
  try {
    rawBody = await readBody(req);
  } catch {
    return;
  }
  const recorded: RecordedRequest = {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: firstValues(url.searchParams),
    headers: flattenHeaders(req.headers),
    body: parseJson(rawBody),
    at,
  };
  state.requests.push(recorded);

  const exchange: Exchange = { req, res, url, params: {}, rawBody, recorded, state, signal: closed.signal };
  try {
    await route(exchange);
  } catch {
    if (res.headersSent) res.destroy();
    else sendError(exchange, plainError(500));
  }
}

function listen(server: Server): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startFakeElevenLabs(options: FakeElevenLabsOptions = {}): Promise<FakeElevenLabs> {
  const state = new FakeState(options);
  // Responses not yet closed, so close() can settle only once every counter is final.
  const open = new Set<Promise<void>>();
  const server = createServer({ noDelay: true }, (req, res) => void handle(state, req, res, open));
  server.on('connection', (socket) => socket.on('error', () => undefined));
  const address = await listen(server);
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${address.port}`,
    apiKey: state.apiKey,
    requests: state.requests,
    sentAudio: state.sentAudio,
    get maxConcurrentTts() {
      return state.maxConcurrentTts;
    },
    get inFlightTts() {
      return state.inFlightTts;
    },
    ttsRequests: () => state.requests.filter((request) => TTS_PATH.test(request.path)),
    inject: (fault, scope) => state.faults.inject(fault, scope),
    clearFaults: () => state.faults.clear(),
    configure: (patch) => state.configure(patch),
    hold: () => state.gate.hold(),
    setSubscription: (patch) => {
      state.subscription = { ...state.subscription, ...patch };
    },
    reset: () => state.reset(),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(async () => {
        await Promise.all(open);
      });
      return closing;
    },
  };
}
