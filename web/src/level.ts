/**
 * The loudness of what is playing, for the "now speaking" indicator. The element is routed
 * through Web Audio only once a running AudioContext exists: a suspended context would
 * silence the element, and the meter is not worth that risk.
 */
export class LevelMeter {
  readonly #audio: HTMLAudioElement;
  #analyser: AnalyserNode | undefined;
  #samples: Uint8Array<ArrayBuffer> | undefined;
  #context: AudioContext | undefined;

  constructor(audio: HTMLAudioElement) {
    this.#audio = audio;
  }

  /** Call after playback was allowed (a gesture, or autoplay proved possible). */
  activate(): void {
    if (this.#analyser || typeof AudioContext === 'undefined') return;
    try {
      this.#context ??= new AudioContext();
    } catch {
      return;
    }
    const context = this.#context;
    const connect = (): void => {
      if (this.#analyser || context.state !== 'running') return;
      const analyser = context.createAnalyser();
      analyser.fftSize = 512;
      context.createMediaElementSource(this.#audio).connect(analyser).connect(context.destination);
      this.#samples = new Uint8Array(analyser.fftSize);
      this.#analyser = analyser;
    };
    if (context.state === 'running') connect();
    else void context.resume().then(connect, () => undefined);
  }

  /** 0 (silence) to 1 (loud): root mean square of the latest samples, on a curve that suits speech. */
  level(): number {
    if (!this.#analyser || !this.#samples) return 0;
    this.#analyser.getByteTimeDomainData(this.#samples);
    let sum = 0;
    for (const sample of this.#samples) {
      const centred = (sample - 128) / 128;
      sum += centred * centred;
    }
    return Math.min(1, Math.sqrt(Math.sqrt(sum / this.#samples.length) * 5));
  }
}
