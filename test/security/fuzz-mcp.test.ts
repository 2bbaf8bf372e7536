import fc from 'fast-check';
import type { ApiResponse } from '../../core/http/api.js';
import { rpcMessageOf } from '../support/mcp-wire.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorCode } from '../../core/errors.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { directHandler, drain, FUZZ_TOKENS, OWN_HOST, OWN_ORIGIN, responseProblems, RUNS, settingsPatch, synthesisBody, within } from './fuzz-support.js';

const TOOLS = ['speak_text', 'text_to_speech', 'list_voices', 'list_models', 'get_settings', 'update_settings', 'get_usage', 'stop_speech'] as const;
const weird = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('', '__proto__', 'constructor', 'tools/call ', 'TOOLS/CALL'));
const anything = fc.anything({ maxDepth: 2 });

/** Arguments shaped like each tool's, with every field bent, or not an object at all. */
const toolArguments = (tool: string): fc.Arbitrary<unknown> => {
  const shaped =
    tool === 'speak_text'
      ? fc.tuple(synthesisBody, fc.oneof(fc.boolean(), anything)).map(([body, wait]) => ({ ...body, wait }))
      : tool === 'text_to_speech'
        ? synthesisBody
        : tool === 'list_voices'
          ? fc.record({ search: fc.oneof(weird, anything, fc.string({ minLength: 90, maxLength: 200 })) }, { requiredKeys: [] })
          : tool === 'update_settings'
            ? settingsPatch
            : fc.dictionary(weird, anything, { maxKeys: 2 });
  return fc.oneof({ weight: 6, arbitrary: shaped }, { weight: 1, arbitrary: anything }, { weight: 1, arbitrary: fc.constant(undefined) });
};

const toolCall = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...TOOLS) }, { weight: 1, arbitrary: weird }).chain((name) =>
  toolArguments(name).map((args) => ({ method: 'tools/call', params: { name, ...(args === undefined ? {} : { arguments: args }) } })),
);
const otherCall = fc.record({
  method: fc.oneof(fc.constantFrom('initialize', 'tools/list', 'ping', 'resources/list', 'prompts/list', 'prompts/get', 'completion/complete', 'logging/setLevel', 'notifications/initialized', 'notifications/cancelled'), weird),
  params: fc.oneof(fc.constant(undefined), anything, fc.constant({ protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } })),
});

const message = fc
  .record({
    call: fc.oneof({ weight: 4, arbitrary: toolCall }, { weight: 1, arbitrary: otherCall }),
    id: fc.oneof({ weight: 6, arbitrary: fc.nat() }, { weight: 1, arbitrary: fc.oneof(weird, fc.constant(null), fc.constant(undefined), anything) }),
    jsonrpc: fc.oneof({ weight: 8, arbitrary: fc.constant('2.0') }, { weight: 1, arbitrary: fc.oneof(fc.constant(undefined), fc.constant('1.0'), fc.constant(2)) }),
  })
  .map(({ call, id, jsonrpc }) => ({ ...(jsonrpc === undefined ? {} : { jsonrpc }), ...(id === undefined ? {} : { id }), ...call }));

const body = fc.oneof(
  { weight: 8, arbitrary: message.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.array(message, { minLength: 1, maxLength: 3 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.oneof(fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)), weird) },
);
const accept = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json, text/event-stream') },
  { weight: 1, arbitrary: fc.constantFrom(undefined, 'application/json', 'text/event-stream', '*/*', 'text/html') },
);

/** An event-stream answer read to its end, so it can be checked like a JSON one. */
async function buffered(response: ApiResponse): Promise<ApiResponse> {
  if (response.body.kind !== 'stream') return response;
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.body.value) chunks.push(chunk);
  return { ...response, body: { kind: 'bytes', value: Buffer.concat(chunks) } };
}

type RpcResponse = { jsonrpc?: unknown; id?: unknown; result?: { isError?: boolean; content?: Array<{ type?: string; text?: string }> }; error?: { code?: unknown; message?: unknown } };

