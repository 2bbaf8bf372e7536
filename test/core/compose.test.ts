import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { composeJessica, settingsStoreFor } from '../../core/compose.js';
import { LocalSemaphore } from '../../core/limiter.js';
import { noMetrics, silentLogger, type SettingsStore } from '../../core/ports.js';
import { FileSettingsStore } from '../../core/settings/file-store.js';
import { MemorySettingsStore } from '../../core/settings/memory-store.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { collect, configFor, tempDir } from './support/fakes.js';

let fake: FakeElevenLabs;

beforeAll(async () => {
  fake = await startFakeElevenLabs();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

describe('settingsStoreFor', () => {
  it('builds the store JESSICA_SETTINGS names', () => {
    expect(settingsStoreFor(configFor(fake, { JESSICA_SETTINGS: 'memory:' }))).toBeInstanceOf(MemorySettingsStore);
    expect(settingsStoreFor(configFor(fake, { JESSICA_SETTINGS: `file:${join(tempDir(), 's.json')}` }))).toBeInstanceOf(FileSettingsStore);
  });

  it('needs the remote store builder for dynamodb:', () => {
    const config = configFor(fake, { JESSICA_SETTINGS: 'dynamodb:jessica-settings' });
    expect(() => settingsStoreFor(config)).toThrow(/dynamodb/);
    const remote = new MemorySettingsStore();
    const tables: string[] = [];
    expect(settingsStoreFor(config, (table) => (tables.push(table), remote))).toBe(remote);
    expect(tables).toEqual(['jessica-settings']);
  });
});

describe('composeJessica', () => {
  it('persists settings in the file JESSICA_SETTINGS names', async () => {
    const path = join(tempDir(), 'settings.json');
    const jessica = composeJessica({ config: configFor(fake, { JESSICA_SETTINGS: `file:${path}` }), version: '1', logger: silentLogger, metrics: noMetrics });
    await jessica.updateSettings('alice', { auto_play: false });
    expect(existsSync(path)).toBe(true);
    expect((await new FileSettingsStore(path).get('alice'))?.auto_play).toBe(false);
  });

  it('uses a key given apart from the environment, and reports it configured', async () => {
    const config = configFor(fake, { ELEVENLABS_API_KEY: undefined });
    const jessica = composeJessica({ config, version: '1', logger: silentLogger, metrics: noMetrics, apiKey: fake.apiKey });
    expect(jessica.health().upstream.configured).toBe(true);
    await jessica.synthesize('local', { text: 'Hello there, friend.' });
    expect(fake.ttsRequests()[0]?.headers['xi-api-key']).toBe(fake.apiKey);
  });

  it('bounds upstream concurrency with the limiter it is given', async () => {
    const limiter = new LocalSemaphore(1);
    const jessica = composeJessica({ config: configFor(fake), version: '1', logger: silentLogger, metrics: noMetrics, limiter });
    const held = fake.hold();
    const first = jessica.openStream('local', { text: 'First of two texts.' });
    const second = jessica.openStream('local', { text: 'Second of two texts.' });
    const { chunks } = await first;
    expect(limiter.waiting).toBe(1);
    expect(fake.inFlightTts).toBe(1);
    held.release();
    await collect(chunks);
    await collect((await second).chunks);
    expect(fake.maxConcurrentTts).toBe(1);
  });

  it('builds the live path it is given with the speech service', () => {
    let built = false;
    const jessica = composeJessica({
      config: configFor(fake),
      version: '1',
      logger: silentLogger,
      metrics: noMetrics,
      live: (speech) => {
        built = speech !== undefined;
        return { speak: () => Promise.reject(new Error('unused')), stop: async () => 0, listenerCount: async () => 0, publishSettings: () => undefined };
      },
    });
    expect(built).toBe(true);
    expect(jessica.live).toBeDefined();
  });

  it('keeps the remote store for dynamodb:', async () => {
    const remote: SettingsStore = new MemorySettingsStore();
    const jessica = composeJessica({ config: configFor(fake, { JESSICA_SETTINGS: 'dynamodb:jessica-settings' }), version: '1', logger: silentLogger, metrics: noMetrics, remoteSettingsStore: () => remote });
    await jessica.updateSettings('alice', { auto_play: false });
    expect((await remote.get('alice'))?.auto_play).toBe(false);
  });
});
