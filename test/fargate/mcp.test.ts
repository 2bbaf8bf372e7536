import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestListener, wsUrl } from '../support/listener.js';
import { startStack, type Stack } from '../support/stack.js';

const TOKEN = 'mcp-user-token-42';

type Era = 'modern' | 'legacy';

async function connect(stack: Stack, token: string | undefined, era: Era): Promise<Client> {
  // modern: 2026-07-28 or nothing; legacy: the 2025 initialize handshake, as older clients send it.
  const client = new Client({ name: 'jessica-test', version: '1.0.0' }, era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {});
  const transport = new StreamableHTTPClientTransport(new URL(stack.url('/mcp')), {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
  });
  await client.connect(transport);
  return client;
}

type ToolContent = Array<{ type: string; text?: string; data?: string; mimeType?: string }>;

describe.each(['modern', 'legacy'] as const)('MCP over Streamable HTTP, %s era', (era) => {
  let stack: Stack;
  let client: Client;

  beforeAll(async () => {
    stack = await startStack({ JESSICA_TOKENS: `dev:${TOKEN}`, ROOT_PATH: '/jessica' });
    client = await connect(stack, TOKEN, era);
    expect(client.getProtocolEra()).toBe(era);
  });
  afterAll(async () => {
    await client.close();
    await stack.close();
  });

  it('lists every tool of the SPEC with annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(
      ['get_settings', 'get_usage', 'list_models', 'list_voices', 'speak_text', 'stop_speech', 'text_to_speech', 'update_settings'].sort(),
    );
    const speak = tools.find((tool) => tool.name === 'speak_text')!;
    expect(speak.inputSchema.required).toEqual(['text']);
    expect(speak.annotations?.readOnlyHint).toBe(false);
  });

  it('speak_text streams to a connected WebSocket listener of the same principal', async () => {
    const listener = await TestListener.connect(wsUrl(stack.server.url, '/jessica/ws'), { token: TOKEN });
    const result = await client.callTool({ name: 'speak_text', arguments: { text: 'Tests are green.' } });
    expect(result.isError).toBeFalsy();
    expect((result.content as ToolContent)[0]?.text).toMatch(/^Speaking on 1 page/);
    const start = await listener.next('audio.start');
    expect(start['text']).toBe('Tests are green.');
    await listener.next('audio.end');
    listener.close();
  });

  it('speak_text with wait returns once the page reports it played', async () => {
    const listener = await TestListener.connect(wsUrl(stack.server.url, '/jessica/ws'), { token: TOKEN });
    const call = client.callTool({ name: 'speak_text', arguments: { text: 'Wait for me.', wait: true } });
    const end = await listener.next('audio.end');
    listener.send({ type: 'played', id: end['id'] });
    const result = await call;
    expect((result.content as ToolContent)[0]?.text).toMatch(/^Played on 1 page/);
    listener.close();
  });

  it('speak_text with no listener returns the audio inline and the page URL', async () => {
    while ((await stack.server.hub.listenerCount('dev')) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    stack.fake.reset();
    const result = await client.callTool({ name: 'speak_text', arguments: { text: 'Nobody is listening.' } });
    const content = result.content as ToolContent;
    expect(content[0]?.text).toContain('No Jessica page is listening');
    expect(content[0]?.text).toContain('/jessica/');
    expect(content[1]).toMatchObject({ type: 'audio', mimeType: 'audio/mpeg' });
    expect(Buffer.from(content[1]!.data!, 'base64').equals(stack.fake.sentAudio.at(-1)!.bytes)).toBe(true);
  });

  it('text_to_speech returns an audio content block', async () => {
    const result = await client.callTool({ name: 'text_to_speech', arguments: { text: 'Hello.', voice: 'Sarah' } });
    const content = result.content as ToolContent;
    expect(content[1]).toMatchObject({ type: 'audio', mimeType: 'audio/mpeg' });
    expect(stack.fake.ttsRequests().at(-1)?.path).toContain('EXAVITQu4vr4xnSDxMaL');
  });

  it('lists voices, models, usage and settings, and updates settings', async () => {
    const voices = await client.callTool({ name: 'list_voices', arguments: { search: 'british' } });
    expect((voices.structuredContent as { voices: Array<{ name: string }> }).voices.length).toBeGreaterThan(0);
    const models = await client.callTool({ name: 'list_models', arguments: {} });
    expect((models.structuredContent as { models: Array<{ model_id: string }> }).models.map((model) => model.model_id)).toContain('eleven_flash_v2_5');
    const usage = await client.callTool({ name: 'get_usage', arguments: {} });
    expect(usage.structuredContent).toMatchObject({ character_limit: expect.any(Number), remaining: expect.any(Number) });
    const updated = await client.callTool({ name: 'update_settings', arguments: { default_voice_id: 'george', voice_settings: { speed: 1.1 } } });
    expect(updated.structuredContent).toMatchObject({ default_voice_id: 'JBFqnCBsd6RMkjVDRZzb' });
    // Only what was set: the rest stays the voice's own.
    expect((updated.structuredContent as { voice_settings: unknown }).voice_settings).toEqual({ speed: 1.1 });
    const settings = await client.callTool({ name: 'get_settings', arguments: {} });
    expect(settings.structuredContent).toMatchObject({ default_voice_id: 'JBFqnCBsd6RMkjVDRZzb' });
    const stopped = await client.callTool({ name: 'stop_speech', arguments: {} });
    expect(stopped.structuredContent).toEqual({ stopped: 0 });
  });

  it('reports tool errors as isError results carrying the SPEC code', async () => {
    const result = await client.callTool({ name: 'text_to_speech', arguments: { text: 'hi', voice: 'No Such Voice' } });
    expect(result.isError).toBe(true);
    expect((result.content as ToolContent)[0]?.text).toMatch(/^unknown_voice: /);
    stack.fake.inject({ kind: 'invalid_key' }, { times: 1 });
    const upstream = await client.callTool({ name: 'text_to_speech', arguments: { text: 'hi again' } });
    expect((upstream.content as ToolContent)[0]?.text).toMatch(/^upstream_auth_failed: /);
  });

  it('refuses unauthenticated MCP calls with 401', async () => {
    const response = await fetch(stack.url('/mcp'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
    await expect(connect(stack, 'not-the-token-xyz', era)).rejects.toThrow();
  });
});
