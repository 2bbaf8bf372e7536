import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { doctor } from '../../fargate/doctor.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { TestListener, wsUrl } from '../support/listener.js';
import { startStack, type Stack } from '../support/stack.js';

const WRONG_KEY = 'sk_wrong_doctor_key_7c1d93';

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('jessica doctor', () => {
  let home: string;
  beforeEach(() => {
    // A home of its own: the doctor reads ~/.config/jessica/env, never the real user's.
    home = mkdtempSync(join(tmpdir(), 'jessica-doctor-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  async function run(env: Record<string, string>, url: string) {
    let output = '';
    const code = await doctor({ env: { HOME: home, JESSICA_SETTINGS: 'memory:', ...env }, url, out: (text) => (output += text) });
    return { code, output };
  }

  describe('against a working server', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(async () => {
      await stack.close();
    });

    it('passes when a page listens, and the page hears the test sentence', async () => {
      const listener = await TestListener.connect(wsUrl(stack.server.url, '/ws'));
      try {
        const { code, output } = await run({}, stack.server.url);
        expect(output).toMatch(/Speech works\.\n$/);
        expect(output).not.toMatch(/FAIL/);
        expect(output).toMatch(/characters left/);
        expect(code).toBe(0);
        expect((await listener.next('audio.start'))['text']).toBe('Jessica is working.');
      } finally {
        listener.close();
        await listener.waitClosed();
      }
    });

    it('fails and says to open the page when no page listens', async () => {
      while ((await stack.server.hub.listenerCount('local')) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const { code, output } = await run({}, stack.server.url);
      expect(code).toBe(1);
      expect(output).toMatch(/FAIL {2}no page is listening\n {8}fix: open http:\/\/127\.0\.0\.1:\d+\/ in a browser/);
    });

    it('names an exhausted quota', async () => {
      stack.fake.setSubscription({ character_count: 10_000, character_limit: 10_000 });
      try {
        const { code, output } = await run({}, stack.server.url);
        expect(code).toBe(1);
        expect(output).toMatch(/FAIL {2}quota used up/);
      } finally {
        stack.fake.reset();
      }
    });
  });

  it('names the key problem when the server holds a wrong key, and never prints the key', async () => {
    const stack = await startStack({ ELEVENLABS_API_KEY: WRONG_KEY });
    try {
      const { code, output } = await run({}, stack.server.url);
      expect(code).toBe(1);
      expect(output).toMatch(/FAIL {2}ElevenLabs rejects the key \(upstream_auth_failed\)/);
      expect(output).toMatch(/fix: create a key at https:\/\/elevenlabs\.io/);
      expect(output).not.toContain(WRONG_KEY);
      expect(output).not.toContain(WRONG_KEY.slice(3, 15));
    } finally {
      await stack.close();
    }
  });

  it('says how to set the key when the server has none', async () => {
    const stack = await startStack({ ELEVENLABS_API_KEY: undefined });
    try {
      const { code, output } = await run({}, stack.server.url);
      expect(code).toBe(1);
      expect(output).toContain(`FAIL  the server has no ElevenLabs key\n        fix: put ELEVENLABS_API_KEY=sk_... in ${join(home, '.config', 'jessica', 'env')}`);
    } finally {
      await stack.close();
    }
  });

  describe('with no server running', () => {
    let fake: FakeElevenLabs;
    beforeAll(async () => {
      fake = await startFakeElevenLabs();
    });
    afterAll(async () => {
      await fake.close();
    });

    it('says how to start one, and checks the env file key against the upstream without printing it', async () => {
      const envFile = join(home, '.config', 'jessica', 'env');
      mkdirSync(join(home, '.config', 'jessica'), { recursive: true });
      writeFileSync(envFile, `# mine\nexport ELEVENLABS_API_KEY="${WRONG_KEY}"\nELEVENLABS_BASE_URL=${fake.url}\n`);
      chmodSync(envFile, 0o644);
      const { code, output } = await run({}, await closedPortUrl());
      expect(code).toBe(1);
      expect(output).toMatch(/warn {2}.*env is readable by other users\n {8}fix: chmod 600 /);
      expect(output).toMatch(/FAIL {2}no Jessica server answers at .*\n {8}fix: start one with `jessica serve`.*jessica service install/);
      expect(output).toMatch(/FAIL {2}ElevenLabs rejects the key/);
      expect(output).not.toContain(WRONG_KEY);
      // The key did reach the upstream: the check is real, not a guess.
      expect(fake.requests.some((request) => request.path === '/v1/user/subscription')).toBe(true);
    });

    it('reports a valid key in the environment as working even while the server is down', async () => {
      const { code, output } = await run({ ELEVENLABS_API_KEY: fake.apiKey, ELEVENLABS_BASE_URL: fake.url }, await closedPortUrl());
      expect(output).toMatch(/ok {4}ElevenLabs accepts the key in this environment/);
      expect(code).toBe(1);
    });

    it('names the variable of a configuration error', async () => {
      const { code, output } = await run({ PORT: 'eighty' }, await closedPortUrl());
      expect(code).toBe(1);
      expect(output).toMatch(/FAIL {2}configuration: PORT: expected a whole number/);
    });
  });
});
