import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { performance } from 'node:perf_hooks';
import { DEFAULT_SETTINGS } from '../../core/settings/schema.js';
import { HttpClient, WsProbe } from './clients.js';
import { TOKEN, type BenchStack } from './stack.js';

/** The ways to time a first audio byte: directly at the fake, and the three ways through Jessica. */
export type PathName = 'direct' | 'proxy' | 'stream' | 'ws' | 'mcp' | 'mcpModern';

export class SpeechPaths {
  readonly #stack: BenchStack;
  readonly #http = new HttpClient();
  #probe: WsProbe | undefined;
  #mcp: Client | undefined;
  #mcpModern: Client | undefined;

  readonly #proxyUrl: string | undefined;

  /** `proxyUrl`: a bare pass-through proxy in front of the fake (bench/children/proxy.ts). */
  constructor(stack: BenchStack, proxyUrl?: string) {
    this.#stack = stack;
    this.#proxyUrl = proxyUrl;
  }

  async open(): Promise<void> {
    this.#probe = await WsProbe.connect(this.#stack.wsUrl, TOKEN);
    const transport = () =>
      new StreamableHTTPClientTransport(new URL(`${this.#stack.base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } });
    // The 2025 era (initialize, then one request per call) and 2026-07-28 (stateless, `_meta` on every request).
    this.#mcp = new Client({ name: 'jessica-bench', version: '1.0.0' });
    await this.#mcp.connect(transport());
    this.#mcpModern = new Client({ name: 'jessica-bench', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await this.#mcpModern.connect(transport());
  }

  async close(): Promise<void> {
    this.#probe?.close();
    await this.#mcp?.close();
    await this.#mcpModern?.close();
    this.#http.close();
  }

  /** Milliseconds to the first audio byte of `text` along `path`; throws unless every byte arrived. */
  run(path: PathName, text: string, expectBytes: number): Promise<number> {
    switch (path) {
      case 'direct':
        return this.direct(text, expectBytes);
      case 'proxy':
        return this.direct(text, expectBytes, this.#proxyUrl);
      case 'stream':
        return this.stream(text, expectBytes);
      case 'ws':
        return this.ws(text, expectBytes);
      case 'mcp':
        return this.mcp(text, expectBytes, this.#mcp!);
      case 'mcpModern':
        return this.mcp(text, expectBytes, this.#mcpModern!);
    }
  }

  /** The same request Jessica makes upstream, from the same client code as `stream`. */
  async direct(text: string, expectBytes: number, via = this.#stack.fakeUrl): Promise<number> {
    const settings = DEFAULT_SETTINGS;
    const result = await this.#http.send(
      `${via}/v1/text-to-speech/${settings.default_voice_id}/stream?output_format=${settings.output_format}`,
      {
        headers: { 'xi-api-key': this.#stack.fakeApiKey, accept: 'audio/mpeg, application/json' },
        body: JSON.stringify({ text, model_id: settings.default_model_id, voice_settings: settings.voice_settings }),
      },
    );
    check('direct', result.status === 200 && result.bytes === expectBytes, `${result.status}, ${result.bytes} bytes`);
    return result.ttfbMs;
  }

  async stream(text: string, expectBytes: number): Promise<number> {
    const result = await this.#http.send(`${this.#stack.base}/api/v1/tts/stream`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ text }),
    });
    check('stream', result.status === 200 && result.bytes === expectBytes, `${result.status}, ${result.bytes} bytes`);
    return result.ttfbMs;
  }

  /** `POST /speak`, timed to the first binary frame at an open WebSocket listener. */
  async ws(text: string, expectBytes: number): Promise<number> {
    const probe = this.#probe!;
    const utterance = probe.expectUtterance();
    const started = performance.now();
    const response = this.#http.send(`${this.#stack.base}/api/v1/speak`, { headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ text }) });
    const first = await utterance.firstAudio;
    const [{ status }, end] = await Promise.all([response, utterance.end]);
    check('ws', status === 202 && end.frame.type === 'audio.end' && end.bytes === expectBytes, `${status}, ${end.frame.type}, ${end.bytes} bytes`);
    return first - started;
  }

  /** MCP `speak_text` (SDK client, Streamable HTTP), timed to the first binary frame at the listener. */
  async mcp(text: string, expectBytes: number, client: Client): Promise<number> {
    const probe = this.#probe!;
    const utterance = probe.expectUtterance();
    const started = performance.now();
    const call = client.callTool({ name: 'speak_text', arguments: { text } });
    const first = await utterance.firstAudio;
    const [result, end] = await Promise.all([call, utterance.end]);
    check('mcp', !result.isError && end.frame.type === 'audio.end' && end.bytes === expectBytes, `${JSON.stringify(result.content)}, ${end.bytes} bytes`);
    return first - started;
  }
}

function check(path: string, ok: boolean, detail: string): void {
  if (!ok) throw new Error(`${path}: unexpected answer (${detail})`);
}
