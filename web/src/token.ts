const KEY = 'jessica.token';

/**
 * The access token for servers that require one. Session storage keeps it for this tab only:
 * closing the tab forgets it, and other sites' scripts cannot read it.
 */
export class TokenStore {
  #memory: string | undefined;

  get(): string | undefined {
    try {
      return sessionStorage.getItem(KEY) ?? undefined;
    } catch {
      return this.#memory;
    }
  }

  set(token: string): void {
    this.#memory = token;
    try {
      sessionStorage.setItem(KEY, token);
    } catch {
      // Storage can be disabled; the in-memory copy lasts until the page reloads.
    }
  }

  clear(): void {
    this.#memory = undefined;
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      // Nothing stored, nothing to clear.
    }
  }
}
