import type { Model, Settings, SynthesisRequest, Usage, Voice, VoiceSettings } from './types.js';

/** A streamed upstream response: metadata as soon as headers arrive, then the audio bytes. */
export interface UpstreamAudio {
  /** Upstream `request-id`, used for request stitching. */
  requestId: string | undefined;
  contentType: string;
  chunks: AsyncIterable<Uint8Array>;
}

/** The text-to-speech provider (ElevenLabs in production, a fake server in tests). */
export interface TtsProvider {
  /** Resolves once the upstream has answered with a success status; errors before that reject. */
  stream(request: SynthesisRequest, signal?: AbortSignal): Promise<UpstreamAudio>;
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

/** Finished utterances by content key, so a repeated phrase costs no upstream call. */
export interface AudioCache {
  get(key: string): readonly Uint8Array[] | undefined;
  set(key: string, chunks: readonly Uint8Array[]): void;
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
