import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { ROOT } from '../support/process.js';

/** The commands a stage of the Dockerfile runs, joined continuation lines and all. */
function runCommands(stage: string): string[] {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const stages = text.split(/^FROM /m);
  const body = stages.find((part) => new RegExp(`\\bAS ${stage}\\b`).test(part.split('\n')[0] ?? '')) ?? '';
  return body
    .split('\n')
    .filter((line) => line.startsWith('RUN '))
    .map((line) => line.slice(4).trim());
}

describe('the container image tree', () => {
  let app: string;
  let fake: FakeElevenLabs;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/fargate/main.js')) || !existsSync(join(ROOT, 'web/dist/index.html'))) {
      execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    }
    app = mkdtempSync(join(tmpdir(), 'jessica-image-'));
    for (const file of ['package.json', 'package-lock.json', '.npmrc']) cpSync(join(ROOT, file), join(app, file));
    // The deps stage, minus its architecture guard (this machine is not the image's arm64).
    for (const command of runCommands('deps').filter((command) => command.includes('npm '))) {
      const result = spawnSync('sh', ['-c', command], { cwd: app, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`"${command}" failed:\n${result.stderr}`);
    }
    cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'web/dist'), join(app, 'web/dist'), { recursive: true });
    fake = await startFakeElevenLabs();
  }, 240_000);

  afterAll(async () => {
    await fake?.close();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('installs production dependencies only', () => {
    expect(runCommands('deps').some((command) => command.includes('npm ci --omit=dev'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/express'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/typescript'))).toBe(false);
  });

  it('starts the server from that tree and serves health, the page and speech', async () => {
    const child = spawn(process.execPath, ['dist/fargate/main.js'], {
      cwd: app,
      env: {
        PATH: process.env['PATH'],
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: '0',
        ROOT_PATH: '/jessica',
        JESSICA_SETTINGS: 'memory:',
        ELEVENLABS_BASE_URL: fake.url,
        ELEVENLABS_API_KEY: fake.apiKey,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      let url: string | undefined;
      for (let i = 0; i < 200 && !url; i += 1) {
        url = /"url":"(http:[^"]+)"/.exec(output)?.[1];
        if (!url) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(url, output).toBeDefined();
      const base = url!.replace(/\/$/, '');
      expect(await (await fetch(`${base}/health`)).json()).toMatchObject({ status: 'ok', target: 'fargate' });
      expect((await fetch(`${base}/`)).headers.get('content-type')).toMatch(/text\/html/);
      const speech = await fetch(`${base}/api/v1/tts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'From the image.' }) });
      expect(Buffer.from(await speech.arrayBuffer()).equals(fake.sentAudio.at(-1)!.bytes)).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('resolves the adapters loaded only on AWS or with a shared channel', () => {
    const script = "await import('./dist/handlers/aws/index.js'); await import('./dist/fargate/pubsub/index.js'); await import('./dist/handlers/http.js');";
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8', env: { PATH: process.env['PATH'], AWS_REGION: 'us-east-1' } });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
