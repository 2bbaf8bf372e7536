import { Backoff, RECONNECT_BACKOFF } from './backoff.js';
import { parseServerMessage, type ClientMessage, type ServerMessage } from './protocol.js';
import type { TokenStore } from './token.js';

/** The server closes with this when the token is missing or wrong. */
export const CLOSE_UNAUTHORIZED = 4401;
/** Sent by the page when the server stopped answering pings. */
const CLOSE_SILENT_PEER = 4000;
const PING_INTERVAL_MS = 25_000;
/** Longer than any pause a healthy server or proxy takes to answer a ping. */
const PONG_TIMEOUT_MS = 10_000;
/** A handshake that takes longer is treated as failed: blackholed hosts and CSP-blocked URLs never report back. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface CloseInfo {
  code: number;
  /** False when the socket never opened: refused, unreachable, or the upgrade was denied. */
  wasOpen: boolean;
  /** Milliseconds until the next attempt; undefined when the connection waits for a token. */
  retryInMs: number | undefined;
}

export interface ConnectionEvents {
  message(message: ServerMessage): void;
  audio(bytes: ArrayBuffer): void;
  closed(info: CloseInfo): void;
  unauthorized(): void;
}

/**
 * The live channel: one WebSocket that reconnects by itself. Reconnects back off with jitter,
 * and the backoff resets once the server greets the page, so a flapping server is not hammered
 * while a restart is picked up within a second.
 */
export class LiveConnection {
  readonly #url: string;
  readonly #tokens: TokenStore;
  readonly #events: ConnectionEvents;
  readonly #backoff = new Backoff(RECONNECT_BACKOFF);
  #socket: WebSocket | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #lastHeardAt = 0;
  #paused = false;
  /** Gives up on the current socket at once, without waiting for a closing handshake. */
  #abandon: ((code: number) => void) | undefined;

  constructor(url: string, tokens: TokenStore, events: ConnectionEvents) {
    this.#url = url;
    this.#tokens = tokens;
    this.#events = events;
  }

  get isOpen(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  start(): void {
    // A page coming back from sleep or a dead network should not wait out a 30 s backoff.
    addEventListener('online', () => this.reconnectNow());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.reconnectNow();
    });
    if (!this.#paused) this.#connect();
  }

  /** Retries at once when idle between attempts; also lifts a pause for a missing token. */
  reconnectNow(): void {
    if (this.#socket) return;
    if (this.#paused && !this.#tokens.get()) return;
    this.#paused = false;
    clearTimeout(this.#retryTimer);
    this.#backoff.reset();
    this.#connect();
  }

  /** Drops the current socket and connects again, e.g. with a new token. */
  restart(): void {
    this.#paused = false;
    clearTimeout(this.#retryTimer);
    this.#backoff.reset();
    if (this.#socket) this.#abandon?.(1000);
    else this.#connect();
  }

  send(message: ClientMessage): boolean {
    if (!this.isOpen || !this.#socket) return false;
    this.#socket.send(JSON.stringify(message));
    return true;
  }

  #connect(): void {
    this.#retryTimer = undefined;
    const url = new URL(this.#url);
    const token = this.#tokens.get();
    if (token) url.searchParams.set('token', token);
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch {
      // A malformed URL in config.json: keep retrying so a fixed config is picked up on reload.
      this.#scheduleRetry(1006, false);
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    let wasOpen = false;
    let finished = false;
    const connectTimer = setTimeout(() => abandon(1006), CONNECT_TIMEOUT_MS);
    socket.addEventListener('open', () => {
      clearTimeout(connectTimer);
      wasOpen = true;
      this.#lastHeardAt = Date.now();
      this.#pingTimer = setInterval(() => this.#ping(socket), PING_INTERVAL_MS);
    });
    socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      // An abandoned socket can still deliver a frame or two; the page has moved on.
      if (finished) return;
      this.#lastHeardAt = Date.now();
      if (event.data instanceof ArrayBuffer) {
        this.#events.audio(event.data);
        return;
      }
      if (typeof event.data !== 'string') return;
      const message = parseServerMessage(event.data);
      if (!message) return;
      if (message.type === 'hello') this.#backoff.reset();
      this.#events.message(message);
    });
    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      clearTimeout(connectTimer);
      clearInterval(this.#pingTimer);
      if (this.#socket === socket) this.#socket = undefined;
      if (code === CLOSE_UNAUTHORIZED) {
        this.#paused = true;
        this.#events.closed({ code, wasOpen, retryInMs: undefined });
        this.#events.unauthorized();
        return;
      }
      this.#scheduleRetry(code, wasOpen);
    };
    const abandon = (code: number): void => {
      socket.close();
      finish(code);
    };
    this.#abandon = abandon;
    socket.addEventListener('close', (event) => finish(event.code));
  }

  #scheduleRetry(code: number, wasOpen: boolean): void {
    if (this.#paused) {
      this.#events.closed({ code, wasOpen, retryInMs: undefined });
      return;
    }
    const delay = this.#backoff.next();
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
    this.#events.closed({ code, wasOpen, retryInMs: delay });
  }

  /** Stops retrying until a token arrives (a refused upgrade turned out to be an auth failure). */
  pause(): void {
    this.#paused = true;
    clearTimeout(this.#retryTimer);
  }

  #ping(socket: WebSocket): void {
    if (Date.now() - this.#lastHeardAt > PING_INTERVAL_MS + PONG_TIMEOUT_MS) {
      // A half-open TCP connection can take minutes to report its close; do not wait for it.
      this.#abandon?.(CLOSE_SILENT_PEER);
      return;
    }
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'ping' } satisfies ClientMessage));
  }
}
