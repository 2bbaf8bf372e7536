import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestListener, wsUrl } from '../support/listener.js';
import { ROOT, spawnTs } from '../support/process.js';
import { startStack, type Stack } from '../support/stack.js';

const TOKEN = 'cli-token-5f0e2a11';
type ToolContent = Array<{ type: string; text?: string; data?: string }>;

function stdioClient(env: Record<string, string>): { client: Client; transport: StdioClientTransport } {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'fargate/cli.ts', 'mcp'],
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stderr: 'pipe',
  });
  return { client: new Client({ name: 'stdio-test', version: '1.0.0' }), transport };
}

describe('jessica CLI', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ JESSICA_TOKENS: `me:${TOKEN}` });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('mcp: serves the tools over stdio and forwards speak_text to the running server', async () => {
    const listener = await TestListener.connect(wsUrl(stack.server.url, '/ws'), { token: TOKEN });
    const { client, transport } = stdioClient({ JESSICA_URL: stack.server.url, JESSICA_TOKEN: TOKEN });
    await client.connect(transport);
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

  it('say: reads the text from stdin and exits 0 when no page is listening', async () => {
    while ((await stack.server.hub.listenerCount('me')) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const say = spawnTs('fargate/cli.ts', ['say', '--url', stack.server.url], { JESSICA_TOKEN: TOKEN });
    say.child.stdin!.end('Nobody hears this.');
    expect((await say.exited).code).toBe(0);
    expect(say.output()).toMatch(/No page is listening/);
  });

  it('say: exits 1 with the error code when the token is wrong', async () => {
    const say = spawnTs('fargate/cli.ts', ['say', '--url', stack.server.url, '--token', 'wrong-token-zzz', 'hi'], {});
    expect((await say.exited).code).toBe(1);
    expect(say.output()).toMatch(/unauthorized/);
    expect(say.output()).not.toContain('wrong-token-zzz');
  });
});
