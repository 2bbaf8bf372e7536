import type { UpstreamAnswer, UpstreamRequest, UpstreamTransport } from '../ports.js';

/** The web-standard transport: `fetch`, available in every runtime the core runs in. */
export const fetchTransport: UpstreamTransport = async (url: string, request: UpstreamRequest): Promise<UpstreamAnswer> => {
  const response = await fetch(url, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    signal: request.signal,
  });
  const body = response.body ?? emptyBody();
  return {
    status: response.status,
    header: (name) => response.headers.get(name) ?? undefined,
    body: body as unknown as AsyncIterable<Uint8Array>,
  };
};

function emptyBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.close() });
}

/** The whole body as text (a broken or aborted body rejects). */
export async function readText(body: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}
