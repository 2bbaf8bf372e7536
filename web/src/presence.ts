import type { ApiClient } from './api.js';
import type { Health } from './types.js';
import type { ConnectionState } from './ui/status.js';

export type PresenceListener = (state: ConnectionState, detail: string) => void;

/**
 * Decides what the page can do: live while the WebSocket is up; off-hours when only the REST
 * path answers (the health check still responds); offline when nothing does.
 */
export class Presence {
  readonly #api: ApiClient;
  readonly #listener: PresenceListener;
  #state: ConnectionState = 'connecting';
  #probe = 0;

  constructor(api: ApiClient, listener: PresenceListener) {
    this.#api = api;
    this.#listener = listener;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  live(): void {
    this.#probe += 1;
    this.#set('live', 'Speech plays as it is made.');
  }

  locked(): void {
    this.#probe += 1;
    this.#set('locked', 'Enter the access token to continue.');
  }

  /** A token was entered: back to finding out what answers. */
  unlocked(): void {
    this.#probe += 1;
    this.#set('connecting', 'Reaching the server…');
  }

  /** The live channel is down: ask the health check which path, if any, still answers. */
  async lost(): Promise<ConnectionState> {
    if (this.#state === 'locked') return this.#state;
    const probe = (this.#probe += 1);
    let health: Health | undefined;
    try {
      health = await this.#api.health(AbortSignal.timeout(5_000));
    } catch {
      health = undefined;
    }
    // A newer probe or a reconnect made this answer stale.
    if (probe !== this.#probe) return this.#state;
    if (!health) this.#set('offline', 'The server cannot be reached; retrying.');
    else if (health.status === 'draining') this.#set('connecting', 'The server is restarting; reconnecting.');
    else if (health.target === 'lambda') this.#set('off-hours', 'Live streaming sleeps off-hours; speech still works.');
    else this.#set('off-hours', 'The live channel is unreachable; speech still works.');
    return this.#state;
  }

  #set(state: ConnectionState, detail: string): void {
    this.#state = state;
    this.#listener(state, detail);
  }
}
