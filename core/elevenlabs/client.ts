import { isAbortError, linkedController, sleep } from '../abort.js';
import { JessicaError, UpstreamError } from '../errors.js';
import type { Semaphore } from '../limiter.js';
import type { Logger, MetricsSink, TimedAudioChunk, TtsProvider, UpstreamAnswer, UpstreamAudio, UpstreamTimedAudio, UpstreamTransport } from '../ports.js';
import type { CharacterAlignment } from '../text/words.js';
import type { Model, SynthesisRequest, Usage, Voice, VoiceSettings } from '../types.js';
import { upstreamErrorFor } from './errors.js';
import { toModel, toUsage, toVoice, toVoiceSettings } from './mappers.js';
import { fetchTransport, readText } from './fetch-transport.js';

export interface ElevenLabsClientOptions {
  baseUrl: string;
  /** Undefined: every call fails with 503 upstream_not_configured. */
  apiKey: string | undefined;
  /** Longest wait for response headers, and for each next chunk of a stream. */
  timeoutMs: number;
  /** Retries of 429/5xx/network failures, always before the first audio byte. */
  retries: number;
  /** Bounds concurrent TTS requests on this key. */
  limiter: Semaphore;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Sent on every request, so the upstream can tell who is calling (see `userAgentFor`). */
  userAgent: string;
  logger: Logger;
  metrics: MetricsSink;
  /** How requests reach the network; default `fetch`. */
  transport?: UpstreamTransport;
}

const TIMEOUT = Symbol('upstream timeout');

/** The JSON body of `POST /v1/text-to-speech/{voice_id}/stream`, as Jessica sends it. */
export interface WireTtsBody {
  text: string;
  model_id: string;
  voice_settings?: Partial<VoiceSettings>;
  previous_request_ids?: string[];
  previous_text?: string;
  next_text?: string;
}

/**
 * `jessica/<version>`, with the project's address when there is one, as User-Agent asks.
 *
 * @example
 * userAgentFor('1.2.0', 'https://example.org/jessica'); // 'jessica/1.2.0 (+https://example.org/jessica)'
 */
export function userAgentFor(version: string, projectUrl?: string): string {
  return projectUrl ? `jessica/${version} (+${projectUrl})` : `jessica/${version}`;
}

/**
 * A thin client for the ElevenLabs REST API: streaming with per-chunk control,
 * all three error shapes, retries before the first byte, per-request timeouts, cancellation.
 */
export class ElevenLabsClient implements TtsProvider {
  readonly #options: Required<ElevenLabsClientOptions>;

  constructor(options: ElevenLabsClientOptions) {
    this.#options = { retryBaseMs: 500, retryMaxMs: 8_000, transport: fetchTransport, ...options };
  }

  async stream(request: SynthesisRequest, signal?: AbortSignal): Promise<UpstreamAudio> {
    const { response, chunks } = await this.#streamed('stream', request, signal);
    return {
      requestId: response.header('request-id'),
      contentType: response.header('content-type') ?? 'application/octet-stream',
      chunks,
    };
  }

  async streamWithTimestamps(request: SynthesisRequest, signal?: AbortSignal): Promise<UpstreamTimedAudio> {
    const { response, chunks } = await this.#streamed('stream/with-timestamps', request, signal);
    return { requestId: response.header('request-id'), chunks: timedLines(chunks) };
  }

