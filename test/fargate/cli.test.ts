import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestListener, wsUrl } from '../support/listener.js';
import { ROOT, spawnTs } from '../support/process.js';
import { startStack, type Stack } from '../support/stack.js';

const TOKEN = 'cli-token-5f0e2a11';

/** The address of a port that was free a moment ago: nothing answers there. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
type ToolContent = Array<{ type: string; text?: string; data?: string }>;

function stdioClient(env: Record<string, string>, era: 'legacy' | 'modern' = 'legacy'): { client: Client; transport: StdioClientTransport } {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'fargate/cli.ts', 'mcp'],
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stderr: 'pipe',
  });
  const options = era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {};
  return { client: new Client({ name: 'stdio-test', version: '1.0.0' }, options), transport };
}

describe('jessica CLI', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ JESSICA_TOKENS: `me:${TOKEN}` });
  });
  afterAll(async () => {
    await stack.close();
  });

  it.each(['legacy', 'modern'] as const)('mcp: serves the tools over stdio (%s era) and forwards speak_text to the running server', async (era) => {
    const listener = await TestListener.connect(wsUrl(stack.server.url, '/ws'), { token: TOKEN });
    const { client, transport } = stdioClient({ JESSICA_URL: stack.server.url, JESSICA_TOKEN: TOKEN }, era);
    await client.connect(transport);
    expect(client.getProtocolEra()).toBe(era);
    try {
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(8);
      const result = await client.callTool({ name: 'speak_text', arguments: { text: 'From Claude Desktop.' } });
      expect((result.content as ToolContent)[0]?.text).toMatch(/^Speaking on 1 page/);
      expect((await listener.next('audio.start'))['text']).toBe('From Claude Desktop.');
      const voices = await client.callTool({ name: 'list_voices', arguments: {} });
      expect((voices.structuredContent as { voices: unknown[] }).voices.length).toBeGreaterThan(3);
    } finally {
      await client.close();
      listener.close();
    }
  });

  it('mcp: with no server running, answers text_to_speech inline from its own key', async () => {
    const { client, transport } = stdioClient({
      JESSICA_URL: 'http://127.0.0.1:9',
      ELEVENLABS_API_KEY: stack.fake.apiKey,
      ELEVENLABS_BASE_URL: stack.fake.url,
    });
    await client.connect(transport);
    try {
      const result = await client.callTool({ name: 'speak_text', arguments: { text: 'Offline but audible.' } });
      const content = result.content as ToolContent;
      expect(result.isError).toBeFalsy();
      expect(content[1]?.type).toBe('audio');
      expect(Buffer.from(content[1]!.data!, 'base64').equals(stack.fake.sentAudio.at(-1)!.bytes)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('say: speaks through the running server', async () => {
    const listener = await TestListener.connect(wsUrl(stack.server.url, '/ws'), { token: TOKEN });
    const say = spawnTs('fargate/cli.ts', ['say', '--url', stack.server.url, 'Task', 'complete.'], { JESSICA_TOKEN: TOKEN });
    expect((await say.exited).code).toBe(0);
    expect(say.output()).toMatch(/speaking on 1 page/);
    expect((await listener.next('audio.start'))['text']).toBe('Task complete.');
    listener.close();
    await listener.waitClosed();
  });

  it('say: reads the text from stdin; no page listening is exit 4 with one line, and silent exit 0 with --quiet', async () => {
    while ((await stack.server.hub.listenerCount('me')) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const say = spawnTs('fargate/cli.ts', ['say', '--url', stack.server.url], { JESSICA_TOKEN: TOKEN });
    say.child.stdin!.end('Nobody hears this.');
    expect((await say.exited).code).toBe(4);
    expect(say.output().trim().split('\n')).toEqual([expect.stringMatching(/^jessica say: no_listeners: No page is listening/)]);

    const quiet = spawnTs('fargate/cli.ts', ['say', '--quiet', '--url', stack.server.url, 'Nobody hears this either.'], { JESSICA_TOKEN: TOKEN });
    expect((await quiet.exited).code).toBe(0);
    expect(quiet.output()).toBe('');
  });

  it('say: no server is exit 3 with one line naming the fix, and silent exit 0 with --quiet', async () => {
    const closed = await closedPortUrl();
    const say = spawnTs('fargate/cli.ts', ['say', '--url', closed, 'Hello?'], {});
    expect((await say.exited).code).toBe(3);
    expect(say.output().trim().split('\n')).toEqual([expect.stringMatching(/^jessica say: live_channel_unavailable: .*jessica serve/)]);

    const quiet = spawnTs('fargate/cli.ts', ['say', '--quiet', '--url', closed, 'Hello?'], {});
    expect((await quiet.exited).code).toBe(0);
    expect(quiet.output()).toBe('');
  });

  it('say --quiet: a refused request (unknown voice) prints nothing and exits 0; without --quiet it exits 1', async () => {
    const listener = await TestListener.connect(wsUrl(stack.server.url, '/ws'), { token: TOKEN });
    try {
      const quiet = spawnTs('fargate/cli.ts', ['say', '--quiet', '--url', stack.server.url, '--voice', 'no-such-voice-zz', 'hi'], { JESSICA_TOKEN: TOKEN });
      expect((await quiet.exited).code).toBe(0);
      expect(quiet.output()).toBe('');
      const loud = spawnTs('fargate/cli.ts', ['say', '--url', stack.server.url, '--voice', 'no-such-voice-zz', 'hi'], { JESSICA_TOKEN: TOKEN });
      expect((await loud.exited).code).toBe(1);
      expect(loud.output()).toMatch(/^jessica say: unknown_voice: /);
    } finally {
      listener.close();
      await listener.waitClosed();
    }
  });

  it('say: exits 1 with the error code when the token is wrong', async () => {
    const say = spawnTs('fargate/cli.ts', ['say', '--url', stack.server.url, '--token', 'wrong-token-zzz', 'hi'], {});
    expect((await say.exited).code).toBe(1);
    expect(say.output()).toMatch(/unauthorized/);
    expect(say.output()).not.toContain('wrong-token-zzz');
  });
});
