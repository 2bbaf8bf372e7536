import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Catalog } from '../../core/catalog.js';
import type { TtsProvider, UpstreamAudio } from '../../core/ports.js';
import type { Model, Voice } from '../../core/types.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { clientFor, GEORGE_ID, JESSICA_ID, RACHEL_ID, rejectionOf } from './support/fakes.js';

let fake: FakeElevenLabs;

beforeAll(async () => {
  fake = await startFakeElevenLabs();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

const voiceListings = () => fake.requests.filter((request) => request.path === '/v2/voices').length;
const modelListings = () => fake.requests.filter((request) => request.path === '/v1/models').length;

describe('Catalog', () => {
  it('fetches the voices once however many callers ask at the same moment', async () => {
    const catalog = new Catalog(clientFor(fake), 60_000);
    const lists = await Promise.all(Array.from({ length: 5 }, () => catalog.voices()));
    expect(new Set(lists.map((list) => list.length)).size).toBe(1);
    expect(voiceListings()).toBe(1);
  });

  it('keeps lists for the TTL, then fetches fresh ones', async () => {
    let now = 1_000;
    const catalog = new Catalog(clientFor(fake), 100, () => now);
    await catalog.voices();
    await catalog.models();
    now += 99;
    await catalog.voices();
    await catalog.models();
    expect([voiceListings(), modelListings()]).toEqual([1, 1]);
    now += 1;
    await catalog.voices();
    await catalog.models();
    await vi.waitFor(() => expect([voiceListings(), modelListings()]).toEqual([2, 2]));
  });

  it('answers from the list it has once the TTL is over, while one fresh list is fetched beside the callers', async () => {
    const { catalog, upstream } = await pastItsTtl();
    expect(await catalog.voices()).toEqual([ALICE]);
    expect(await catalog.voices()).toEqual([ALICE]);
    await vi.waitFor(() => expect(upstream.calls()).toBe(2));
    upstream.answer([ALICE, BOB]);
    await vi.waitFor(async () => expect(await catalog.voices()).toEqual([ALICE, BOB]));
    expect(upstream.calls()).toBe(2);
  });

  it('keeps the old list when a fresh one cannot be had, and tries again on the next call', async () => {
    const { catalog, upstream } = await pastItsTtl();
    expect(await catalog.voices()).toEqual([ALICE]);
    await vi.waitFor(() => expect(upstream.calls()).toBe(2));
    upstream.fail(new Error('upstream down'));
    await vi.waitFor(async () => {
      expect(await catalog.voices()).toEqual([ALICE]);
      expect(upstream.calls()).toBe(3);
    });
  });

  it('looks a voice the old list lacks up in the fresh one', async () => {
    const { catalog, upstream } = await pastItsTtl();
    const bob = catalog.resolveVoice('bob');
    await vi.waitFor(() => expect(upstream.calls()).toBe(2));
    upstream.answer([ALICE, BOB]);
    expect(await bob).toEqual(BOB);
    expect(await catalog.resolveVoice('alice')).toEqual(ALICE);
  });

  it('keeps nothing with a TTL of 0: every caller waits for a fresh list', async () => {
    const upstream = scriptedVoices();
    const catalog = new Catalog(upstream.provider, 0);
    const first = catalog.voices();
    upstream.answer([ALICE]);
    expect(await first).toEqual([ALICE]);
    const second = catalog.voices();
    await vi.waitFor(() => expect(upstream.calls()).toBe(2));
    upstream.answer([ALICE, BOB]);
    expect(await second).toEqual([ALICE, BOB]);
  });

  it('does not keep a failed fetch', async () => {
    fake.inject({ kind: 'invalid_key' }, { path: /^\/v2\/voices$/, times: 1 });
    const catalog = new Catalog(clientFor(fake), 60_000);
    expect(await rejectionOf(catalog.voices())).toMatchObject({ code: 'upstream_auth_failed' });
    expect((await catalog.voices()).length).toBeGreaterThan(0);
    expect(voiceListings()).toBe(2);
  });

  it('searches names, categories and labels, ignoring case and surrounding space', async () => {
    const catalog = new Catalog(clientFor(fake), 60_000);
    expect((await catalog.voices('  GEORGE ')).map((voice) => voice.voice_id)).toEqual([GEORGE_ID]);
    const british = await catalog.voices('British');
    expect(british.length).toBeGreaterThan(1);
    expect(british.every((voice) => voice.labels['accent'] === 'british')).toBe(true);
    expect((await catalog.voices('cloned')).map((voice) => voice.category)).toEqual(['cloned']);
    expect(await catalog.voices('   ')).toHaveLength((await catalog.voices()).length);
    expect(voiceListings()).toBe(1);
  });

  it('resolves a voice by id, or by name in any case', async () => {
    const catalog = new Catalog(clientFor(fake), 60_000);
    expect((await catalog.resolveVoice(JESSICA_ID)).name).toBe('Jessica');
    expect((await catalog.resolveVoice('jessica')).voice_id).toBe(JESSICA_ID);
    expect((await catalog.resolveVoice(' GEORGE ')).voice_id).toBe(GEORGE_ID);
    expect((await catalog.resolveVoice('my narrator')).category).toBe('cloned');
  });

  it('resolves a library voice by id once, then remembers it', async () => {
    const catalog = new Catalog(clientFor(fake), 60_000);
    expect((await catalog.resolveVoice(RACHEL_ID)).name).toBe('Rachel');
    expect((await catalog.resolveVoice(RACHEL_ID)).name).toBe('Rachel');
    expect(fake.requests.filter((request) => request.path === `/v1/voices/${RACHEL_ID}`)).toHaveLength(1);
  });

  it('answers unknown_voice for a name or id nobody has', async () => {
    const catalog = new Catalog(clientFor(fake), 60_000);
    for (const reference of ['Nobody', 'NoSuchVoice000000000']) {
      expect(await rejectionOf(catalog.resolveVoice(reference))).toMatchObject({ code: 'unknown_voice', status: 400 });
    }
  });

  it('resolves a model by id in any case, TTS-capable models only', async () => {
    const catalog = new Catalog(clientFor(fake), 60_000);
    expect((await catalog.resolveModel(' ELEVEN_V3 ')).model_id).toBe('eleven_v3');
    for (const reference of ['eleven_multilingual_sts_v2', 'gpt-4']) {
      expect(await rejectionOf(catalog.resolveModel(reference))).toMatchObject({ code: 'unknown_model', status: 400 });
    }
  });

  it('resolves a voice by the name before its description', async () => {
    const voices: Voice[] = [
      { voice_id: 'a'.repeat(20), name: 'Alice - calm narrator', category: 'professional', labels: {}, preview_url: null },
      { voice_id: 'b'.repeat(20), name: 'Bob (deep)', category: 'professional', labels: {}, preview_url: null },
    ];
    const catalog = new Catalog(listingOnly(voices, []), 60_000);
    expect((await catalog.resolveVoice('alice')).voice_id).toBe('a'.repeat(20));
    expect((await catalog.resolveVoice('BOB')).voice_id).toBe('b'.repeat(20));
  });
});

const ALICE: Voice = { voice_id: 'a'.repeat(20), name: 'Alice', category: 'professional', labels: {}, preview_url: null };
const BOB: Voice = { voice_id: 'b'.repeat(20), name: 'Bob', category: 'professional', labels: {}, preview_url: null };

/** A catalogue over scripted voices that has fetched [ALICE] once and is now just past its TTL. */
async function pastItsTtl(): Promise<{ catalog: Catalog; upstream: ReturnType<typeof scriptedVoices> }> {
  let now = 1_000;
  const upstream = scriptedVoices();
  const catalog = new Catalog(upstream.provider, 100, () => now);
  const first = catalog.voices();
  upstream.answer([ALICE]);
  expect(await first).toEqual([ALICE]);
  now += 100;
  return { catalog, upstream };
}

/** A provider whose voice lists the test hands out one at a time, in the order they were asked for. */
function scriptedVoices(): { provider: TtsProvider; calls: () => number; answer: (voices: Voice[]) => void; fail: (error: Error) => void } {
  const waiting: Array<{ resolve: (voices: Voice[]) => void; reject: (error: Error) => void }> = [];
  let calls = 0;
  const next = () => {
    const request = waiting.shift();
    if (!request) throw new Error('no voice list was asked for');
    return request;
  };
  const provider: TtsProvider = {
    ...listingOnly([], []),
    listVoices: () => {
      calls += 1;
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
  return { provider, calls: () => calls, answer: (voices) => next().resolve(voices), fail: (error) => next().reject(error) };
}

/** A provider with fixed lists that cannot synthesise: enough for lookups by name. */
function listingOnly(voices: Voice[], models: Model[]): TtsProvider {
  return {
    stream: (): Promise<UpstreamAudio> => Promise.reject(new Error('not used')),
    streamWithTimestamps: () => Promise.reject(new Error('not used')),
    listVoices: async () => voices,
    getVoice: async () => undefined,
    getVoiceSettings: () => Promise.reject(new Error('not used')),
    listModels: async () => models,
    getUsage: () => Promise.reject(new Error('not used')),
  };
}