  async #streamed(
    endpoint: 'stream' | 'stream/with-timestamps',
    request: SynthesisRequest,
    signal: AbortSignal | undefined,
  ): Promise<{ response: UpstreamAnswer; chunks: AsyncGenerator<Uint8Array> }> {
    const release = await this.#options.limiter.acquire(signal);
    try {
      const query = new URLSearchParams({ output_format: request.outputFormat });
      const { response, controller } = await this.#fetchWithRetries(
        `/v1/text-to-speech/${encodeURIComponent(request.voiceId)}/${endpoint}?${query}`,
        { method: 'POST', body: JSON.stringify(toWireBody(request)) },
        signal,
      );
      // Free the slot on abort even if the caller never starts reading the chunks.
      controller.signal.addEventListener('abort', release, { once: true });
      return { response, chunks: this.#readChunks(response, controller, release) };
    } catch (error) {
      release();
      throw error;
    }
  }

  async listVoices(search?: string, signal?: AbortSignal): Promise<Voice[]> {
    const voices: Voice[] = [];
    let token: string | undefined;
    // A bound on pages keeps a misbehaving upstream from looping us forever.
    for (let page = 0; page < 50; page += 1) {
      const query = new URLSearchParams({ page_size: '100' });
      if (search) query.set('search', search);
      if (token) query.set('next_page_token', token);
      const body = (await this.#json(`/v2/voices?${query}`, signal)) as {
        voices?: unknown[];
        has_more?: boolean;
        next_page_token?: string | null;
      };
      for (const raw of body.voices ?? []) {
        const voice = toVoice(raw);
        if (voice) voices.push(voice);
      }
      if (!body.has_more || !body.next_page_token) break;
      token = body.next_page_token;
    }
    return voices;
  }

  async getVoice(voiceId: string, signal?: AbortSignal): Promise<Voice | undefined> {
    try {
      return toVoice(await this.#json(`/v1/voices/${encodeURIComponent(voiceId)}`, signal));
    } catch (error) {
      if (error instanceof UpstreamError && (error.upstreamStatus === 404 || error.code === 'unknown_voice')) return undefined;
      throw error;
    }
  }

  /** The settings stored with the voice: what it speaks with when a request sends none. */
  async getVoiceSettings(voiceId: string, signal?: AbortSignal): Promise<VoiceSettings> {
    const settings = toVoiceSettings(await this.#json(`/v1/voices/${encodeURIComponent(voiceId)}/settings`, signal));
    if (!settings) throw new UpstreamError('upstream_error', 'ElevenLabs sent unexpected voice settings.', { upstreamStatus: 200, retryable: false });
    return settings;
  }

  async listModels(signal?: AbortSignal): Promise<Model[]> {
    const body = await this.#json('/v1/models', signal);
    if (!Array.isArray(body)) throw new UpstreamError('upstream_error', 'ElevenLabs sent an unexpected model list.', { upstreamStatus: 200, retryable: false });
    return body.map(toModel).filter((model): model is Model => model !== undefined);
  }

  async getUsage(signal?: AbortSignal): Promise<Usage> {
    return toUsage(await this.#json('/v1/user/subscription', signal));
  }

  async #json(path: string, signal?: AbortSignal): Promise<unknown> {
    const { response, controller } = await this.#fetchWithRetries(path, { method: 'GET' }, signal);
    // The deadline covers the body too: headers followed by a stalled body must not hang the caller.
    const timer = setTimeout(() => controller.abort(TIMEOUT), this.#options.timeoutMs);
    try {
      const text = await readText(response.body);
      return JSON.parse(text) as unknown;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (controller.signal.reason === TIMEOUT) {
        throw new UpstreamError('upstream_timeout', `ElevenLabs did not finish answering within ${this.#options.timeoutMs} ms.`, {
          upstreamStatus: response.status,
          retryable: false,
        });
      }
      throw new UpstreamError('upstream_error', 'ElevenLabs sent a response that is not JSON.', { upstreamStatus: response.status, retryable: false, cause: error });
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }

  async #fetchWithRetries(
    path: string,
    init: { method: string; body?: string },
    signal: AbortSignal | undefined,
  ): Promise<{ response: UpstreamAnswer; controller: AbortController }> {
    const { apiKey, baseUrl, retries, logger, metrics, transport } = this.#options;
    if (apiKey === undefined) {
      throw new JessicaError('upstream_not_configured', 'No ElevenLabs API key is configured on this server.');
    }
    for (let attempt = 0; ; attempt += 1) {
      const controller = linkedController(signal);
      const timer = setTimeout(() => controller.abort(TIMEOUT), this.#options.timeoutMs);
      let failure: UpstreamError;
      try {
        const response = await transport(baseUrl + path, {
          method: init.method,
          headers: {
            'xi-api-key': apiKey,
            'user-agent': this.#options.userAgent,
            accept: init.body === undefined ? 'application/json' : 'audio/mpeg, application/json',
            ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(init.body === undefined ? {} : { body: init.body }),
          signal: controller.signal,
        });
        clearTimeout(timer);
        if (response.status >= 200 && response.status < 300) return { response, controller };
        const body: unknown = await readText(response.body)
          .then((text) => JSON.parse(text) as unknown)
          .catch(() => undefined);
        controller.abort();
        failure = upstreamErrorFor(response.status, body, parseRetryAfter(response.header('retry-after')));
      } catch (error) {
        clearTimeout(timer);
        if (controller.signal.reason === TIMEOUT) {
          failure = new UpstreamError('upstream_timeout', `ElevenLabs did not answer within ${this.#options.timeoutMs} ms.`, {
            upstreamStatus: 0,
            retryable: false,
          });
        } else if (signal?.aborted || isAbortError(error)) {
          throw signal?.reason ?? error;
        } else {
          failure = new UpstreamError('upstream_error', 'ElevenLabs could not be reached.', { upstreamStatus: 0, retryable: true, cause: error });
        }
      }
      metrics.count('UpstreamErrors');
      logger.warn('upstream request failed', {
        path: path.split('?')[0],
        attempt,
        code: failure.code,
        upstreamStatus: failure.upstreamStatus,
        upstreamCode: failure.upstreamCode,
      });
      const delay = this.#retryDelay(attempt, failure);
      if (!failure.retryable || attempt >= retries || delay === undefined) throw failure;
      await sleep(delay, signal);
    }
  }

  #retryDelay(attempt: number, failure: UpstreamError): number | undefined {
    const { retryBaseMs, retryMaxMs } = this.#options;
    if (failure.retryAfterSeconds !== undefined) {
      const ms = failure.retryAfterSeconds * 1000;
      return ms <= retryMaxMs ? ms : undefined;
    }
    const jitter = 0.8 + Math.random() * 0.4;
    return Math.min(retryMaxMs, retryBaseMs * 2 ** attempt * jitter);
  }

  /**
   * The audio as it arrives. The idle deadline runs only while waiting for the upstream: a
   * listener that is slow to take a chunk (backpressure) does not count against ElevenLabs.
   */
  async *#readChunks(response: UpstreamAnswer, controller: AbortController, release: () => void): AsyncGenerator<Uint8Array> {
    const { timeoutMs } = this.#options;
    let waiting = true;
    const idle = setTimeout(() => {
      if (waiting) controller.abort(TIMEOUT);
    }, timeoutMs);
    const chunks = response.body[Symbol.asyncIterator]();
    try {
      for (;;) {
        waiting = true;
        idle.refresh();
        let result: IteratorResult<Uint8Array>;
        try {
          result = await chunks.next();
        } catch (error) {
          if (controller.signal.reason === TIMEOUT) {
            throw new UpstreamError('upstream_timeout', `ElevenLabs stopped sending audio for ${timeoutMs} ms.`, { upstreamStatus: 200, retryable: false });
          }
          if (controller.signal.aborted) throw controller.signal.reason;
          this.#options.metrics.count('UpstreamErrors');
          throw new UpstreamError('upstream_error', 'The speech stream from ElevenLabs broke off.', { upstreamStatus: 200, retryable: false, cause: error });
        }
        waiting = false;
        if (result.done) return;
        if (result.value.byteLength > 0) yield result.value;
      }
    } finally {
      clearTimeout(idle);
      release();
      controller.abort();
    }
  }
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/**
 * The newline-delimited JSON of `/stream/with-timestamps`, one audio chunk per complete line,
 * each handed on as soon as its newline arrives (network chunks split lines anywhere).
 */
export async function* timedLines(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<TimedAudioChunk> {
  // Streaming decode: a character split across network chunks must not turn into two bad ones.
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of bytes) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const parsed = parseTimedLine(line);
      if (parsed) yield parsed;
      newline = buffered.indexOf('\n');
    }
  }
  buffered += decoder.decode();
  const last = parseTimedLine(buffered);
  if (last) yield last;
}

function parseTimedLine(line: string): TimedAudioChunk | undefined {
  if (line.trim() === '') return undefined;
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (error) {
    throw new UpstreamError('upstream_error', 'ElevenLabs sent a timestamp line that is not JSON.', { upstreamStatus: 200, retryable: false, cause: error });
  }
  const fields = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const audio = fields['audio_base64'];
  if (typeof audio !== 'string') {
    throw new UpstreamError('upstream_error', 'ElevenLabs sent a timestamp line without audio.', { upstreamStatus: 200, retryable: false });
  }
  // `alignment` maps the text as sent; the normalized one (numbers spelled out…) is the fallback.
  const alignment = toAlignment(fields['alignment']) ?? toAlignment(fields['normalized_alignment']);
  return { audio: new Uint8Array(Buffer.from(audio, 'base64')), alignment };
}

/** Timings are an extra: a malformed alignment is ignored, never fatal to the audio. */
function toAlignment(value: unknown): CharacterAlignment | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { characters, character_start_times_seconds: starts, character_end_times_seconds: ends } = value as Record<string, unknown>;
  if (!Array.isArray(characters) || !Array.isArray(starts) || !Array.isArray(ends)) return undefined;
  if (characters.length !== starts.length || characters.length !== ends.length) return undefined;
  if (!characters.every((item) => typeof item === 'string')) return undefined;
  if (![...starts, ...ends].every((item) => typeof item === 'number' && Number.isFinite(item))) return undefined;
  return { characters, character_start_times_seconds: starts as number[], character_end_times_seconds: ends as number[] };
}

/**
 * The upstream request body. `voice_settings` overrides the settings stored with the voice, so
 * it is sent only when someone set a value; otherwise the voice speaks as it does at ElevenLabs.
 */
export function toWireBody(request: SynthesisRequest): WireTtsBody {
  const body: WireTtsBody = { text: request.text, model_id: request.modelId };
  if (request.voiceSettings && Object.keys(request.voiceSettings).length > 0) body.voice_settings = { ...request.voiceSettings };
  if (request.previousRequestIds?.length) body.previous_request_ids = request.previousRequestIds.slice(-3);
  if (request.previousText) body.previous_text = request.previousText;
  if (request.nextText) body.next_text = request.nextText;
  return body;
}
