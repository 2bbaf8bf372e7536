import { randomBytes } from 'node:crypto';
import { audioCacheKey } from './cache/lru.js';
import type { Catalog } from './catalog.js';
import { JessicaError } from './errors.js';
import { parseSpeechInput } from './input.js';
import { setVoiceSettings } from './settings/schema.js';
import type { AudioCache, Logger, MetricsSink, TtsProvider } from './ports.js';
import { splitText } from './text/split.js';
import { toSpeakableText } from './text/speakable.js';
import { WordClock } from './text/words.js';
import { audioSeconds, mimeTypeFor, type OutputFormat, type Settings, type SpeechChunk, type SynthesisRequest, type VoiceSettings, type WordTiming } from './types.js';

/** Everything decided about an utterance before any audio is requested. */
export interface SpeechPlan {
  utteranceId: string;
  /** The speakable text (markdown and code already turned into words). */
  text: string;
  /** `text` split under the model's per-request limit. */
  parts: readonly string[];
  voiceId: string;
  voiceName: string;
  modelId: string;
  outputFormat: OutputFormat;
  mime: string;
  /** The caller's voice settings, then the request's; undefined: the voice's own apply upstream. */
  voiceSettings: Partial<VoiceSettings> | undefined;
  characters: number;
  /** Whether the audio comes with word timings (the principal's `word_timings` setting). */
  wordTimings: boolean;
}

export interface SpeechServiceDeps {
  provider: TtsProvider;
  catalog: Catalog;
  cache: AudioCache;
  settingsFor: (principal: string) => Promise<Settings>;
  maxTextLength: number;
  logger: Logger;
  metrics: MetricsSink;
}

/** Models that refuse request stitching (the upstream answers 400). */
const NO_STITCHING = new Set(['eleven_v3']);
/** Utterances above this size are streamed but not cached. */
const MAX_CACHED_BYTES = 2 * 1024 * 1024;
/**
 * Utterances that collect their audio for the cache at the same time (each up to
 * MAX_CACHED_BYTES). One that starts while this many are collecting is streamed but not cached,
 * so many concurrent streams never each hold their whole audio until they end. It matches the
 * default upstream concurrency, so by default every utterance is still cached.
 */
const MAX_COLLECTING = 4;

const NO_AUDIO = new Uint8Array(0);

/** An utterance's chunks, collected for the cache while they stream. */
interface Collector {
  add(chunk: SpeechChunk): void;
  /** The whole utterance, or undefined if collecting gave up; either way, no longer counted. */
  take(): SpeechChunk[] | undefined;
  drop(): void;
}

/** A chunk of a part's stream; the request id arrives with the first, as soon as the upstream answers. */
interface Piece {
  requestId: string | undefined;
  chunk: SpeechChunk;
}

export function newUtteranceId(): string {
  return `utt_${randomBytes(9).toString('base64url')}`;
}