/** Problems with one JSON-RPC answer to a generated message. */
function rpcProblems(answer: RpcResponse, secrets: readonly string[]): string[] {
  const problems: string[] = [];
  if (answer.jsonrpc !== '2.0') problems.push(`not JSON-RPC 2.0: ${JSON.stringify(answer).slice(0, 120)}`);
  if (answer.result === undefined && answer.error === undefined) problems.push('neither result nor error');
  if (answer.error !== undefined && (typeof answer.error.code !== 'number' || typeof answer.error.message !== 'string')) problems.push('malformed JSON-RPC error');
  if (answer.result?.isError) {
    const text = answer.result.content?.[0]?.text ?? '';
    const code = /^([a-z_]+): /.exec(text)?.[1];
    const sdkValidation = /^Input validation error: /.test(text);
    if (!sdkValidation && (!isErrorCode(code) || code === 'internal_error')) problems.push(`tool error without a SPEC code: ${text.slice(0, 160)}`);
  }
  const text = JSON.stringify(answer);
  for (const secret of secrets) if (text.includes(secret)) problems.push('the answer contains a secret');
  if (/\n\s+at\s|node:internal/.test(text)) problems.push('the answer contains a stack trace');
  return problems;
}

describe('MCP tool arguments and JSON-RPC messages, generated (createApiHandler)', () => {
  let fake: FakeElevenLabs;
  let harness: ReturnType<typeof directHandler>;
  let secrets: string[];
  const tally = { toolResults: 0, toolErrors: 0, rpcErrors: 0, httpErrors: 0 };

  beforeAll(async () => {
    fake = await startFakeElevenLabs();
    harness = directHandler(fake);
    secrets = [fake.apiKey, FUZZ_TOKENS.alice, FUZZ_TOKENS.bob];
  });
  afterAll(async () => {
    await fake.close();
  });

  it(`answers ${RUNS.mcpDirect} generated calls without a 5xx, a crash or a hang; tool errors carry a SPEC code`, async () => {
    await fc.assert(
      fc.asyncProperty(body, accept, fc.constantFrom(FUZZ_TOKENS.alice, FUZZ_TOKENS.bob), async (text, acceptHeader, token) => {
        const request = {
          method: 'POST',
          path: '/mcp',
          query: new URLSearchParams(),
          headers: { host: OWN_HOST, authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(acceptHeader ? { accept: acceptHeader } : {}) },
          body: text,
          origin: OWN_ORIGIN,
        };
        const response = await within(harness.api(request).then(buffered), 15_000, 'MCP call');
        const copy = { ...response, body: response.body.kind === 'bytes' ? { kind: 'bytes' as const, value: response.body.value.slice() } : response.body };
        const problems = await responseProblems(copy, secrets, '/mcp');
        if (response.status >= 400) tally.httpErrors += 1;
        if (response.status === 200 && response.body.kind === 'bytes') {
          const parsed = rpcMessageOf(response.headers['content-type'], Buffer.from(response.body.value).toString('utf8')) as RpcResponse | RpcResponse[];
          for (const answer of Array.isArray(parsed) ? parsed : [parsed]) {
            problems.push(...rpcProblems(answer, secrets));
            if (answer.error) tally.rpcErrors += 1;
            else if (answer.result?.isError) tally.toolErrors += 1;
            else tally.toolResults += 1;
          }
        } else if (response.status < 300 && response.status !== 202) {
          problems.push(`unexpected ${response.status} ${response.body.kind}: ${JSON.stringify((await drain(response)).json)?.slice(0, 100)}`);
        }
        if (problems.length > 0) throw new Error(`${problems.join('; ')}\nstatus ${response.status}`);
      }),
      { numRuns: RUNS.mcpDirect },
    );
    expect(harness.errors).toEqual([]);
    // The generator reaches the tools, not only the transport's refusals.
    expect(tally.toolResults).toBeGreaterThan(RUNS.mcpDirect / 10);
    expect(tally.toolErrors).toBeGreaterThan(RUNS.mcpDirect / 10);
  });
});
