import WebSocket from 'ws';

export type Frame = { kind: 'json'; value: Record<string, unknown> & { type: string } } | { kind: 'binary'; value: Buffer };

/** A WebSocket listener that records every frame and can wait for the next one of a type. */
export class TestListener {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  closed: { code: number; reason: string } | undefined;
  #waiters: Array<() => void> = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.frames.push(isBinary ? { kind: 'binary', value: buffer } : { kind: 'json', value: JSON.parse(buffer.toString('utf8')) });
      this.#wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
  }

  static async connect(url: string, options: { token?: string; headers?: Record<string, string>; hello?: boolean } = {}): Promise<TestListener> {
    const ws = new WebSocket(url, { headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers } });
    const listener = new TestListener(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    if (options.hello !== false) await listener.next('hello');
    return listener;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  json(type?: string): Array<Record<string, unknown>> {
    return this.frames.flatMap((frame) => (frame.kind === 'json' && (type === undefined || frame.value.type === type) ? [frame.value] : []));
  }

  /** Audio bytes received between audio.start and the end of the utterance with this id. */
  audioOf(id: string): Buffer {
    const chunks: Buffer[] = [];
    let inside = false;
    for (const frame of this.frames) {
      if (frame.kind === 'json') {
        if (frame.value.type === 'audio.start') inside = frame.value['id'] === id;
        else if ((frame.value.type === 'audio.end' || frame.value.type === 'audio.error') && frame.value['id'] === id) inside = false;
      } else if (inside) chunks.push(frame.value);
    }
    return Buffer.concat(chunks);
  }

  /** Resolves with the first not-yet-returned JSON frame matching `type` (and `predicate`). */
  async next(type: string, predicate: (frame: Record<string, unknown>) => boolean = () => true, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.json(type).find((frame) => predicate(frame) && !this.#taken.has(frame));
      if (found) {
        this.#taken.add(found);
        return found;
      }
      if (this.closed) throw new Error(`closed (${this.closed.code}) before a ${type} frame`);
      if (Date.now() > deadline) throw new Error(`no ${type} frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  readonly #taken = new Set<Record<string, unknown>>();

  async waitClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('not closed in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

export function wsUrl(httpUrl: string, path: string): string {
  return httpUrl.replace(/^http/, 'ws') + path;
}
