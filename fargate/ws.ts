import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  authenticate,
  ClientFrameError,
  errorToResponse,
  forbiddenHost,
  isHostAllowed,
  isOriginAllowed,
  parseClientMessage,
  type Config,
  type ErrorCode,
  type Jessica,
  type ListenerConnection,
  type LiveHub,
  type Logger,
} from '../core/index.js';

export interface LiveSocketOptions {
  server: Server;
  config: Config;
  jessica: Jessica;
  hub: LiveHub;
  logger: Logger;
  heartbeatMs?: number;
}

/** Frames larger than this close the connection with 1009 (SPEC §5). */
export const MAX_FRAME_BYTES = 64 * 1024;
/** Flood control: a burst of this many frames, refilled at FRAMES_PER_SECOND. */
const FRAME_BURST = 60;
const FRAMES_PER_SECOND = 20;
/** Close code for a rejected token, visible to browsers (which cannot see an HTTP 401 on upgrade). */
export const CLOSE_UNAUTHORIZED = 4401;

/**
 * The WebSocket listener endpoint: upgrades on `${ROOT_PATH}/ws`, authenticates, and connects
 * each socket to the live hub as one listener of its principal.
 */
export function attachLiveSockets(options: LiveSocketOptions): { wss: WebSocketServer; close(): void } {
  const { server, config, jessica, logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: true });
  const path = `${config.rootPath}/ws`;

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    // DNS rebinding: a page on a foreign Host must not listen to what the assistant says.
    if (!isHostAllowed(request.headers.host, config.allowedHosts)) return refuse(socket, 403, 'forbidden_host', forbiddenHost().message);
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return refuse(socket, 404, 'not_found', `No route ${url.pathname.slice(0, 200)}.`);
    const host = request.headers.host;
    const proto = (request.headers['x-forwarded-proto'] as string | undefined)?.split(',')[0]?.trim() ?? 'http';
    const ownOrigin = host ? `${proto === 'https' || proto === 'wss' ? 'https' : 'http'}://${host}` : undefined;
    if (!isOriginAllowed(request.headers.origin, ownOrigin, config.allowedOrigins)) {
      return refuse(socket, 403, 'forbidden_origin', 'This origin may not connect (see JESSICA_ALLOWED_ORIGINS).');
    }
    if (jessica.draining) return refuse(socket, 503, 'draining', 'This server is shutting down; retry on another.');
    let principal: string | undefined;
    try {
      principal = authenticate(config, { authorization: request.headers.authorization, queryToken: url.searchParams.get('token') ?? undefined });
    } catch {
      principal = undefined;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (principal === undefined) {
        ws.send(JSON.stringify({ type: 'error', code: 'unauthorized', message: 'A valid token is required.' }));
        ws.close(CLOSE_UNAUTHORIZED, 'unauthorized');
        return;
      }
      serveListener(ws, principal, options);
    });
  };
  server.on('upgrade', onUpgrade);
  // A handshake ws cannot accept (no key, a wrong version) is refused in the SPEC's error shape, not ws's text/html.
  wss.on('wsClientError', (error: Error, socket: Duplex, request: IncomingMessage) => {
    if (request.method !== 'GET') refuse(socket, 405, 'method_not_allowed', 'A WebSocket handshake uses GET.');
    else refuse(socket, 400, 'invalid_request', `Not a valid WebSocket handshake: ${error.message}.`);
  });

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      const state = ws as WebSocket & { alive?: boolean };
      if (state.alive === false) {
        ws.terminate();
        continue;
      }
      state.alive = false;
      ws.ping();
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  return {
    wss,
    close() {
      clearInterval(heartbeat);
      server.off('upgrade', onUpgrade);
      logger.debug('live sockets closed');
    },
  };
}

function refuse(socket: Duplex, status: number, code: ErrorCode, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function serveListener(ws: WebSocket, principal: string, options: LiveSocketOptions): void {
  const { jessica, hub, logger } = options;
  const state = ws as WebSocket & { alive?: boolean };
  state.alive = true;
  const connection: ListenerConnection = {
    id: randomUUID(),
    sendJson: (message) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    },
    sendAudio: (bytes) => {
      if (ws.readyState === ws.OPEN) ws.send(bytes, { binary: true });
    },
    bufferedBytes: () => ws.bufferedAmount,
    close: (code, reason) => ws.close(code, reason),
  };
  let tokens = FRAME_BURST;
  let refilledAt = Date.now();

  const sendError = (error: unknown) => {
    const { body } = errorToResponse(error);
    connection.sendJson({ type: 'error', code: body.error.code, message: body.error.message });
  };

  ws.on('pong', () => (state.alive = true));
  ws.on('error', (error) => logger.debug('listener socket error', { message: error.message }));
  let closed = false;
  ws.on('close', () => {
    closed = true;
    hub.detach(principal, connection.id);
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    state.alive = true;
    const now = Date.now();
    tokens = Math.min(FRAME_BURST, tokens + ((now - refilledAt) / 1000) * FRAMES_PER_SECOND);
    refilledAt = now;
    if (tokens < 1) {
      ws.close(1008, 'too many frames');
      return;
    }
    tokens -= 1;
    if (isBinary) {
      sendError(new ClientFrameError('Binary frames are not accepted; send JSON text.'));
      return;
    }
    let message;
    try {
      message = parseClientMessage(rawToString(data));
    } catch (error) {
      sendError(error instanceof ClientFrameError ? error : new ClientFrameError('The frame is not a valid message.'));
      return;
    }
    switch (message.type) {
      case 'ping':
        connection.sendJson({ type: 'pong' });
        return;
      case 'played':
        hub.played(message.id, principal);
        return;
      case 'stop':
        void jessica.stop(principal).catch(sendError);
        return;
      case 'speak':
        void jessica.speak(principal, message.input, { listenerId: connection.id }).catch(sendError);
    }
  });

  // Hello goes out before the listener joins the hub, so it is always the first frame.
  void jessica
    .getSettings(principal)
    .then((settings) => {
      if (closed) return;
      connection.sendJson({ type: 'hello', version: jessica.version, target: jessica.target, settings, listener_id: connection.id });
      hub.attach(principal, connection);
    })
    .catch((error: unknown) => {
      sendError(error);
      ws.close(1011, 'settings unavailable');
    });
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
