/** One word and when it is heard, in milliseconds from the start of the utterance (an `audio.words` entry). */
export interface TimedWord {
  text: string;
  start_ms: number;
  end_ms: number;
}

export type UtteranceSource = 'live' | 'rest' | 'replay';

export type ReceiveState = 'receiving' | 'complete' | 'failed' | 'stopped';

export interface UtteranceInfo {
  id: string;
  text: string;
  voiceId: string;
  modelId: string;
  mime: string;
  /** Output format such as mp3_44100_128, when known; lets the page estimate durations. */
  format: string | undefined;
  source: UtteranceSource;
}

/**
 * One utterance's audio as it arrives. Playback reads the chunks while they are still coming,
 * and history keeps them, so replay and download need no second request.
 */
export class Utterance {
  readonly info: UtteranceInfo;
  readonly createdAt = new Date();
  readonly chunks: Uint8Array[] = [];
  bytes = 0;
  /** Word timings as they arrive; empty when the server sends none (the `word_timings` setting is off). */
  readonly words: TimedWord[] = [];
  state: ReceiveState = 'receiving';
  error: { code: string; message: string } | undefined;
  readonly #waiters = new Set<() => void>();
  #blob: Blob | undefined;

  constructor(info: UtteranceInfo) {
    this.info = info;
  }

  static fromBytes(info: UtteranceInfo, bytes: Uint8Array): Utterance {
    const utterance = new Utterance(info);
    utterance.push(bytes);
    utterance.end();
    return utterance;
  }

  /** The same audio again, played from memory without asking the server. */
  static replayOf(original: Utterance, id: string): Utterance {
    const replay = new Utterance({ ...original.info, id, source: 'replay' });
    for (const chunk of original.chunks) replay.push(chunk);
    replay.addWords(original.words);
    replay.end();
    return replay;
  }

  get settled(): boolean {
    return this.state !== 'receiving';
  }

  push(chunk: Uint8Array): void {
    if (this.settled || chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.byteLength;
    this.#notify();
  }

  /** Ignored once the utterance failed or was stopped: its words would light text that is not heard. */
  addWords(words: readonly TimedWord[]): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.words.push(...words);
  }

  end(): void {
    if (this.settled) return;
    this.state = 'complete';
    this.#notify();
  }

  fail(code: string, message: string): void {
    if (this.settled) return;
    this.state = 'failed';
    this.error = { code, message };
    this.#notify();
  }

  stop(): void {
    if (this.settled) return;
    this.state = 'stopped';
    this.#notify();
  }

  /** Resolves at the next chunk or state change. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.add(resolve));
  }

  /** The audio received so far, as one Blob (cached once the utterance is complete). */
  blob(): Blob {
    if (this.#blob) return this.#blob;
    const blob = new Blob(this.chunks as BlobPart[], { type: this.info.mime });
    if (this.settled) this.#blob = blob;
    return blob;
  }

  #notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const resolve of waiters) resolve();
  }
}
