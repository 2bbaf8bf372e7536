import { playUtterance, type PlaybackOutcome } from './playback.js';
import type { Utterance } from './utterance.js';

export interface PlayerEvents {
  /** The current utterance, the queue or the need for a gesture changed. */
  changed(): void;
  appended(utterance: Utterance, bytes: number): void;
  finished(utterance: Utterance, outcome: PlaybackOutcome): void;
}

/**
 * Plays utterances strictly one after another on a single audio element. The server already
 * sends one utterance at a time, but a short one can finish arriving while a long one still
 * plays, so the page keeps its own queue.
 */
export class Player {
  readonly audio: HTMLAudioElement;
  readonly #events: PlayerEvents;
  readonly #queue: Utterance[] = [];
  #current: { utterance: Utterance; controller: AbortController } | undefined;
  #needsGesture = false;
  #gestureWaiters: Array<() => void> = [];

  constructor(audio: HTMLAudioElement, events: PlayerEvents) {
    this.audio = audio;
    this.#events = events;
  }

  get current(): Utterance | undefined {
    return this.#current?.utterance;
  }

  get queued(): readonly Utterance[] {
    return this.#queue;
  }

  /** True while the browser's autoplay policy holds playback until the user clicks. */
  get needsGesture(): boolean {
    return this.#needsGesture;
  }

  enqueue(utterance: Utterance): void {
    this.#queue.push(utterance);
    this.#events.changed();
    if (!this.#current) void this.#run();
  }

  /** Ends the current utterance and drops the queue. Returns what was dropped or cut short. */
  stop(): Utterance[] {
    const dropped = this.#queue.splice(0);
    const current = this.#current;
    current?.controller.abort();
    this.#events.changed();
    return current ? [current.utterance, ...dropped] : dropped;
  }

  /** Marks playback as held by the autoplay policy before any audio arrived. */
  requireGesture(): void {
    this.#setNeedsGesture(true);
  }

  /**
   * Call from a click or key handler: playing inside the gesture is what lifts the autoplay
   * restriction, in Safari only if it happens synchronously.
   */
  unlock(): void {
    if (this.#current && this.audio.src) void this.audio.play().catch(() => undefined);
    this.#setNeedsGesture(false);
    const waiters = this.#gestureWaiters;
    this.#gestureWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async #run(): Promise<void> {
    for (let utterance = this.#queue.shift(); utterance; utterance = this.#queue.shift()) {
      const controller = new AbortController();
      this.#current = { utterance, controller };
      this.#events.changed();
      let starting: Promise<void> | undefined;
      const outcome = await playUtterance(this.audio, utterance, controller.signal, {
        appended: (bytes) => this.#events.appended(utterance, bytes),
        start: () => {
          starting ??= this.#start(controller.signal);
        },
      });
      this.#current = undefined;
      this.#events.finished(utterance, outcome);
      this.#events.changed();
    }
  }

  async #start(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.audio.play();
        this.#setNeedsGesture(false);
        return;
      } catch (error) {
        if (!(error instanceof DOMException) || error.name !== 'NotAllowedError') return;
        this.#setNeedsGesture(true);
        await new Promise<void>((resolve) => {
          this.#gestureWaiters.push(resolve);
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    }
  }

  #setNeedsGesture(value: boolean): void {
    if (this.#needsGesture === value) return;
    this.#needsGesture = value;
    this.#events.changed();
  }
}
