import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

/**
 * The measuring clients. One HTTP client serves both the direct (fake ElevenLabs) and the
 * via-Jessica requests, so whatever it costs cancels out in the difference.
 */

export interface Timed {
  status: number;
  /** From just before the request is written to the first body byte. */
  ttfbMs: number;
  totalMs: number;
  bytes: number;
  sha256: string;
  body: Buffer | undefined;
  /** Response headers, lower-case names. */
  headers: Record<string, string | string[] | undefined>;
}

export class HttpClient {
  readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  /**
   * POSTs (or GETs) and times the first body byte. `readBytesPerSecond` throttles reading like a
   * slow client, so the server has to respect backpressure.
   */
  send(
    url: string,
    options: { method?: string; headers?: Record<string, string>; body?: string; keepBody?: boolean; readBytesPerSecond?: number } = {},
  ): Promise<Timed> {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(
        url,
        {
          method: options.method ?? (body ? 'POST' : 'GET'),
          agent: this.agent,
          headers: {
            ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
            ...options.headers,
          },
        },
        (res) => {
          let first = 0;
          let bytes = 0;
          const hash = createHash('sha256');
          const chunks: Buffer[] = [];
          const rate = options.readBytesPerSecond;
          res.on('data', (chunk: Buffer) => {
            if (bytes === 0) first = performance.now();
            bytes += chunk.length;
            hash.update(chunk);
            if (options.keepBody) chunks.push(chunk);
            if (rate) {
              const due = started + (bytes / rate) * 1000;
              const wait = due - performance.now();
              if (wait > 1) {
                res.pause();
                setTimeout(() => res.resume(), wait);
              }
            }
          });
          res.on('end', () => {
            const ended = performance.now();
            resolve({
              status: res.statusCode ?? 0,
              ttfbMs: (first || ended) - started,
              totalMs: ended - started,
              bytes,
              sha256: hash.digest('hex'),
              body: options.keepBody ? Buffer.concat(chunks) : undefined,
              headers: res.headers,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

type JsonFrame = { type: string; id?: string; [key: string]: unknown };

/** One WebSocket listener in the measuring process: the time of each utterance's first audio. */
export class WsProbe {
  readonly ws: WebSocket;
  #firstAudio: ((at: number) => void) | undefined;
  #end: ((frame: JsonFrame) => void) | undefined;
  #bytes = 0;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        if (this.#bytes === 0) {
          const at = performance.now();
          this.#firstAudio?.(at);
          this.#firstAudio = undefined;
        }
        this.#bytes += (data as Buffer).length;
        return;
      }
      const frame = JSON.parse((data as Buffer).toString('utf8')) as JsonFrame;
      if (frame.type === 'audio.end' || frame.type === 'audio.error') {
        this.#end?.(frame);
        this.#end = undefined;
      }
    });
  }

  static async connect(url: string, token: string): Promise<WsProbe> {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    const probe = new WsProbe(ws);
    await new Promise<void>((resolve, reject) => {
      ws.on('message', function hello(data, isBinary) {
        if (!isBinary && (JSON.parse((data as Buffer).toString('utf8')) as JsonFrame).type === 'hello') {
          ws.off('message', hello);
          resolve();
        }
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return probe;
  }

  /**
   * Arms the probe for the next utterance: resolves with the `performance.now()` of its first
   * binary frame, and with the audio.end frame and the bytes received.
   */
  expectUtterance(timeoutMs = 15_000): { firstAudio: Promise<number>; end: Promise<{ frame: JsonFrame; bytes: number }> } {
    this.#bytes = 0;
    const timeout = <T>(what: string) =>
      new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs).unref());
    const firstAudio = Promise.race([new Promise<number>((resolve) => (this.#firstAudio = resolve)), timeout<number>('audio')]);
    const end = Promise.race([
      new Promise<{ frame: JsonFrame; bytes: number }>((resolve) => (this.#end = (frame) => resolve({ frame, bytes: this.#bytes }))),
      timeout<{ frame: JsonFrame; bytes: number }>('audio.end'),
    ]);
    firstAudio.catch(() => undefined);
    end.catch(() => undefined);
    return { firstAudio, end };
  }

  close(): void {
    this.ws.terminate();
  }
}
