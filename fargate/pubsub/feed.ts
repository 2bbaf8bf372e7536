import { JessicaError, type SpeechChunk, type WordTiming } from '../../core/index.js';

export interface RemoteFeedOptions {
  /** Audio received and not yet taken by the hub; past this the utterance is cut here. */
  maxBufferedBytes: number;
  /** With no frame for this long, the task speaking is taken for gone. */
  idleTimeoutMs: number;
  /** Reports the bytes the hub has taken so far, every `reportEveryBytes` (flow control towards the sender). */
  onConsumed?: (bytes: number) => void;
  reportEveryBytes?: number;
}

/**
 * The audio of one utterance arriving from the shared channel, on its way into the local hub.
 * Frames arrive at the publisher's pace; the hub takes them at its slowest useful listener's
 * pace. The buffer between the two is bounded: past the cap this task gives the utterance up
 * (its listeners get `audio.error`) rather than grow without limit.
 */
export class RemoteFeed {
  readonly #options: RemoteFeedOptions;
  readonly #chunks: SpeechChunk[] = [];
  #buffered = 0;
  #nextSeq = 0;
  #received = 0;
  #taken = 0;
  #reported = 0;
  #done = false;
  #error: unknown;
  #wake: (() => void) | undefined;
  #idle: NodeJS.Timeout | undefined;

  constructor(options: RemoteFeedOptions) {
    this.#options = options;
    this.#armIdle();
  }

  get settled(): boolean {
    return this.#done || this.#error !== undefined;
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  push(seq: number, bytes: Uint8Array, words: readonly WordTiming[] = []): void {
    if (this.settled) return;
    if (seq !== this.#nextSeq) {
      this.fail(new JessicaError('live_channel_unavailable', 'Part of the audio was lost between servers.'));
      return;
    }
    this.#nextSeq += 1;
    this.#received += bytes.byteLength;
    this.#buffered += bytes.byteLength;
    if (this.#buffered > this.#options.maxBufferedBytes) {
      this.fail(new JessicaError('live_channel_unavailable', 'This server fell too far behind the audio; the utterance was cut.'));
      return;
    }
    this.#chunks.push({ audio: bytes, words });
    this.#armIdle();
    this.#signal();
  }

  /** The publisher is still there (no audio yet, or a slow upstream). */
  touch(): void {
    if (!this.settled) this.#armIdle();
  }

  /** The publisher sent everything; `chunks` and `bytes` let this side check nothing went missing. */
  end(chunks: number, bytes: number): void {
    if (this.settled) return;
    if (chunks !== this.#nextSeq || bytes !== this.#received) {
      this.fail(new JessicaError('live_channel_unavailable', 'Part of the audio was lost between servers.'));
      return;
    }
    this.#done = true;
    this.#disarmIdle();
    this.#signal();
  }

  /** Ends the utterance with `error`; with `keepBuffered`, after the audio already received (an upstream failure mid-stream). */
  fail(error: unknown, keepBuffered = false): void {
    if (this.settled) return;
    this.#error = error;
    if (!keepBuffered) {
      this.#chunks.length = 0;
      this.#buffered = 0;
    }
    this.#disarmIdle();
    this.#signal();
  }

  /** The hub's audio source: chunks in order, then done, or the failure. Abort ends it at once. */
  async *read(signal: AbortSignal): AsyncGenerator<SpeechChunk> {
    const onAbort = () => this.#signal();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        signal.throwIfAborted();
        const chunk = this.#chunks.shift();
        if (chunk) {
          this.#buffered -= chunk.audio.byteLength;
          this.#taken += chunk.audio.byteLength;
          if (this.#options.onConsumed && this.#taken - this.#reported >= (this.#options.reportEveryBytes ?? 64 * 1024)) {
            this.#reported = this.#taken;
            this.#options.onConsumed(this.#taken);
          }
          yield chunk;
          continue;
        }
        if (this.#error !== undefined) throw this.#error;
        if (this.#done) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #armIdle(): void {
    this.#disarmIdle();
    this.#idle = setTimeout(
      () => this.fail(new JessicaError('live_channel_unavailable', 'The server producing this audio stopped sending it.')),
      this.#options.idleTimeoutMs,
    );
    this.#idle.unref();
  }

  #disarmIdle(): void {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = undefined;
  }
}
