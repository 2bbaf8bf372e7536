import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/process.js';
import { startStack, type Stack } from '../support/stack.js';

/** The MCP Inspector v2 command line (`@modelcontextprotocol/inspector`), which needs Node 22 (scripts/node22.sh). */
const NODE_22 = 'node_modules/node/bin/node';
const INSPECTOR = 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js';
const available = existsSync(NODE_22) && existsSync(INSPECTOR);

async function inspector(args: string[], home: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Its own HOME: the Inspector keeps a catalog there, and the user's must stay untouched.
    const child = spawn(NODE_22, [INSPECTOR, '--cli', ...args], { cwd: ROOT, env: { PATH: process.env['PATH'], HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const resultOf = (stdout: string) => (JSON.parse(stdout) as { result: Record<string, unknown> }).result;
const TOOLS = ['get_settings', 'get_usage', 'list_models', 'list_voices', 'speak_text', 'stop_speech', 'text_to_speech', 'update_settings'];

describe.skipIf(!available)('the MCP Inspector v2 command line against Jessica', () => {
  let stack: Stack;
  let home: string;
  beforeAll(async () => {
    stack = await startStack();
    home = mkdtempSync(join(tmpdir(), 'jessica-inspector-'));
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(home, { recursive: true, force: true });
  });

  for (const era of ['modern', 'auto', 'legacy'] as const) {
    it(`lists the tools and gets the audio back from speak_text with no page open, over HTTP (${era} era)`, { timeout: 60_000 }, async () => {
      const listed = await inspector([stack.url('/mcp'), '--protocol-era', era, '--method', 'tools/list', '--format', 'json'], home);
      expect(listed.code, listed.stderr).toBe(0);
      expect((resultOf(listed.stdout)['tools'] as Array<{ name: string }>).map((tool) => tool.name).sort()).toEqual(TOOLS);
      const spoken = await inspector([stack.url('/mcp'), '--protocol-era', era, '--method', 'tools/call', '--tool-name', 'speak_text', '--tool-arg', 'text=Nobody is listening.', '--format', 'json'], home);
      expect(spoken.code, spoken.stderr).toBe(0);
      const audio = (resultOf(spoken.stdout)['content'] as Array<{ type: string; data?: string }>).find((block) => block.type === 'audio');
      expect(Buffer.from(audio!.data!, 'base64').equals(stack.fake.sentAudio.at(-1)!.bytes)).toBe(true);
    });
  }

  it('lists the tools and gets text_to_speech audio over stdio in the modern era', { timeout: 60_000 }, async () => {
    const command = ['--protocol-era', 'modern', '-e', `JESSICA_URL=${stack.server.url}`, '--format', 'json'];
    const target = ['--', process.execPath, '--import', 'tsx', 'fargate/cli.ts', 'mcp'];
    const listed = await inspector([...command, '--method', 'tools/list', ...target], home);
    expect(listed.code, listed.stderr).toBe(0);
    expect((resultOf(listed.stdout)['tools'] as unknown[]).length).toBe(TOOLS.length);
    const spoken = await inspector([...command, '--method', 'tools/call', '--tool-name', 'text_to_speech', '--tool-arg', 'text=Over stdio.', ...target], home);
    expect(spoken.code, spoken.stderr).toBe(0);
    const audio = (resultOf(spoken.stdout)['content'] as Array<{ type: string; data?: string }>).find((block) => block.type === 'audio');
    expect(Buffer.from(audio!.data!, 'base64').equals(stack.fake.sentAudio.at(-1)!.bytes)).toBe(true);
  });

  it('serves ten callers repeating a cached phrase with no errors, spending nothing upstream', { timeout: 60_000 }, async () => {
    const args = [stack.url('/mcp'), '--protocol-era', 'modern', '--method', 'tools/call', '--tool-name', 'speak_text', '--tool-arg', 'text=Done!'];
    expect((await inspector([...args, '--format', 'json'], home)).code).toBe(0);
    const before = stack.fake.ttsRequests().length;
    const load = await inspector([...args, '--load', '--load-concurrency', '10', '--load-duration', '3', '--format', 'json'], home);
    expect(load.code, load.stderr).toBe(0);
    const summary = resultOf(load.stdout) as { requests: number; ok: number; errors: number; toolErrors: number };
    expect(summary.requests).toBeGreaterThan(10);
    expect(summary).toMatchObject({ ok: summary.requests, errors: 0, toolErrors: 0 });
    expect(stack.fake.ttsRequests().length).toBe(before);
  });
});

if (!available) {
  describe('MCP Inspector', () => {
    it.skip('needs Node 22 from the node package (bash scripts/node22.sh) and @modelcontextprotocol/inspector; run npm ci first', () => undefined);
  });
}
