import { byId } from './dom.js';

/** What the page can do right now, shown at all times. */
export type ConnectionState = 'connecting' | 'live' | 'off-hours' | 'offline' | 'locked';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting',
  live: 'Live',
  'off-hours': 'Off-hours',
  offline: 'Offline',
  locked: 'Token needed',
};

/** The status pill in the header; its text is announced politely when it changes. */
export class StatusView {
  readonly #root = byId('status');
  readonly #label = byId('status-label');
  readonly #detail = byId('status-detail');
  readonly #retry = byId<HTMLButtonElement>('status-retry');

  /** The one button in the pill: retry while disconnected, or ask for the token again. */
  constructor(onAction: (state: ConnectionState) => void) {
    this.#retry.addEventListener('click', () => onAction((this.#root.dataset.state ?? 'connecting') as ConnectionState));
  }

  show(state: ConnectionState, detail: string): void {
    this.#root.dataset.state = state;
    document.documentElement.dataset.connection = state;
    if (this.#label.textContent !== LABELS[state]) this.#label.textContent = LABELS[state];
    if (this.#detail.textContent !== detail) {
      this.#detail.textContent = detail;
      // The pill truncates on narrow screens; the full sentence stays one hover away.
      this.#detail.title = detail;
    }
    this.#retry.hidden = state !== 'offline' && state !== 'off-hours' && state !== 'locked';
    this.#retry.textContent = state === 'locked' ? 'Enter token' : 'Retry now';
  }
}