/** Plans, synthesises and streams speech; the one speak flow every path shares. */
export class SpeechService {
  readonly #deps: SpeechServiceDeps;
  /** Utterances collecting their audio for the cache right now (MAX_COLLECTING). */
  #collecting = 0;
  /** A stream dropped without being finished never runs its `finally`: its place comes back when it is garbage-collected. */
  readonly #dropped = new FinalizationRegistry<number>((places) => {
    this.#collecting -= places;
  });

  constructor(deps: SpeechServiceDeps) {
    this.#deps = deps;
  }

  /** Validates the input and resolves voice, model and format from it and the caller's settings. */
  async plan(principal: string, rawInput: unknown): Promise<SpeechPlan> {
    const input = parseSpeechInput(rawInput);
    const { catalog, maxTextLength } = this.#deps;
    if (input.text.length > maxTextLength) {
      throw new JessicaError('text_too_long', `The text has ${input.text.length} characters; the limit is ${maxTextLength}.`, {
        details: { limit: maxTextLength },
      });
    }
    const text = toSpeakableText(input.text);
    if (text === '') throw new JessicaError('empty_text', 'There is nothing to say once markdown, code and links are removed.');
    const settings = await this.#deps.settingsFor(principal);
    const [voice, model] = await Promise.all([
      catalog.resolveVoice(input.voice ?? settings.default_voice_id),
      catalog.resolveModel(input.model ?? settings.default_model_id),
    ]);
    const outputFormat = input.output_format ?? settings.output_format;
    return {
      utteranceId: newUtteranceId(),
      text,
      parts: splitText(text, model.max_characters),
      voiceId: voice.voice_id,
      voiceName: voice.name,
      modelId: model.model_id,
      outputFormat,
      mime: mimeTypeFor(outputFormat),
      voiceSettings: setVoiceSettings({ ...settings.voice_settings, ...input.voice_settings }) ?? undefined,
      characters: text.length,
      wordTimings: settings.word_timings,
    };
  }

  /**
   * Whether the plan's audio would come from the cache, with no upstream call (and nothing
   * spent): served as bytes alone (`words: false`), or with its word timings as `chunks` serves them.
   */
  isCached(plan: SpeechPlan, options: { words: boolean }): boolean {
    const cached = this.#deps.cache.get(cacheKeyOf(plan));
    return cached !== undefined && (!(options.words && plan.wordTimings) || cached.words !== undefined);
  }

  /** The plan's audio bytes alone, chunk by chunk (no timings are asked for). */
  async *audio(plan: SpeechPlan, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    for await (const chunk of this.chunks({ ...plan, wordTimings: false }, signal)) {
      if (chunk.audio.byteLength > 0) yield chunk.audio;
    }
  }

  /**
   * The plan's audio, chunk by chunk as the upstream sends it, parts stitched in order; with
   * `plan.wordTimings`, each chunk also carries the words completed with it (a last chunk may
   * carry only words). A finished utterance is cached with its words; a repeat is served from
   * memory with no upstream call.
   */
  async *chunks(plan: SpeechPlan, signal?: AbortSignal): AsyncGenerator<SpeechChunk> {
    const { cache, metrics } = this.#deps;
    const key = cacheKeyOf(plan);
    const cached = cache.get(key);
    // Audio cached without timings does not serve a request for them: it is made again, with them.
    if (cached && (!plan.wordTimings || cached.words)) {
      metrics.count('CacheHits');
      for (const [index, audio] of cached.chunks.entries()) {
        const words = plan.wordTimings ? (cached.words?.[index] ?? []) : [];
        if (audio.byteLength > 0 || words.length > 0) yield { audio, words };
      }
      return;
    }
    metrics.count('Utterances');
    metrics.count('Characters', plan.characters);
    const stitch = !NO_STITCHING.has(plan.modelId) && plan.parts.length > 1;
    const requestIds: string[] = [];
    const clock = new WordClock();
    const collected = this.#collector();
    try {
      for (const [index, part] of plan.parts.entries()) {
        signal?.throwIfAborted();
        const previous = plan.parts[index - 1];
        const next = plan.parts[index + 1];
        const request: SynthesisRequest = {
          text: part,
          voiceId: plan.voiceId,
          modelId: plan.modelId,
          outputFormat: plan.outputFormat,
          ...(plan.voiceSettings ? { voiceSettings: plan.voiceSettings } : {}),
          ...(stitch && requestIds.length > 0 ? { previousRequestIds: requestIds.slice(-3) } : {}),
          ...(stitch && requestIds.length === 0 && previous ? { previousText: previous } : {}),
          ...(stitch && next ? { nextText: next } : {}),
        };
        const pieces = plan.wordTimings ? this.#timed(request, clock, signal) : this.#plain(request, signal);
        for await (const piece of pieces) {
          if (piece.requestId !== undefined) requestIds.push(piece.requestId);
          if (piece.chunk.audio.byteLength === 0 && piece.chunk.words.length === 0) continue;
          collected.add(piece.chunk);
          yield piece.chunk;
        }
      }
      const whole = collected.take();
      if (whole) {
        cache.set(key, {
          chunks: whole.map((chunk) => chunk.audio),
          ...(plan.wordTimings ? { words: whole.map((chunk) => chunk.words) } : {}),
        });
      }
    } finally {
      collected.drop();
    }
  }

  /** One part without timings; the first piece carries the request id. */
  async *#plain(request: SynthesisRequest, signal: AbortSignal | undefined): AsyncGenerator<Piece> {
    const upstream = await this.#deps.provider.stream(request, signal);
    yield { requestId: upstream.requestId ?? undefined, chunk: { audio: NO_AUDIO, words: [] } };
    for await (const audio of upstream.chunks) yield { requestId: undefined, chunk: { audio, words: [] } };
  }

  /** One part with timings: each line's audio at once, with the words it completes; the part's last word after its audio. */
  async *#timed(request: SynthesisRequest, clock: WordClock, signal: AbortSignal | undefined): AsyncGenerator<Piece> {
    const upstream = await this.#deps.provider.streamWithTimestamps(request, signal);
    yield { requestId: upstream.requestId ?? undefined, chunk: { audio: NO_AUDIO, words: [] } };
    let bytes = 0;
    for await (const line of upstream.chunks) {
      const words: WordTiming[] = line.alignment ? clock.push(line.alignment, audioSeconds(request.outputFormat, bytes)) : [];
      bytes += line.audio.byteLength;
      yield { requestId: undefined, chunk: { audio: line.audio, words } };
    }
    yield { requestId: undefined, chunk: { audio: NO_AUDIO, words: clock.endPart(audioSeconds(request.outputFormat, bytes)) } };
  }

  /** Collects one utterance, up to MAX_CACHED_BYTES, if it gets one of the MAX_COLLECTING places when its audio starts. */
  #collector(): Collector {
    let chunks: SpeechChunk[] | undefined = [];
    let bytes = 0;
    let placed = false;
    const release = () => {
      chunks = undefined;
      if (!placed) return;
      placed = false;
      this.#collecting -= 1;
      this.#dropped.unregister(collector);
    };
    const collector: Collector = {
      add: (chunk) => {
        if (!chunks) return;
        if (!placed) {
          if (this.#collecting >= MAX_COLLECTING) {
            chunks = undefined;
            return;
          }
          placed = true;
          this.#collecting += 1;
          this.#dropped.register(collector, 1, collector);
        }
        bytes += chunk.audio.byteLength;
        if (bytes > MAX_CACHED_BYTES) release();
        else chunks.push(chunk);
      },
      take: () => {
        const whole = chunks;
        release();
        return whole;
      },
      drop: release,
    };
    return collector;
  }

  /**
   * Starts the audio and waits for its first chunk, so that anything failing before the first
   * byte (unknown voice upstream, auth, quota, timeout) surfaces as an error with a status
   * instead of a broken stream.
   */
  async open(plan: SpeechPlan, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    return primed(this.audio(plan, signal));
  }

  /** `open` for audio with its words, whatever the principal's `word_timings` setting. */
  async openTimed(plan: SpeechPlan, signal?: AbortSignal): Promise<AsyncIterable<SpeechChunk>> {
    return primed(this.chunks({ ...plan, wordTimings: true }, signal));
  }

  /** The whole utterance in one buffer (REST `/tts`, MCP audio blocks). */
  async collect(plan: SpeechPlan, signal?: AbortSignal): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.audio(plan, signal)) chunks.push(chunk);
    return concatBytes(chunks);
  }
}

