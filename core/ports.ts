import type { CharacterAlignment } from './text/words.js';
import type { Model, Settings, SynthesisRequest, Usage, Voice, VoiceSettings, WordTiming } from './types.js';

/** A streamed upstream response: metadata as soon as headers arrive, then the audio bytes. */
export interface UpstreamAudio {
  /** Upstream `request-id`, used for request stitching. */
  requestId: string | undefined;
  contentType: string;
  chunks: AsyncIterable<Uint8Array>;
}

/** One line of a streamed response with timestamps: audio bytes and the characters they carry. */
export interface TimedAudioChunk {
  audio: Uint8Array;
  /** Undefined when the line carries no timings (the upstream may send `null`). */
  alignment: CharacterAlignment | undefined;
}

/** A streamed upstream response with character timings beside the audio. */
export interface UpstreamTimedAudio {
  requestId: string | undefined;
  chunks: AsyncIterable<TimedAudioChunk>;
}

/** One request to an HTTP upstream, as the ElevenLabs client makes it. */
export interface UpstreamRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Aborting ends the exchange where it is: the pending answer rejects, and so does reading its body. */
  signal: AbortSignal;
}

/** An upstream's answer: the status and headers, then the body as bytes as they arrive. */
export interface UpstreamAnswer {
  status: number;
  header(name: string): string | undefined;
  /** A broken or aborted body rejects; leaving the iteration early releases the connection. */
  body: AsyncIterable<Uint8Array>;
}

/**
 * How the ElevenLabs client reaches the network. The core's default is the web-standard `fetch`;
 * an adapter may hand in a cheaper client of its runtime (the live server uses `node:http`).
 */
export type UpstreamTransport = (url: string, request: UpstreamRequest) => Promise<UpstreamAnswer>;

/** The text-to-speech provider (ElevenLabs in production, a fake server in tests). */
export interface TtsProvider {
  /** Resolves once the upstream has answered with a success status; errors before that reject. */
  stream(request: SynthesisRequest, signal?: AbortSignal): Promise<UpstreamAudio>;
  /** Like `stream`, with each audio chunk's character timings; each chunk is handed on as soon as it is complete. */
  streamWithTimestamps(request: SynthesisRequest, signal?: AbortSignal): Promise<UpstreamTimedAudio>;
  listVoices(search?: string, signal?: AbortSignal): Promise<Voice[]>;
  getVoice(voiceId: string, signal?: AbortSignal): Promise<Voice | undefined>;
  /** The settings stored with a voice (what it speaks with when a request sends none). */
  getVoiceSettings(voiceId: string, signal?: AbortSignal): Promise<VoiceSettings>;
  listModels(signal?: AbortSignal): Promise<Model[]>;
  getUsage(signal?: AbortSignal): Promise<Usage>;
}

/** Per-principal user settings. `update` is atomic per principal: no concurrent change is lost. */
export interface SettingsStore {
  get(principal: string): Promise<Settings | undefined>;
  update(principal: string, change: (current: Settings | undefined) => Settings): Promise<Settings>;
}

/** A finished utterance as it streamed. `words[i]` are the words completed with `chunks[i]`; absent when it was made without timings. */
export interface CachedAudio {
  chunks: readonly Uint8Array[];
  words?: readonly (readonly WordTiming[])[];
}

/** Finished utterances by content key, so a repeated phrase costs no upstream call. */
export interface AudioCache {
  get(key: string): CachedAudio | undefined;
  set(key: string, audio: CachedAudio): void;
}

/** Structured logging; Powertools Logger satisfies it. Never pass secrets. */
export interface Logger {
  debug(message: string, ...extra: Array<Record<string, unknown>>): void;
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

/** Counters and timings; adapters back it with Powertools Metrics (EMF). */
export interface MetricsSink {
  count(name: MetricName, value?: number): void;
  timing(name: MetricName, milliseconds: number): void;
}

export type MetricName =
  | 'Utterances'
  | 'Characters'
  | 'TimeToFirstAudio'
  | 'UpstreamErrors'
  | 'CacheHits'
  | 'DroppedListeners';

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export const noMetrics: MetricsSink = {
  count() {},
  timing() {},
};
