import type { PageConfig } from './config.js';
import type { TokenStore } from './token.js';
import type { Health, Model, Settings, SettingsPatch, Usage, Voice, VoiceSettings } from './types.js';

/** A failed call, carrying the server's stable error code (`network` when it never answered). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export interface SpeechRequest {
  text: string;
  voice?: string;
  model?: string;
}

export interface SynthesisResult {
  audio: Blob;
  utteranceId: string | undefined;
}

/** The REST API of SPEC §4. Every call sends the token, and every 401 is reported once. */
export class ApiClient {
  readonly #config: PageConfig;
  readonly #tokens: TokenStore;
  readonly #onUnauthorized: (error: ApiError) => void;

  constructor(config: PageConfig, tokens: TokenStore, onUnauthorized: (error: ApiError) => void) {
    this.#config = config;
    this.#tokens = tokens;
    this.#onUnauthorized = onUnauthorized;
  }

  /** No auth, no 401 handling: health is public and says which path answers right now. */
  async health(signal?: AbortSignal): Promise<Health> {
    let response: Response;
    try {
      response = await fetch(this.#config.healthUrl, { cache: 'no-store', signal });
    } catch {
      throw new ApiError(0, 'network', 'The server cannot be reached.');
    }
    // 503 while draining still carries a health body worth reading.
    const body = (await response.json().catch(() => undefined)) as Health | undefined;
    if (!body || typeof body.target !== 'string') throw new ApiError(response.status, 'unhealthy', 'The server did not report its health.');
    return body;
  }

  async voices(): Promise<Voice[]> {
    return (await this.#json<{ voices: Voice[] }>('GET', '/voices')).voices;
  }

  async models(): Promise<Model[]> {
    return (await this.#json<{ models: Model[] }>('GET', '/models')).models;
  }

  settings(): Promise<Settings> {
    return this.#json<Settings>('GET', '/settings');
  }

  updateSettings(patch: SettingsPatch): Promise<Settings> {
    return this.#json<Settings>('PATCH', '/settings', patch);
  }

  /** The settings stored with a voice at ElevenLabs: what it speaks with while the user set none. */
  voiceSettings(voiceId: string): Promise<VoiceSettings> {
    return this.#json<VoiceSettings>('GET', `/voices/${encodeURIComponent(voiceId)}/settings`);
  }

  usage(): Promise<Usage> {
    return this.#json<Usage>('GET', '/usage');
  }

  /** Synthesises the whole utterance over REST: the path that answers off-hours. */
  async tts(request: SpeechRequest): Promise<SynthesisResult> {
    const response = await this.#request('POST', '/tts', request);
    return { audio: await response.blob(), utteranceId: response.headers.get('X-Jessica-Utterance-Id') ?? undefined };
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.#request(method, path, body)).json()) as T;
  }

  async #request(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = this.#tokens.get();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.#config.apiBase}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'network', 'The server cannot be reached.');
    }
    if (response.ok) return response;
    const error = await toApiError(response);
    if (error.status === 401) this.#onUnauthorized(error);
    throw error;
  }
}

async function toApiError(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => undefined)) as { error?: { code?: unknown; message?: unknown } } | undefined;
  const code = typeof body?.error?.code === 'string' ? body.error.code : `http_${response.status}`;
  const message = typeof body?.error?.message === 'string' ? body.error.message : `The server answered ${response.status}.`;
  return new ApiError(response.status, code, message);
}
