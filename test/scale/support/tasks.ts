import type { FakeElevenLabs } from '../../fake-elevenlabs/index.js';
import { TestListener, wsUrl } from '../../support/listener.js';
import { spawnTs, type Spawned } from '../../support/process.js';

/** One live server process ("task") of a scaled-out service. */
export interface Task {
  name: string;
  process: Spawned;
  /** `http://127.0.0.1:PORT` */
  base: string;
  request(path: string, init?: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> }): Promise<Response>;
  listen(token: string): Promise<TestListener>;
  health(): Promise<string>;
  /** Waits until `/health` reports `status`. */
  waitForHealth(status: 'ok' | 'degraded', timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface TaskEnv {
  fake: FakeElevenLabs;
  redisUrl: string;
  tokens: string;
  extra?: Record<string, string>;
}

export async function startTask(name: string, { fake, redisUrl, tokens, extra }: TaskEnv): Promise<Task> {
  const process = spawnTs('fargate/main.ts', [], {
    ELEVENLABS_BASE_URL: fake.url,
    ELEVENLABS_API_KEY: fake.apiKey,
    PORT: '0',
    JESSICA_SETTINGS: 'memory:',
    JESSICA_TOKENS: tokens,
    JESSICA_PUBSUB: redisUrl,
    JESSICA_PRESENCE_TTL_MS: '2000',
    JESSICA_UPSTREAM_TIMEOUT_MS: '5000',
    JESSICA_DRAIN_TIMEOUT_MS: '2000',
    JESSICA_RATE_LIMIT: '100000',
    LOG_LEVEL: 'info',
    ...extra,
  });
  const { url } = (await process.waitForLog('jessica is listening')) as { url: string };
  const base = url.replace(/\/$/, '');
  const task: Task = {
    name,
    process,
    base,
    request(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token) headers['authorization'] = `Bearer ${init.token}`;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = JSON.stringify(init.body);
        headers['content-type'] = 'application/json';
      }
      return fetch(`${base}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
    },
    listen: (token) => TestListener.connect(wsUrl(base, '/ws'), { token }),
    async health() {
      const response = await fetch(`${base}/health`);
      return ((await response.json()) as { status: string }).status;
    },
    async waitForHealth(status, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        last = await task.health();
        if (last === status) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`${name}: /health stayed "${last}", expected "${status}":\n${process.output().slice(-4000)}`);
    },
    async stop() {
      if (process.child.exitCode !== null || process.child.signalCode !== null) return;
      process.child.kill('SIGKILL');
      await process.exited;
    },
  };
  return task;
}

/** Polls `check` until it returns true. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}
