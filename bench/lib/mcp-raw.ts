import type { HttpClient, Timed } from './clients.js';

/**
 * MCP over Streamable HTTP without the SDK client: each call is one plain POST of a
 * `tools/call` JSON-RPC body, from the same HttpClient the REST paths use. Timed next to the SDK
 * client, it separates what the server spends on an MCP call from what the SDK's client side
 * (schema parsing, JSON-RPC bookkeeping, its own `fetch`) adds in the measuring process.
 *
 * The headers and `_meta` are the ones `@modelcontextprotocol/client` 2.4 sends in each era:
 * - 2025-11-25: `initialize`, then `notifications/initialized`, then requests carrying
 *   `mcp-protocol-version` (and `mcp-session-id` when the server issues one; Jessica's stateless
 *   server does not).
 * - 2026-07-28: no handshake; every request carries `mcp-protocol-version`, `mcp-method` and
 *   `mcp-name` headers and the protocol version, client info and capabilities in `params._meta`.
 */

export type McpEra = '2025-11-25' | '2026-07-28';

const CLIENT_INFO = { name: 'jessica-bench', version: '1.0.0' } as const;

export interface ToolResult {
  isError?: boolean;
  content?: unknown;
  [key: string]: unknown;
}

interface JsonRpcReply {
  id?: number | string | null;
  result?: unknown;
  error?: { code: number; message: string };
}

export class RawMcpClient {
  readonly era: McpEra;
  readonly #http: HttpClient;
  readonly #url: string;
  readonly #token: string;
  #sessionId: string | undefined;
  #nextId = 1;

  constructor(http: HttpClient, url: string, token: string, era: McpEra) {
    this.#http = http;
    this.#url = url;
    this.#token = token;
    this.era = era;
  }

  /** The era's opening: the 2025 handshake, or a `server/discover` that proves the server speaks 2026-07-28. */
  async open(): Promise<void> {
    if (this.era === '2025-11-25') {
      const answer = await this.#post(
        { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: this.era, capabilities: {}, clientInfo: CLIENT_INFO } },
        {},
      );
      const session = answer.headers['mcp-session-id'];
      if (typeof session === 'string') this.#sessionId = session;
      const result = replyOf(answer, 0) as { protocolVersion?: string };
      if (result.protocolVersion !== this.era) throw new Error(`mcp ${this.era}: the server answered initialize with ${String(result.protocolVersion)}`);
      const initialized = await this.#post({ jsonrpc: '2.0', method: 'notifications/initialized' }, this.#eraHeaders());
      if (initialized.status !== 202) throw new Error(`mcp ${this.era}: notifications/initialized answered ${initialized.status}`);
    } else {
      const answer = await this.#post(
        { jsonrpc: '2.0', id: 0, method: 'server/discover', params: { _meta: this.#meta() } },
        { ...this.#eraHeaders(), 'mcp-method': 'server/discover' },
      );
      const result = replyOf(answer, 0) as { supportedVersions?: string[] };
      if (!result.supportedVersions?.includes(this.era)) throw new Error(`mcp ${this.era}: not among the server's versions (${JSON.stringify(result.supportedVersions)})`);
    }
  }

  /** One `tools/call`; resolves with the tool's result once the whole response has arrived. */
  async callTool(name: string, args: Record<string, unknown>): Promise<ToolResult> {
    const id = this.#nextId++;
    const modern = this.era === '2026-07-28';
    const params = modern ? { name, arguments: args, _meta: this.#meta() } : { name, arguments: args };
    const headers = modern ? { ...this.#eraHeaders(), 'mcp-method': 'tools/call', 'mcp-name': name } : this.#eraHeaders();
    const answer = await this.#post({ jsonrpc: '2.0', id, method: 'tools/call', params }, headers);
    return replyOf(answer, id) as ToolResult;
  }

  /** Ends a 2025 session the server issued; a stateless server has nothing to end. */
  async close(): Promise<void> {
    if (this.#sessionId === undefined) return;
    await this.#http.send(this.#url, { method: 'DELETE', headers: { authorization: `Bearer ${this.#token}`, ...this.#eraHeaders() } });
    this.#sessionId = undefined;
  }

  #eraHeaders(): Record<string, string> {
    return { 'mcp-protocol-version': this.era, ...(this.#sessionId === undefined ? {} : { 'mcp-session-id': this.#sessionId }) };
  }

  #meta(): Record<string, unknown> {
    return {
      'io.modelcontextprotocol/protocolVersion': this.era,
      'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
      'io.modelcontextprotocol/clientCapabilities': {},
    };
  }

  #post(message: unknown, headers: Record<string, string>): Promise<Timed> {
    return this.#http.send(this.#url, {
      headers: { authorization: `Bearer ${this.#token}`, accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(message),
      keepBody: true,
    });
  }
}

/**
 * The JSON-RPC result for `id`, from a JSON body or from the `data:` lines of an SSE body (the
 * 2025-era server answers a POST as a short event stream). Throws on an error reply.
 */
function replyOf(answer: Timed, id: number): unknown {
  if (answer.status !== 200) throw new Error(`mcp: HTTP ${answer.status}: ${answer.body?.toString('utf8').slice(0, 300) ?? ''}`);
  const text = answer.body?.toString('utf8') ?? '';
  const contentType = String(answer.headers['content-type'] ?? '');
  const replies: JsonRpcReply[] = contentType.startsWith('text/event-stream')
    ? text
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => JSON.parse(line.slice('data:'.length)) as JsonRpcReply)
    : [JSON.parse(text) as JsonRpcReply];
  const reply = replies.find((candidate) => candidate.id === id);
  if (!reply) throw new Error(`mcp: no reply to request ${id} in ${text.slice(0, 300)}`);
  if (reply.error) throw new Error(`mcp: error ${reply.error.code}: ${reply.error.message}`);
  return reply.result;
}
