import { isErrorCode, JessicaError, type McpBackend, type Model, type Settings, type Usage, type Voice } from '../core/index.js';

export interface RemoteOptions {
  /** Base URL of a running server including its root path, e.g. http://127.0.0.1:9020. */
  baseUrl: string;
  token: string | undefined;
  timeoutMs?: number;
}

/**
 * The MCP tools' backend for `jessica mcp` (stdio): every call goes to a running Jessica
 * server over its REST API, so speech reaches the pages connected to that server.
 */
export class RemoteBackend implements McpBackend {
  readonly #options: RemoteOptions;

  constructor(options: RemoteOptions) {
    this.#options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
  }

  async speak(_principal: string, input: unknown, _options: { wait: boolean }) {
    return (await this.#json('POST', '/api/v1/speak', input)) as { utterance_id: string; listeners: number };
  }

  async textToSpeech(_principal: string, input: unknown) {
    const response = await this.#fetch('POST', '/api/v1/tts', input);
    const audio = new Uint8Array(await response.arrayBuffer());
    const voice = typeof input === 'object' && input !== null && 'voice' in input && typeof input.voice === 'string' ? input.voice : 'default';
    return {
      audio,
      mime: response.headers.get('content-type') ?? 'audio/mpeg',
      utterance_id: response.headers.get('x-jessica-utterance-id') ?? '',
      characters: Number(response.headers.get('x-jessica-characters') ?? 0),
      voice,
    };
  }

  async listVoices(search?: string): Promise<Voice[]> {
    const query = search ? `?search=${encodeURIComponent(search)}` : '';
    return ((await this.#json('GET', `/api/v1/voices${query}`)) as { voices: Voice[] }).voices;
  }

  async listModels(): Promise<Model[]> {
    return ((await this.#json('GET', '/api/v1/models')) as { models: Model[] }).models;
  }

  async getSettings(): Promise<Settings> {
    return (await this.#json('GET', '/api/v1/settings')) as Settings;
  }

  async updateSettings(_principal: string, patch: unknown): Promise<Settings> {
    return (await this.#json('PATCH', '/api/v1/settings', patch)) as Settings;
  }

  async usage(): Promise<Usage> {
    return (await this.#json('GET', '/api/v1/usage')) as Usage;
  }

  async stop(): Promise<{ stopped: number }> {
    return (await this.#json('POST', '/api/v1/stop')) as { stopped: number };
  }

  async #json(method: string, path: string, body?: unknown): Promise<unknown> {
    return (await this.#fetch(method, path, body)).json();
  }

  async #fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json, audio/*' };
    if (this.#options.token) headers['authorization'] = `Bearer ${this.#options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.#options.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 60_000),
      });
    } catch (error) {
      throw new JessicaError('live_channel_unavailable', `No Jessica server answers at ${this.#options.baseUrl}.`, { cause: error });
    }
    if (response.ok) return response;
    const payload = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
    const code = payload?.error?.code;
    throw new JessicaError(
      isErrorCode(code) ? code : 'upstream_error',
      payload?.error?.message ?? `The Jessica server answered HTTP ${response.status}.`,
    );
  }
}
