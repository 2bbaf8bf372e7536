import { byId } from './dom.js';

/** Asks for the access token when the server answers 401 or refuses the WebSocket. */
export class TokenDialog {
  readonly #dialog = byId<HTMLDialogElement>('token-dialog');
  readonly #form = byId<HTMLFormElement>('token-form');
  readonly #input = byId<HTMLInputElement>('token-input');
  readonly #message = byId('token-message');
  /** Several calls fail with 401 at once; only the first knows a token was sent. Keep its verdict. */
  #rejected = false;

  constructor(onToken: (token: string) => void) {
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = this.#input.value.trim();
      if (!token) return;
      this.#input.value = '';
      this.#rejected = false;
      this.#dialog.close();
      onToken(token);
    });
  }

  get isOpen(): boolean {
    return this.#dialog.open;
  }

  ask(rejected: boolean): void {
    if (this.#dialog.open && this.#rejected) rejected = true;
    this.#rejected = rejected;
    this.#message.textContent = rejected
      ? 'That token was not accepted. Check it and try again.'
      : 'This Jessica server asks for an access token. It is kept for this tab only and sent with every request.';
    this.#message.dataset.tone = rejected ? 'error' : 'info';
    if (!this.#dialog.open) this.#dialog.showModal();
    this.#input.focus();
  }
}
