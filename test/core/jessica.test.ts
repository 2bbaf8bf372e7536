import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LruAudioCache } from '../../core/cache/lru.js';
import { createJessica } from '../../core/jessica.js';
import { LiveHub } from '../../core/live/hub.js';
import { noMetrics, silentLogger, type SettingsStore } from '../../core/ports.js';
import { MemorySettingsStore } from '../../core/settings/memory-store.js';
import { DEFAULT_SETTINGS } from '../../core/settings/schema.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { clientFor, configFor, FakeListener, GEORGE_ID, jessicaFor, rejectionOf } from './support/fakes.js';

let fake: FakeElevenLabs;

beforeAll(async () => {
  fake = await startFakeElevenLabs();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

describe('createJessica', () => {
  it('touches nothing until a use case is called', () => {
    jessicaFor(fake);
    expect(fake.requests).toHaveLength(0);
  });

  it('reports ok health with the upstream configured, degraded without a key', () => {
    const { jessica } = jessicaFor(fake);
    expect(jessica.health()).toEqual({ status: 'ok', version: '9.9.9-test', target: 'fargate', upstream: { configured: true } });
    const { jessica: keyless } = jessicaFor(fake, { ELEVENLABS_API_KEY: undefined });
    expect(keyless.health()).toMatchObject({ status: 'degraded', upstream: { configured: false } });
  });

  it('reports degraded health while its live channel is unhealthy', () => {
    let healthy = false;
    const { jessica } = jessicaFor(fake, {}, {
      live: () => ({ speak: () => Promise.reject(new Error('unused')), stop: async () => 0, listenerCount: async () => 0, publishSettings: () => undefined, healthy: () => healthy }),
    });
    expect(jessica.health().status).toBe('degraded');
    healthy = true;
    expect(jessica.health().status).toBe('ok');
  });

  it('answers upstream_not_configured for synthesis without a key', async () => {
    const { jessica } = jessicaFor(fake, { ELEVENLABS_API_KEY: undefined });
    expect(await rejectionOf(jessica.synthesize('local', { text: 'Hi there.' }))).toMatchObject({ code: 'upstream_not_configured', status: 503 });
  });

  it('refuses new speech while draining, with a retry hint, and says so in its health', async () => {
    const { jessica } = jessicaFor(fake);
    jessica.startDraining();
    expect(jessica.draining).toBe(true);
    expect(jessica.health().status).toBe('draining');
    for (const call of [jessica.synthesize('local', { text: 'Hi.' }), jessica.openStream('local', { text: 'Hi.' }), jessica.speak('local', { text: 'Hi.' })]) {
      expect(await rejectionOf(call)).toMatchObject({ code: 'draining', status: 503, retryAfterSeconds: 5 });
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('answers live_channel_unavailable for speak and stop without a live path', async () => {
    const { jessica } = jessicaFor(fake);
    expect(jessica.live).toBeUndefined();
    expect(await rejectionOf(jessica.speak('local', { text: 'Hi.' }))).toMatchObject({ code: 'live_channel_unavailable', status: 503 });
    expect(await rejectionOf(jessica.stop('local'))).toMatchObject({ code: 'live_channel_unavailable' });
  });

  it('lists voices, models and usage from the upstream', async () => {
    const { jessica } = jessicaFor(fake);
    expect((await jessica.listVoices('george')).map((voice) => voice.voice_id)).toEqual([GEORGE_ID]);
    expect((await jessica.listModels()).every((model) => model.max_characters > 0)).toBe(true);
    expect(await jessica.usage()).toMatchObject({ character_limit: expect.any(Number) });
  });
});

describe('settings use cases', () => {
  it('gives a new principal the defaults', async () => {
    const { jessica } = jessicaFor(fake);
    expect(await jessica.getSettings('newcomer')).toEqual(DEFAULT_SETTINGS);
  });

  it('stores a voice given by name under its id, and a model in its canonical case', async () => {
    const { jessica } = jessicaFor(fake);
    const settings = await jessica.updateSettings('alice', { default_voice_id: 'george', default_model_id: 'ELEVEN_V3' });
    expect(settings).toMatchObject({ default_voice_id: GEORGE_ID, default_model_id: 'eleven_v3' });
    expect(await jessica.getSettings('alice')).toEqual(settings);
    expect(await jessica.getSettings('bob')).toEqual(DEFAULT_SETTINGS);
  });

  it('merges voice settings field by field', async () => {
    const { jessica } = jessicaFor(fake);
    await jessica.updateSettings('alice', { voice_settings: { stability: 0.3 } });
    const settings = await jessica.updateSettings('alice', { voice_settings: { speed: 1.2 } });
    expect(settings.voice_settings).toEqual({ stability: 0.3, speed: 1.2 });
  });

  it('clears every voice setting on voice_settings null, keeping the other fields', async () => {
    const { jessica } = jessicaFor(fake);
    await jessica.updateSettings('alice', { voice_settings: { stability: 0.3 }, auto_play: false });
    const cleared = await jessica.updateSettings('alice', { voice_settings: null });
    expect(cleared).toEqual({ ...DEFAULT_SETTINGS, auto_play: false, voice_settings: null });
    expect(await jessica.getSettings('alice')).toEqual(cleared);
  });

  it("returns a voice's own stored settings, by id or by name", async () => {
    const { jessica } = jessicaFor(fake);
    const own = { stability: 0.6, similarity_boost: 0.8, style: 0, use_speaker_boost: true, speed: 1 };
    expect(await jessica.voiceSettings('kP3nWq8RzT1vLm6sXy0D')).toEqual(own);
    expect(await jessica.voiceSettings('my narrator')).toEqual(own);
    expect(await rejectionOf(jessica.voiceSettings('Nobody'))).toMatchObject({ code: 'unknown_voice', status: 400 });
  });

  it('refuses values outside the upstream ranges and unknown fields with invalid_request, storing nothing', async () => {
    const { jessica } = jessicaFor(fake);
    const patches: unknown[] = [
      { voice_settings: { stability: 1.5 } },
      { voice_settings: { speed: 0.5 } },
      { voice_settings: { volume: 1 } },
      { favourite_colour: 'blue' },
      { output_format: 'wav_44100' },
      [],
      'voice',
    ];
    for (const patch of patches) {
      expect(await rejectionOf(jessica.updateSettings('alice', patch))).toMatchObject({ code: 'invalid_request', status: 400 });
    }
    expect(await jessica.getSettings('alice')).toEqual(DEFAULT_SETTINGS);
  });

  it('refuses a voice or model that does not exist, storing nothing', async () => {
    const { jessica } = jessicaFor(fake);
    expect(await rejectionOf(jessica.updateSettings('alice', { default_voice_id: 'Nobody' }))).toMatchObject({ code: 'unknown_voice' });
    expect(await rejectionOf(jessica.updateSettings('alice', { default_model_id: 'eleven_nothing' }))).toMatchObject({ code: 'unknown_model' });
    expect(await jessica.getSettings('alice')).toEqual(DEFAULT_SETTINGS);
  });

  it('loses no field when updates of different fields run at once', async () => {
    const { jessica } = jessicaFor(fake);
    await Promise.all([
      jessica.updateSettings('alice', { voice_settings: { stability: 0.1 } }),
      jessica.updateSettings('alice', { voice_settings: { style: 0.2 } }),
      jessica.updateSettings('alice', { auto_play: false }),
      jessica.updateSettings('alice', { output_format: 'opus_48000_64' }),
    ]);
    expect(await jessica.getSettings('alice')).toMatchObject({ auto_play: false, output_format: 'opus_48000_64', voice_settings: { stability: 0.1, style: 0.2 } });
  });

  it('tells the principal’s open pages about new settings', async () => {
    const hub = new LiveHub({ audio: async function* () {}, maxBufferedBytes: 1024, logger: silentLogger, metrics: noMetrics });
    const { jessica } = jessicaFor(fake, {}, { live: () => hub });
    const page = new FakeListener('page-1');
    const other = new FakeListener('page-2');
    hub.attach('alice', page);
    hub.attach('bob', other);
    const settings = await jessica.updateSettings('alice', { auto_play: false, voice_settings: { speed: 1.1 } });
    const cleared = await jessica.updateSettings('alice', { voice_settings: null });
    expect(cleared.voice_settings).toBeNull();
    expect(page.messages('settings')).toEqual([
      { type: 'settings', settings },
      { type: 'settings', settings: cleared },
    ]);
    expect(other.frames).toHaveLength(0);
  });

  it('reports a settings store failure without touching the upstream', async () => {
    const broken: SettingsStore = {
      get: () => Promise.reject(new Error('disk on fire')),
      update: () => Promise.reject(new Error('disk on fire')),
    };
    const jessica = createJessica({
      config: configFor(fake),
      version: '1',
      provider: clientFor(fake),
      settingsStore: broken,
      cache: new LruAudioCache(1024),
      logger: silentLogger,
      metrics: noMetrics,
    });
    expect(await rejectionOf(jessica.synthesize('local', { text: 'Hi.' }))).toMatchObject({ message: 'disk on fire' });
    expect(fake.ttsRequests()).toHaveLength(0);
  });

  it('works with any store that keeps the port contract', async () => {
    const jessica = createJessica({
      config: configFor(fake),
      version: '1',
      provider: clientFor(fake),
      settingsStore: new MemorySettingsStore(),
      cache: new LruAudioCache(1024),
      logger: silentLogger,
      metrics: noMetrics,
    });
    expect((await jessica.updateSettings('alice', { auto_play: false })).auto_play).toBe(false);
  });
});
