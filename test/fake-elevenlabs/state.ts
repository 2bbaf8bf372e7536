import { defaultAudio } from './audio-fixtures.js';
import { SUBSCRIPTION, USER } from './catalog.js';
import { FaultQueue } from './faults.js';
import { HoldGate } from './hold-gate.js';
import { randomHex } from './ids.js';
import type { FakeElevenLabsOptions, RecordedRequest, SentAudio } from './types.js';

/** Everything one fake server remembers and can be told to change. */

export type Tunables = Required<Pick<FakeElevenLabsOptions, 'ttfbMs' | 'chunkDelayMs' | 'chunkSize'>> &
  Pick<FakeElevenLabsOptions, 'audio'> & { timestampClock: 'absolute' | 'per-line' };

function checkTunables(options: Partial<Tunables>): void {
  for (const key of ['ttfbMs', 'chunkDelayMs'] as const) {
    const value = options[key];
    if (value !== undefined && !(value >= 0)) throw new RangeError(`${key} must be >= 0, got ${value}`);
  }
  const size = options.chunkSize;
  if (size !== undefined && !(Number.isInteger(size) && size >= 1)) {
    throw new RangeError(`chunkSize must be a positive integer, got ${size}`);
  }
}

export class FakeState {
  readonly apiKey: string;
  readonly requests: RecordedRequest[] = [];
  readonly sentAudio: SentAudio[] = [];
  readonly faults = new FaultQueue();
  readonly gate = new HoldGate();
  tunables: Tunables;
  subscription: Record<string, unknown>;
  inFlightTts = 0;
  maxConcurrentTts = 0;
  private readonly initial: Tunables;

  constructor(options: FakeElevenLabsOptions) {
    this.apiKey = options.apiKey ?? `fake-key-${randomHex(16)}`;
    this.initial = {
      ttfbMs: options.ttfbMs ?? 0,
      chunkDelayMs: options.chunkDelayMs ?? 0,
      chunkSize: options.chunkSize ?? 4096,
      audio: options.audio,
      timestampClock: options.timestampClock ?? 'absolute',
    };
    checkTunables(this.initial);
    this.tunables = { ...this.initial };
    this.subscription = structuredClone({ ...SUBSCRIPTION });
  }

  configure(patch: Partial<Tunables>): void {
    checkTunables(patch);
    this.tunables = { ...this.tunables, ...patch };
  }

  /** Plan concurrency, as `/v1/user` reports it and the concurrency headers echo it. */
  get maxConcurrency(): number {
    return USER.subscription_extras.concurrency;
  }

  audioFor(text: string, request: RecordedRequest): Buffer {
    const { audio } = this.tunables;
    if (audio === undefined) return defaultAudio(text);
    return Buffer.from(typeof audio === 'function' ? audio(text, request) : audio);
  }

  ttsStarted(): void {
    this.inFlightTts += 1;
    this.maxConcurrentTts = Math.max(this.maxConcurrentTts, this.inFlightTts);
  }

  ttsEnded(): void {
    this.inFlightTts -= 1;
  }

  /** Usage is reported, never enforced: quota errors come only from an injected fault. */
  chargeCharacters(count: number): void {
    const used = this.subscription.character_count;
    if (typeof used === 'number') this.subscription.character_count = used + count;
  }

  reset(): void {
    this.requests.length = 0;
    this.sentAudio.length = 0;
    this.faults.clear();
    this.gate.releaseAll();
    // Requests still in flight will end and decrement, so the live count must survive.
    this.maxConcurrentTts = this.inFlightTts;
    this.tunables = { ...this.initial };
    this.subscription = structuredClone({ ...SUBSCRIPTION });
  }
}
