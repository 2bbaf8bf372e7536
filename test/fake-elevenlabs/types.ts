/** Public types of the fake ElevenLabs server. */

export interface FakeElevenLabsOptions {
  /** Default: 'fake-key-' + random hex. Checked against the `xi-api-key` header. */
  apiKey?: string;
  /** Delay before a TTS 200's headers and first chunk (default 0). */
  ttfbMs?: number;
  /** Delay between streamed chunks on the /stream endpoints (default 0). */
  chunkDelayMs?: number;
  /** Bytes of audio per chunk on the /stream endpoints (default 4096). */
  chunkSize?: number;
  /** Default: hello.mp3 for every text, short.mp3 when text.length <= 8. */
  audio?: Uint8Array | ((text: string, request: RecordedRequest) => Uint8Array);
  /**
   * Character times on /stream/with-timestamps: from the start of the request (`absolute`, the
   * default) or restarting with every line (`per-line`). The API leaves this open; clients must
   * read both.
   */
  timestampClock?: 'absolute' | 'per-line';
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** First value of each key. */
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  body: unknown;
  /** Date.now() when the request arrived. */
  at: number;
}

/** One per TTS 200 response, added when its headers are sent and updated as bytes go out. */
export interface SentAudio {
  requestId: string;
  path: string;
  text: string;
  /** Audio bytes written so far (decoded audio for the with-timestamps endpoints). */
  readonly bytes: Buffer;
  /** True once the whole body has been written. */
  completed: boolean;
}

export type Fault =
  | { kind: 'invalid_key' }
  | { kind: 'invalid_key_legacy' }
  | { kind: 'quota_exceeded' }
  | { kind: 'unusual_activity' }
  | { kind: 'voice_not_found' }
  | { kind: 'validation' }
  | { kind: 'max_characters' }
  | { kind: 'busy' }
  | { kind: 'too_many_concurrent' }
  | { kind: 'server_error'; status?: 500 | 502 | 503 }
  | { kind: 'stall' }
  | { kind: 'stall_mid_stream'; afterBytes?: number }
  | { kind: 'reset_mid_stream'; afterBytes?: number }
  | { kind: 'retry_after'; seconds: number };

export interface FaultScope {
  /** Default: the TTS paths (/v1/text-to-speech/...). */
  path?: RegExp;
  /** Default: Infinity. */
  times?: number;
}

export interface FakeElevenLabs {
  /** 'http://127.0.0.1:PORT' */
  readonly url: string;
  readonly apiKey: string;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** One per TTS 200 response. */
  readonly sentAudio: SentAudio[];
  /** Requests to /v1/text-to-speech/*. */
  ttsRequests(): RecordedRequest[];
  /** Faults are consumed in injection order, each `times` times. */
  inject(fault: Fault, scope?: FaultScope): void;
  clearFaults(): void;
  configure(options: Partial<Pick<FakeElevenLabsOptions, 'ttfbMs' | 'chunkDelayMs' | 'chunkSize' | 'audio' | 'timestampClock'>>): void;
  /** While held, every /stream response pauses before sending its last chunk until release(). */
  hold(): { release(): void };
  /** Highest number of TTS requests in flight at once. */
  readonly maxConcurrentTts: number;
  readonly inFlightTts: number;
  /** Shallow-merges into the subscription served by /v1/user/subscription and /v1/user. */
  setSubscription(patch: Record<string, unknown>): void;
  /** Clears requests, sentAudio, faults, counters and holds; restores the start options and subscription. */
  reset(): void;
  /** Closes the server and every socket, stalled ones included. */
  close(): Promise<void>;
}