/** Pulls the first item now; the returned iterable replays it, then continues. */
export async function primed<T>(source: AsyncGenerator<T>): Promise<AsyncIterable<T>> {
  const first = await source.next();
  return {
    async *[Symbol.asyncIterator]() {
      if (first.done) return;
      try {
        yield first.value;
        yield* { [Symbol.asyncIterator]: () => source };
      } finally {
        await source.return(undefined);
      }
    },
  };
}

/**
 * The last key worked out for a plan's parts: a request asks for it twice (is it cached, before
 * it is charged; then to read or fill the cache), and copies of a plan share its `parts`. Any
 * other field that differs is worked out anew.
 */
const lastKeys = new WeakMap<readonly string[], { plan: Pick<SpeechPlan, 'voiceId' | 'modelId' | 'outputFormat' | 'voiceSettings'>; key: string }>();

function cacheKeyOf(plan: SpeechPlan): string {
  const last = lastKeys.get(plan.parts);
  if (
    last !== undefined &&
    last.plan.voiceId === plan.voiceId &&
    last.plan.modelId === plan.modelId &&
    last.plan.outputFormat === plan.outputFormat &&
    last.plan.voiceSettings === plan.voiceSettings
  ) {
    return last.key;
  }
  const key = workedOutKey(plan);
  lastKeys.set(plan.parts, { plan: { voiceId: plan.voiceId, modelId: plan.modelId, outputFormat: plan.outputFormat, voiceSettings: plan.voiceSettings }, key });
  return key;
}

function workedOutKey(plan: SpeechPlan): string {
  return audioCacheKey({
    parts: plan.parts,
    voice: plan.voiceId,
    model: plan.modelId,
    format: plan.outputFormat,
    // `null` (the voice's own) never equals a set of values, so audio made with one is never served for the other.
    settings: plan.voiceSettings ?? null,
  });
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
