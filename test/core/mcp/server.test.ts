import { Client, LOG_LEVEL_META_KEY, StreamableHTTPClientTransport, type CallToolResult } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JessicaError } from '../../../core/errors.js';
import type { Jessica } from '../../../core/jessica.js';
import { LiveHub } from '../../../core/live/hub.js';
import { backendFromJessica, type McpBackend } from '../../../core/mcp/backend.js';
import { createMcpHttpHandler } from '../../../core/mcp/http.js';
import { silentLogger } from '../../../core/ports.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../../fake-elevenlabs/index.js';
import { FakeListener, GEORGE_ID, jessicaFor, recordingMetrics } from '../support/fakes.js';

const PAGE_URL = 'http://127.0.0.1:9020/';
const TOOLS = ['speak_text', 'text_to_speech', 'list_voices', 'list_models', 'get_settings', 'update_settings', 'get_usage', 'stop_speech'];

let fake: FakeElevenLabs;
const open: Client[] = [];

beforeAll(async () => {
  fake = await startFakeElevenLabs();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((client) => client.close()));
  fake.reset();
});
afterAll(() => fake.close());

/** The protocol era the current block's clients speak: every tool test runs in both. */
let currentEra: 'legacy' | 'modern' = 'modern';

/**
 * A real MCP client connected to the real server definition through the SDK's HTTP handler,
 * served in process (no socket), in the protocol era under test.
 */
async function connect(backend: McpBackend, principal = 'alice', pageUrl: string | null = PAGE_URL, era: 'legacy' | 'modern' = currentEra): Promise<Client> {
  const handler = createMcpHttpHandler({ backend, version: '9.9.9-test' });
  const caller = { principal, pageUrl: pageUrl ?? undefined };
  const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1:9020/mcp'), {
    fetch: (url, init) => handler(new Request(url, init), caller),
  });
  const client = new Client({ name: 'core-test', version: '1.0.0' }, era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {});
  await client.connect(transport);
  expect(client.getProtocolEra()).toBe(era);
  open.push(client);
  return client;
}

