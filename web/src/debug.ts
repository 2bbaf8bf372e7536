/**
 * Read-only observability for people and tools looking at a running page: which connection
 * state it shows, how many bytes of each utterance reached the decoder, how far each one
 * played, which ones finished. Nothing reads it back; the page behaves the same without it.
 */
export interface DebugView {
  readonly state: string;
  readonly appendedBytes: ReadonlyMap<string, number>;
  /** Furthest playback position reached per utterance, in seconds. */
  readonly playedSeconds: ReadonlyMap<string, number>;
  readonly playedIds: readonly string[];
  currentTime(): number;
}

export class DebugRecorder {
  state = 'connecting';
  readonly appendedBytes = new Map<string, number>();
  readonly playedSeconds = new Map<string, number>();
  readonly playedIds: string[] = [];

  constructor(audio: HTMLAudioElement) {
    const state = (): string => this.state;
    const view: DebugView = {
      get state() {
        return state();
      },
      appendedBytes: this.appendedBytes,
      playedSeconds: this.playedSeconds,
      playedIds: this.playedIds,
      currentTime: () => audio.currentTime,
    };
    Object.defineProperty(window, '__jessica', { value: Object.freeze(view), configurable: true });
  }

  appended(id: string, bytes: number): void {
    this.appendedBytes.set(id, (this.appendedBytes.get(id) ?? 0) + bytes);
  }

  position(id: string, seconds: number): void {
    if (seconds > (this.playedSeconds.get(id) ?? 0)) this.playedSeconds.set(id, seconds);
  }

  played(id: string): void {
    this.playedIds.push(id);
  }
}
