import type { Frame, TestListener } from '../support/listener.js';
import { rpcMessageOfResponse } from '../support/mcp-wire.js';
import type { Stack } from '../support/stack.js';

/** What one synthesis attempt came to, whichever path (REST, WebSocket, MCP) carried it. */
export type Outcome =
  | { ok: true; bytes: Buffer }
  | { ok: false; status: number | undefined; code: string; retryAfter?: string | null; aborted?: boolean };

export type ToolContent = Array<{ type: string; text?: string; data?: string; mimeType?: string }>;

export interface ToolCall {
  status: number;
  isError: boolean;
  content: ToolContent;
  /** The SPEC code an isError result starts with (`code: message`). */
  code: string | undefined;
}

/** One stateless MCP `tools/call` over Streamable HTTP, as any MCP client would send it. */
export async function callTool(stack: Stack, name: string, args: unknown, token?: string): Promise<ToolCall> {
  const response = await stack.request('/mcp', {
    method: 'POST',
    ...(token ? { token } : {}),
    headers: { accept: 'application/json, text/event-stream' },
    body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } },
  });
  const body = (await rpcMessageOfResponse(response)) as { result?: { isError?: boolean; content?: ToolContent } };
  const content = body.result?.content ?? [];
  const isError = body.result?.isError === true;
  const code = isError ? /^([a-z_]+): /.exec(content[0]?.text ?? '')?.[1] : undefined;
  return { status: response.status, isError, content, code };
}

export async function errorCodeOf(response: Response): Promise<string> {
  const body = (await response.json()) as { error?: { code?: string } };
  return body.error?.code ?? '<no error body>';
}

/** POST /tts: the whole utterance or an error. */
export async function viaRestTts(stack: Stack, text: string, token?: string): Promise<Outcome> {
  const response = await stack.request('/api/v1/tts', { body: { text }, ...(token ? { token } : {}) });
  if (response.status === 200) return { ok: true, bytes: Buffer.from(await response.arrayBuffer()) };
  const retryAfter = response.headers.get('retry-after');
  return { ok: false, status: response.status, code: await errorCodeOf(response), retryAfter };
}

/** POST /tts/stream: a 200 whose body breaks off reads as `aborted`. */
export async function viaRestStream(stack: Stack, text: string, token?: string): Promise<Outcome> {
  const response = await stack.request('/api/v1/tts/stream', { body: { text }, ...(token ? { token } : {}) });
  if (response.status !== 200) {
    const retryAfter = response.headers.get('retry-after');
    return { ok: false, status: response.status, code: await errorCodeOf(response), retryAfter };
  }
  try {
    return { ok: true, bytes: Buffer.from(await response.arrayBuffer()) };
  } catch {
    return { ok: false, status: 200, code: 'stream_aborted', aborted: true };
  }
}

/** A `speak` frame on the listener's own connection: audio.end, audio.error or error. */
export async function viaWebSocket(listener: TestListener, text: string, timeoutMs = 15_000): Promise<Outcome> {
  const from = listener.frames.length;
  listener.send({ type: 'speak', text });
  const frame = await nextFrame(listener, from, (value) => ['audio.end', 'audio.error', 'error'].includes(value.type), timeoutMs);
  if (frame['type'] === 'audio.end') return { ok: true, bytes: listener.audioOf(String(frame['id'])) };
  return { ok: false, status: undefined, code: String(frame['code']) };
}

/** MCP text_to_speech: an audio block or an isError result. */
export async function viaMcp(stack: Stack, text: string, token?: string): Promise<Outcome> {
  const result = await callTool(stack, 'text_to_speech', { text }, token);
  if (result.isError) return { ok: false, status: result.status, code: result.code ?? '<no code>' };
  const audio = result.content.find((block) => block.type === 'audio');
  return { ok: true, bytes: Buffer.from(audio?.data ?? '', 'base64') };
}

/** The first JSON frame at or after index `from` that matches; wakes on every frame rather than polling. */
export function nextFrame(
  listener: TestListener,
  from: number,
  matches: (value: Extract<Frame, { kind: 'json' }>['value']) => boolean,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let scanned = from;
    const check = () => {
      for (; scanned < listener.frames.length; scanned += 1) {
        const frame = listener.frames[scanned];
        if (frame?.kind === 'json' && matches(frame.value)) {
          done();
          resolve(frame.value);
          return;
        }
      }
      if (listener.closed) {
        done();
        reject(new Error(`listener closed (${listener.closed.code}) while waiting`));
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no matching frame within ${timeoutMs} ms`));
    }, timeoutMs);
    // The listener's own handlers were attached first, so its frames are recorded by the time these run.
    const done = () => {
      clearTimeout(timer);
      listener.ws.off('message', onEvent);
      listener.ws.off('close', onEvent);
    };
    const onEvent = () => queueMicrotask(check);
    listener.ws.on('message', onEvent);
    listener.ws.on('close', onEvent);
    check();
  });
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds or the time is up. */
export async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(10);
  }
}
