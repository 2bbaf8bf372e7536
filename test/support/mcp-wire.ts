/**
 * The JSON-RPC message of a Streamable HTTP answer, whichever form the server chose: one JSON
 * body, or an SSE stream whose last `message` event carries the response (progress and log
 * notifications may come before it).
 */
export function rpcMessageOf(contentType: string | null | undefined, text: string): Record<string, unknown> {
  if (!contentType?.startsWith('text/event-stream')) return JSON.parse(text) as Record<string, unknown>;
  const messages = text
    .split(/\r?\n\r?\n/)
    .map((event) => event.split(/\r?\n/).filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n'))
    .filter((data) => data !== '')
    .map((data) => JSON.parse(data) as Record<string, unknown>);
  const response = messages.findLast((message) => 'result' in message || 'error' in message);
  if (!response) throw new Error(`no JSON-RPC response in the event stream: ${text.slice(0, 200)}`);
  return response;
}

export async function rpcMessageOfResponse(response: Response): Promise<Record<string, unknown>> {
  return rpcMessageOf(response.headers.get('content-type'), await response.text());
}