function withHub(): { jessica: Jessica; hub: LiveHub } {
  let hub!: LiveHub;
  const { jessica } = jessicaFor(fake, {}, {
    live: (speech) => (hub = new LiveHub({ audio: (plan, signal) => speech.audio(plan, signal), maxBufferedBytes: 1 << 20, logger: silentLogger, metrics: recordingMetrics() })),
  });
  return { jessica, hub };
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function textOf(result: CallToolResult): string {
  return result.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n');
}

describe.each(['modern', 'legacy'] as const)('MCP tools, %s era', (era) => {
  beforeAll(() => {
    currentEra = era;
  });

  it('lists every tool with an input schema and annotations', async () => {
    const client = await connect(backendFromJessica(jessicaFor(fake).jessica));
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([...TOOLS].sort());
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.annotations).toBeDefined();
      expect(tool.description?.length).toBeGreaterThan(10);
    }
    expect(tools.find((tool) => tool.name === 'speak_text')?.inputSchema.required).toEqual(['text']);
    expect(client.getServerVersion()).toMatchObject({ name: 'jessica', version: '9.9.9-test' });
    expect(client.getInstructions()).toMatch(/speak_text/);
  });

  it('speak_text without a listening page returns the audio inline and the page to open', async () => {
    const { jessica } = withHub();
    const result = await call(await connect(backendFromJessica(jessica)), 'speak_text', { text: 'Hello there, friend.' });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('No Jessica page is listening.');
    expect(textOf(result)).toContain(`Open ${PAGE_URL} to hear Jessica live.`);
    const audio = result.content.find((block) => block.type === 'audio');
    expect(audio).toMatchObject({ type: 'audio', mimeType: 'audio/mpeg' });
    // The latest upstream answer: a stream an earlier test left behind may still land in the fake's log after its reset.
    expect(Buffer.from((audio as { data: string }).data, 'base64').equals(fake.sentAudio.at(-1)!.bytes)).toBe(true);
  });

  it('speak_text without a live path says live playback is off-hours and returns the audio', async () => {
    const result = await call(await connect(backendFromJessica(jessicaFor(fake).jessica), 'alice', null), 'speak_text', { text: 'Hello there, friend.' });
    expect(textOf(result)).toContain('Live playback is off-hours right now.');
    expect(textOf(result)).not.toContain('Open ');
    expect(result.content.some((block) => block.type === 'audio')).toBe(true);
  });

  it('speak_text queues on the caller’s open page and returns at once', async () => {
    const { jessica, hub } = withHub();
    const page = new FakeListener('page');
    hub.attach('alice', page);
    const result = await call(await connect(backendFromJessica(jessica)), 'speak_text', { text: 'Hello there, friend.', voice: 'george' });
    expect(textOf(result)).toMatch(/^Speaking on 1 page\. \(utterance utt_/);
    expect(result.structuredContent).toMatchObject({ listeners: 1, utterance_id: expect.stringMatching(/^utt_/) });
    await hub.idle();
    expect(page.messages('audio.start')[0]).toMatchObject({ voice_id: GEORGE_ID, text: 'Hello there, friend.' });
  });

  it('speak_text with wait reports the playback the page confirmed', async () => {
    const { jessica, hub } = withHub();
    const pages = [new FakeListener('one'), new FakeListener('two')];
    for (const page of pages) {
      hub.attach('alice', page);
      page.onJson = (message) => {
        if (message.type === 'audio.end') hub.played(message.id, 'alice');
      };
    }
    const result = await call(await connect(backendFromJessica(jessica)), 'speak_text', { text: 'Hello there, friend.', wait: true });
    expect(textOf(result)).toMatch(/^Played on 2 pages\./);
    expect(result.structuredContent).toMatchObject({ listeners: 2, played: true });
  });

  it('speak_text with wait says when playback was not confirmed', async () => {
    const { jessica, hub } = withHub();
    hub.attach('alice', new FakeListener('page'));
    const client = await connect(backendFromJessica(jessica, { waitTimeoutMs: 20 }));
    const result = await call(client, 'speak_text', { text: 'Hello there, friend.', wait: true });
    expect(textOf(result)).toMatch(/^Sent to 1 page; playback was not confirmed\./);
    expect(result.structuredContent).toMatchObject({ played: false });
  });

  it('speak_text with wait fails with upstream_error when synthesis fails', async () => {
    const { jessica, hub } = withHub();
    hub.attach('alice', new FakeListener('page'));
    fake.inject({ kind: 'quota_exceeded' });
    const result = await call(await connect(backendFromJessica(jessica)), 'speak_text', { text: 'Hello there, friend.', wait: true });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^upstream_error: /);
  });

  it('speak_text reports errors before queueing with their code', async () => {
    const { jessica, hub } = withHub();
    hub.attach('alice', new FakeListener('page'));
    const result = await call(await connect(backendFromJessica(jessica)), 'speak_text', { text: '   ' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^empty_text: /);
  });

  it('text_to_speech returns an audio block in the requested format', async () => {
    const client = await connect(backendFromJessica(jessicaFor(fake).jessica));
    const result = await call(client, 'text_to_speech', { text: 'Hello there, friend.', voice: 'George', output_format: 'pcm_16000' });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe(`${'Hello there, friend.'.length} characters, voice George, audio/L16;rate=16000;channels=1.`);
    const audio = result.content.find((block) => block.type === 'audio') as { data: string; mimeType: string };
    expect(audio.mimeType).toBe('audio/L16;rate=16000;channels=1');
    expect(Buffer.from(audio.data, 'base64').equals(fake.sentAudio[0]!.bytes)).toBe(true);
    expect(fake.ttsRequests()[0]?.query).toMatchObject({ output_format: 'pcm_16000' });
  });

  it('text_to_speech reports upstream failures as isError results starting with the code', async () => {
    fake.inject({ kind: 'invalid_key' });
    const result = await call(await connect(backendFromJessica(jessicaFor(fake).jessica)), 'text_to_speech', { text: 'Hello there, friend.' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^upstream_auth_failed: ElevenLabs rejected the configured API key\./);
    expect(textOf(result)).not.toContain(fake.apiKey);
  });

  it('list_voices lists and searches voices as text and structured content', async () => {
    const client = await connect(backendFromJessica(jessicaFor(fake).jessica));
    const all = await call(client, 'list_voices');
    const found = await call(client, 'list_voices', { search: 'george' });
    expect((all.structuredContent as { voices: unknown[] }).voices.length).toBeGreaterThan(1);
    expect(found.structuredContent).toEqual({ voices: [expect.objectContaining({ voice_id: GEORGE_ID })] });
    expect(JSON.parse(textOf(found))).toEqual(found.structuredContent);
  });

  it('list_models lists the text-to-speech models', async () => {
    const result = await call(await connect(backendFromJessica(jessicaFor(fake).jessica)), 'list_models');
    const { models } = result.structuredContent as { models: Array<{ model_id: string }> };
    expect(models.map((model) => model.model_id)).toContain('eleven_flash_v2_5');
    expect(models.map((model) => model.model_id)).not.toContain('eleven_multilingual_sts_v2');
  });

  it('get_settings and update_settings act on the caller’s principal', async () => {
    const { jessica } = jessicaFor(fake);
    const alice = await connect(backendFromJessica(jessica), 'alice');
    const bob = await connect(backendFromJessica(jessica), 'bob');
    const updated = await call(alice, 'update_settings', { default_voice_id: 'george', voice_settings: { speed: 1.1 } });
    expect(updated.structuredContent).toMatchObject({ default_voice_id: GEORGE_ID, voice_settings: { speed: 1.1 } });
    expect((await call(alice, 'get_settings')).structuredContent).toEqual(updated.structuredContent);
    expect((await call(bob, 'get_settings')).structuredContent).toMatchObject({ default_voice_id: 'cgSgspJ2msm6clMCkdW9' });
  });

  it('update_settings refuses a voice nobody has with unknown_voice', async () => {
    const result = await call(await connect(backendFromJessica(jessicaFor(fake).jessica)), 'update_settings', { default_voice_id: 'Nobody' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^unknown_voice: /);
  });

  it('update_settings refuses values out of range', async () => {
    const result = await call(await connect(backendFromJessica(jessicaFor(fake).jessica)), 'update_settings', { voice_settings: { stability: 1.5 } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/stability/);
  });

  it('get_usage reports the subscription', async () => {
    fake.setSubscription({ character_count: 10, character_limit: 100 });
    const result = await call(await connect(backendFromJessica(jessicaFor(fake).jessica)), 'get_usage');
    expect(result.structuredContent).toMatchObject({ character_count: 10, character_limit: 100, remaining: 90 });
  });

  it('stop_speech stops the caller’s speech', async () => {
    const { jessica, hub } = withHub();
    const page = new FakeListener('page');
    hub.attach('alice', page);
    const held = fake.hold();
    await jessica.speak('alice', { text: 'Something long to interrupt.' });
    const result = await call(await connect(backendFromJessica(jessica)), 'stop_speech');
    held.release();
    expect(result.structuredContent).toEqual({ stopped: 1 });
    expect(page.messages('stopped')).toHaveLength(1);
  });

  it('stop_speech without a live path is an isError live_channel_unavailable', async () => {
    const result = await call(await connect(backendFromJessica(jessicaFor(fake).jessica)), 'stop_speech');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^live_channel_unavailable: /);
  });

  it('hides unexpected failures behind internal_error', async () => {
    const broken: McpBackend = {
      speak: () => Promise.reject(new Error('database password leaked')),
      textToSpeech: () => Promise.reject(new Error('database password leaked')),
      listVoices: () => Promise.reject(new Error('database password leaked')),
      listModels: () => Promise.reject(new Error('database password leaked')),
      getSettings: () => Promise.reject(new Error('database password leaked')),
      updateSettings: () => Promise.reject(new Error('database password leaked')),
      usage: () => Promise.reject(new Error('database password leaked')),
      stop: () => Promise.reject(new JessicaError('live_channel_unavailable', 'Not now.')),
    };
    const client = await connect(broken);
    for (const name of ['speak_text', 'text_to_speech', 'list_voices', 'list_models', 'get_settings', 'update_settings', 'get_usage']) {
      const result = await call(client, name, name.includes('speak') || name === 'text_to_speech' ? { text: 'Hi' } : {});
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe('internal_error: the tool failed; the server logged why.');
    }
  });
});

describe('MCP 2026-07-28: discovery, hints, progress and logs', () => {
  beforeAll(() => {
    currentEra = 'modern';
  });

  it('answers server/discover with its identity, the capabilities it has and how to use it', async () => {
    const client = await connect(backendFromJessica(jessicaFor(fake).jessica));
    const discover = client.getDiscoverResult();
    expect(discover?.supportedVersions).toContain('2026-07-28');
    expect(discover?.capabilities).toMatchObject({ tools: {}, logging: {} });
    expect(discover?.capabilities).not.toHaveProperty('prompts');
    expect(discover?.capabilities).not.toHaveProperty('resources');
    expect(client.getInstructions()).toMatch(/open/);
    expect(client.getInstructions()).toMatch(/wait/);
    expect(client.getInstructions()).toMatch(/text_to_speech/);
  });

  it('marks the tool list as the same for every caller, fresh for an hour', async () => {
    const handler = createMcpHttpHandler({ backend: backendFromJessica(jessicaFor(fake).jessica), version: '9.9.9-test' });
    const response = await handler(
      new Request('http://127.0.0.1:9020/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/list',
          params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } },
        }),
      }),
      { principal: 'alice', pageUrl: PAGE_URL },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { result: { ttlMs: number; cacheScope: string; tools: unknown[] } };
    expect(body.result).toMatchObject({ ttlMs: 3_600_000, cacheScope: 'public' });
    expect(body.result.tools).toHaveLength(TOOLS.length);
  });

  it('reports progress while text_to_speech receives the audio, when the caller asks for it', async () => {
    fake.configure({ audio: Buffer.alloc(256 * 1024, 0xab), chunkSize: 8 * 1024 });
    const client = await connect(backendFromJessica(jessicaFor(fake).jessica));
    const updates: Array<{ progress: number }> = [];
    const result = (await client.callTool({ name: 'text_to_speech', arguments: { text: 'A long answer.' } }, { onprogress: (update) => updates.push(update) })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(updates.map((update) => update.progress)).toEqual([...updates.map((update) => update.progress)].sort((a, b) => a - b));
    expect(new Set(updates.map((update) => update.progress)).size).toBe(updates.length);
  });

  it('reports speak_text {wait} from queued to played', async () => {
    const { jessica, hub } = withHub();
    const page = new FakeListener('page');
    hub.attach('alice', page);
    page.onJson = (message) => {
      if (message.type === 'audio.end') hub.played(message.id, 'alice');
    };
    const client = await connect(backendFromJessica(jessica));
    const messages: string[] = [];
    const result = (await client.callTool(
      { name: 'speak_text', arguments: { text: 'Tell me when.', wait: true } },
      { onprogress: (update) => messages.push(`${update.progress}/${update.total}`) },
    )) as CallToolResult;
    expect(textOf(result)).toMatch(/^Played on 1 page/);
    expect(messages).toEqual(['1/3', '2/3', '3/3']);
  });

  it('sends log messages only to a request that asked for them', async () => {
    const { jessica } = withHub();
    const quiet = await connect(backendFromJessica(jessica));
    const heardQuiet: unknown[] = [];
    quiet.setNotificationHandler('notifications/message', (notification) => void heardQuiet.push(notification.params));
    await call(quiet, 'speak_text', { text: 'Nobody hears this.' });
    expect(heardQuiet).toEqual([]);

    const curious = await connect(backendFromJessica(jessica));
    const heard: Array<{ level: string; data: unknown }> = [];
    curious.setNotificationHandler('notifications/message', (notification) => void heard.push(notification.params));
    // 2026-07-28 asks per request, in the request's _meta.
    await curious.callTool({ name: 'speak_text', arguments: { text: 'Nobody hears this either.' }, _meta: { [LOG_LEVEL_META_KEY]: 'info' } });
    expect(heard).toEqual([{ level: 'warning', data: expect.stringMatching(/^no_listeners: .*Returning the audio inline\.$/) }]);
  });
});
