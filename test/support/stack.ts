import { startFakeElevenLabs, type FakeElevenLabs, type FakeElevenLabsOptions } from '../fake-elevenlabs/index.js';
import { startServer, type RunningServer } from '../../fargate/server.js';

export interface Stack {
  fake: FakeElevenLabs;
  server: RunningServer;
  /** Absolute URL of a path below the root path. */
  url(path: string): string;
  /** fetch() below the root path, JSON bodies encoded. */
  request(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string>; token?: string }): Promise<Response>;
  close(): Promise<void>;
}

/** A fake ElevenLabs and a live server wired to it, both on port 0. */
export async function startStack(env: Record<string, string | undefined> = {}, fakeOptions: FakeElevenLabsOptions = {}): Promise<Stack> {
  const fake = await startFakeElevenLabs(fakeOptions);
  let server: RunningServer;
  try {
    server = await startServer({
      env: {
        ELEVENLABS_BASE_URL: fake.url,
        ELEVENLABS_API_KEY: fake.apiKey,
        PORT: '0',
        JESSICA_SETTINGS: 'memory:',
        LOG_LEVEL: 'silent',
        JESSICA_UPSTREAM_TIMEOUT_MS: '2000',
        ...env,
      },
    });
  } catch (error) {
    await fake.close();
    throw error;
  }
  const url = (path: string) => `${server.url}${server.rootPath}${path}`;
  return {
    fake,
    server,
    url,
    request(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token) headers['authorization'] = `Bearer ${init.token}`;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      return fetch(url(path), { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
    },
    async close() {
      await server.close();
      await fake.close();
    },
  };
}
