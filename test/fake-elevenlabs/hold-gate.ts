/**
 * The `hold()` switch: while any hold is unreleased, streams wait before their last chunk.
 * Lets a test see the first bytes arrive while the server provably has not finished.
 */
export class HoldGate {
  private holds = new Set<symbol>();
  private waiters = new Set<() => void>();

  get held(): boolean {
    return this.holds.size > 0;
  }

  hold(): { release(): void } {
    const token = Symbol('hold');
    this.holds.add(token);
    return {
      release: () => {
        if (this.holds.delete(token) && !this.held) this.wakeAll();
      },
    };
  }

  /** Drops every hold; handles taken before stay harmless when released later. */
  releaseAll(): void {
    this.holds.clear();
    this.wakeAll();
  }

  /** Resolves once nothing is held, or when `signal` aborts. */
  wait(signal: AbortSignal): Promise<void> {
    if (!this.held || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
