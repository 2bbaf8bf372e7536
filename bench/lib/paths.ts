import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { performance } from 'node:perf_hooks';
import { DEFAULT_SETTINGS } from '../../core/settings/schema.js';
import { HttpClient, WsProbe } from './clients.js';
import { RawMcpClient, type ToolResult } from './mcp-raw.js';
import { TOKEN, type BenchStack } from './stack.js';

/**
 * The ways to time a first audio byte: the baselines (the fake directly, through a bare
 * proxy, a bare server answering from memory) and the ways through Jessica. The MCP paths come
 * in both protocol eras, each with the SDK client (what assistants run) and as raw JSON-RPC
 * POSTs from the REST paths' own HttpClient (the server's cost without the SDK client's).
 */
export type PathName = 'direct' | 'proxy' | 'memory' | 'stream' | 'ws' | 'mcp' | 'mcpModern' | 'mcpRaw' | 'mcpModernRaw';

export interface Baselines {
  /** A bare pass-through proxy in front of the fake (bench/children/proxy.ts). */
  proxyUrl?: string;
  /** A bare server answering the cached audio from memory (bench/children/memory.ts). */
  memoryUrl?: string;
}

export class SpeechPaths {
  readonly #stack: BenchStack;
  readonly #http = new HttpClient();
  readonly #baselines: Baselines;
  #probe: WsProbe | undefined;
  #mcp: Client | undefined;
  #mcpModern: Client | undefined;
  #mcpRaw: RawMcpClient | undefined;
  #mcpModernRaw: RawMcpClient | undefined;

  constructor(stack: BenchStack, baselines: Baselines = {}) {
    this.#stack = stack;
    this.#baselines = baselines;
  }

  async open(): Promise<void> {
    this.#probe = await WsProbe.connect(this.#stack.wsUrl, TOKEN);
    const url = `${this.#stack.base}/mcp`;
    const transport = () => new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } });
    // The 2025 era (initialize, then one request per call) and 2026-07-28 (stateless, `_meta` on every request).
    this.#mcp = new Client({ name: 'jessica-bench', version: '1.0.0' });
    await this.#mcp.connect(transport());
    this.#mcpModern = new Client({ name: 'jessica-bench', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await this.#mcpModern.connect(transport());
    this.#mcpRaw = new RawMcpClient(this.#http, url, TOKEN, '2025-11-25');
    await this.#mcpRaw.open();
    this.#mcpModernRaw = new RawMcpClient(this.#http, url, TOKEN, '2026-07-28');
    await this.#mcpModernRaw.open();
  }

  async close(): Promise<void> {
    this.#probe?.close();
    await this.#mcp?.close();
    await this.#mcpModern?.close();
    await this.#mcpRaw?.close().catch(() => undefined);
    await this.#mcpModernRaw?.close().catch(() => undefined);
    this.#http.close();
  }

  /** Milliseconds to the first audio byte of `text` along `path`; throws unless every byte arrived. */
  run(path: PathName, text: string, expectBytes: number): Promise<number> {
    switch (path) {
      case 'direct':
        return this.direct(text, expectBytes);
      case 'proxy':
        return this.direct(text, expectBytes, this.#baseline('proxyUrl'));
      case 'memory':
        return this.memory(text, expectBytes);
      case 'stream':
        return this.stream(text, expectBytes);
      case 'ws':
        return this.ws(text, expectBytes);
      case 'mcp':
        return this.mcp(text, expectBytes, this.#mcp!);
      case 'mcpModern':
        return this.mcp(text, expectBytes, this.#mcpModern!);
      case 'mcpRaw':
        return this.mcpRaw(text, expectBytes, this.#mcpRaw!);
      case 'mcpModernRaw':
        return this.mcpRaw(text, expectBytes, this.#mcpModernRaw!);
    }
  }

  /** Response headers and body of one `POST /tts/stream` (for a baseline that answers the same). */
  async streamAnswer(text: string): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const result = await this.#http.send(`${this.#stack.base}/api/v1/tts/stream`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ text }),
      keepBody: true,
    });
    check('stream', result.status === 200 && result.body !== undefined, `${result.status}, ${result.bytes} bytes`);
    return { headers: result.headers, body: result.body! };
  }

  #baseline(name: keyof Baselines): string {
    const url = this.#baselines[name];
    if (url === undefined) throw new Error(`no ${name} given to SpeechPaths`);
    return url;
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

  /** The bare in-memory server, asked exactly as `stream` asks Jessica (same path, token and body). */
  async memory(text: string, expectBytes: number): Promise<number> {
    const result = await this.#http.send(`${this.#baseline('memoryUrl')}/api/v1/tts/stream`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ text }),
    });
    check('memory', result.status === 200 && result.bytes === expectBytes, `${result.status}, ${result.bytes} bytes`);
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
    // A call that fails or answers with a tool error fails the sample at once, not after the probe's timeout.
    const first = await Promise.race([
      utterance.firstAudio,
      call.then((result) => {
        check('mcp', !result.isError, JSON.stringify(result.content));
        return utterance.firstAudio;
      }),
    ]);
    const [result, end] = await Promise.all([call, utterance.end]);
    check('mcp', !result.isError && end.frame.type === 'audio.end' && end.bytes === expectBytes, `${JSON.stringify(result.content)}, ${end.bytes} bytes`);
    return first - started;
  }

  /** MCP `speak_text` as one raw JSON-RPC POST (bench/lib/mcp-raw.ts), timed to the first binary frame at the listener. */
  async mcpRaw(text: string, expectBytes: number, client: RawMcpClient): Promise<number> {
    const probe = this.#probe!;
    const utterance = probe.expectUtterance();
    const started = performance.now();
    const call: Promise<ToolResult> = client.callTool('speak_text', { text });
    // A call that fails or answers with a tool error fails the sample at once, not after the probe's timeout.
    const first = await Promise.race([
      utterance.firstAudio,
      call.then((result) => {
        check(`mcp ${client.era} raw`, !result.isError, JSON.stringify(result.content));
        return utterance.firstAudio;
      }),
    ]);
    const [result, end] = await Promise.all([call, utterance.end]);
    check(`mcp ${client.era} raw`, !result.isError && end.frame.type === 'audio.end' && end.bytes === expectBytes, `${JSON.stringify(result.content)}, ${end.bytes} bytes`);
    return first - started;
  }
}

function check(path: string, ok: boolean, detail: string): void {
  if (!ok) throw new Error(`${path}: unexpected answer (${detail})`);
}
