import type { AudioSpec } from './audio.js';
import { BenchChild } from './child.js';

/** A fake ElevenLabs and a Jessica live server, each in its own process. */

export const TOKEN = 'bench-token-0123456789';
export const PRINCIPAL = 'bench';
export const ROOT_PATH = '/jessica';

export interface FakeOptions {
  ttfbMs: number;
  chunkDelayMs: number;
  chunkSize: number;
  audio?: AudioSpec;
}

export interface FakeReady {
  url: string;
  apiKey: string;
  pid: number;
}

export interface JessicaReady {
  url: string;
  rootPath: string;
  pid: number;
}

export interface BenchStack {
  fake: BenchChild<FakeReady>;
  fakeUrl: string;
  fakeApiKey: string;
  jessica: BenchChild<JessicaReady>;
  /** `http://127.0.0.1:PORT/jessica` */
  base: string;
  /** `ws://127.0.0.1:PORT/jessica/ws` */
  wsUrl: string;
  ttsRequests(): Promise<number>;
  stop(): Promise<void>;
}

export async function startFake(options: FakeOptions): Promise<{ child: BenchChild<FakeReady>; ready: FakeReady }> {
  const child = await BenchChild.start<FakeReady>('fake', options);
  return { child, ready: await child.ready };
}

export async function startJessica(fake: FakeReady, env: Record<string, string> = {}): Promise<{ child: BenchChild<JessicaReady>; ready: JessicaReady }> {
  const child = await BenchChild.start<JessicaReady>('jessica', {
    env: {
      ELEVENLABS_BASE_URL: fake.url,
      ELEVENLABS_API_KEY: fake.apiKey,
      HOST: '127.0.0.1',
      PORT: '0',
      ROOT_PATH: ROOT_PATH,
      JESSICA_TOKENS: `${PRINCIPAL}:${TOKEN}`,
      JESSICA_SETTINGS: 'memory:',
      LOG_LEVEL: 'silent',
      // The bench sends far more than a person would; neither the spending budget nor the flood
      // ceiling is what is measured (the throughput benchmark sends thousands of requests a second).
      JESSICA_RATE_LIMIT: '1000000',
      JESSICA_FLOOD_LIMIT: '10000000',
      ...env,
    },
  });
  return { child, ready: await child.ready };
}

export async function startStack(fakeOptions: FakeOptions, env: Record<string, string> = {}): Promise<BenchStack> {
  const fake = await startFake(fakeOptions);
  let jessica;
  try {
    jessica = await startJessica(fake.ready, env);
  } catch (error) {
    await fake.child.stop();
    throw error;
  }
  const base = `${jessica.ready.url}${jessica.ready.rootPath}`;
  return {
    fake: fake.child,
    fakeUrl: fake.ready.url,
    fakeApiKey: fake.ready.apiKey,
    jessica: jessica.child,
    base,
    wsUrl: `${base.replace(/^http/, 'ws')}/ws`,
    ttsRequests: async () => (await fake.child.call<{ ttsRequests: number }>('stats')).ttsRequests,
    async stop() {
      await Promise.all([jessica.child.stop(), fake.child.stop()]);
    },
  };
}
