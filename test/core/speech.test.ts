import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, primed } from '../../core/speech.js';
import { AUDIO_FIXTURES, startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { collect, GEORGE_ID, JESSICA_ID, jessicaFor, longText, recordingMetrics, rejectionOf } from './support/fakes.js';

let fake: FakeElevenLabs;

beforeAll(async () => {
  fake = await startFakeElevenLabs();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

describe('SpeechService.plan', () => {
  it('resolves the defaults: voice Jessica, eleven_flash_v2_5, mp3_44100_128', async () => {
    const { jessica } = jessicaFor(fake);
    const plan = await jessica.speech.plan('local', { text: 'Hello **world**.' });
    expect(plan).toMatchObject({
      text: 'Hello world.',
      parts: ['Hello world.'],
      voiceId: JESSICA_ID,
      voiceName: 'Jessica',
      modelId: 'eleven_flash_v2_5',
      outputFormat: 'mp3_44100_128',
      mime: 'audio/mpeg',
      characters: 'Hello world.'.length,
    });
    expect(plan.utteranceId).toMatch(/^utt_[A-Za-z0-9_-]{12}$/);
  });

  it('gives every plan its own utterance id', async () => {
    const { jessica } = jessicaFor(fake);
    const ids = await Promise.all([1, 2, 3].map(() => jessica.speech.plan('local', { text: 'Hi.' }).then((plan) => plan.utteranceId)));
    expect(new Set(ids).size).toBe(3);
  });

  it('finds a voice by name in any case and accepts voice_id and model_id as aliases', async () => {
    const { jessica } = jessicaFor(fake);
    expect((await jessica.speech.plan('local', { text: 'Hi.', voice: 'george' })).voiceId).toBe(GEORGE_ID);
    const aliased = await jessica.speech.plan('local', { text: 'Hi.', voice_id: GEORGE_ID, model_id: 'eleven_v3' });
    expect([aliased.voiceId, aliased.modelId]).toEqual([GEORGE_ID, 'eleven_v3']);
    const both = await jessica.speech.plan('local', { text: 'Hi.', voice: 'Jessica', voice_id: GEORGE_ID });
    expect(both.voiceId).toBe(JESSICA_ID);
  });

  it('takes the caller’s settings, with the request’s voice settings on top', async () => {
    const { jessica } = jessicaFor(fake);
    await jessica.updateSettings('alice', { default_voice_id: 'George', output_format: 'pcm_24000', voice_settings: { stability: 0.2, speed: 1.1 } });
    const plan = await jessica.speech.plan('alice', { text: 'Hi.', voice_settings: { speed: 0.9 } });
    expect(plan).toMatchObject({ voiceId: GEORGE_ID, outputFormat: 'pcm_24000', mime: 'audio/L16;rate=24000;channels=1' });
    expect(plan.voiceSettings).toEqual({ stability: 0.2, speed: 0.9 });
    expect((await jessica.speech.plan('bob', { text: 'Hi.' })).voiceId).toBe(JESSICA_ID);
  });

  it('answers empty_text when nothing is left once markdown is removed', async () => {
    const { jessica } = jessicaFor(fake);
    for (const text of ['   ', '**  **', '\n---\n']) {
      expect(await rejectionOf(jessica.speech.plan('local', { text }))).toMatchObject({ code: 'empty_text', status: 400 });
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('answers text_too_long over JESSICA_MAX_TEXT, naming the limit', async () => {
    const { jessica } = jessicaFor(fake, { JESSICA_MAX_TEXT: '50' });
    await expect(jessica.speech.plan('local', { text: 'x'.repeat(50) })).resolves.toBeDefined();
    const error = await rejectionOf(jessica.speech.plan('local', { text: 'x'.repeat(51) }));
    expect(error).toMatchObject({ code: 'text_too_long', status: 400, details: { limit: 50 } });
  });

  it('answers unknown_voice and unknown_model for names nobody has', async () => {
    const { jessica } = jessicaFor(fake);
    expect(await rejectionOf(jessica.speech.plan('local', { text: 'Hi.', voice: 'Nobody' }))).toMatchObject({ code: 'unknown_voice' });
    expect(await rejectionOf(jessica.speech.plan('local', { text: 'Hi.', model: 'eleven_nothing' }))).toMatchObject({ code: 'unknown_model' });
  });

  it('answers invalid_request for malformed input', async () => {
    const { jessica } = jessicaFor(fake);
    for (const input of [null, 'text', [], {}, { text: 5 }, { text: 'Hi.', output_format: 'wav_44100' }, { text: 'Hi.', voice_settings: { speed: 3 } }, { text: 'Hi.', voice: '' }]) {
      expect(await rejectionOf(jessica.speech.plan('local', input))).toMatchObject({ code: 'invalid_request', status: 400 });
    }
  });
});

describe('SpeechService audio', () => {
  it('returns the bytes the upstream sent for a short text', async () => {
    const { jessica } = jessicaFor(fake);
    const { audio, plan } = await jessica.synthesize('local', { text: 'Hello there, friend.' });
    expect(Buffer.from(audio).equals(fake.sentAudio[0]!.bytes)).toBe(true);
    expect(fake.ttsRequests()[0]).toMatchObject({ path: `/v1/text-to-speech/${JESSICA_ID}/stream`, query: { output_format: 'mp3_44100_128' }, body: { text: plan.text } });
  });

  it('splits a text over the model limit at sentence ends and stitches the parts in order', async () => {
    const { jessica } = jessicaFor(fake);
    const text = longText(240); // about 12 000 characters; eleven_multilingual_v2 takes 10 000 at once
    const { plan, audio } = await jessica.synthesize('local', { text, model: 'eleven_multilingual_v2' });
    expect(plan.parts).toHaveLength(2);
    const [first, second] = fake.ttsRequests();
    expect(fake.ttsRequests()).toHaveLength(2);
    expect((first?.body as { text: string }).text).toBe(plan.parts[0]);
    expect((second?.body as { text: string }).text).toBe(plan.parts[1]);
    expect(plan.parts[0]).toMatch(/aloud\.$/);
    expect(`${plan.parts[0]} ${plan.parts[1]}`).toBe(text);
    expect(first?.body).toMatchObject({ next_text: plan.parts[1] });
    expect(first?.body).not.toHaveProperty('previous_request_ids');
    expect(second?.body).toMatchObject({ previous_request_ids: [fake.sentAudio[0]!.requestId] });
    expect(second?.body).not.toHaveProperty('next_text');
    expect(Buffer.from(audio).equals(Buffer.concat([fake.sentAudio[0]!.bytes, fake.sentAudio[1]!.bytes]))).toBe(true);
  });

  it('sends no stitching fields to eleven_v3, which refuses them', async () => {
    const { jessica } = jessicaFor(fake);
    const { plan } = await jessica.synthesize('local', { text: longText(120), model: 'eleven_v3' });
    expect(plan.parts.length).toBeGreaterThan(1);
    expect(fake.ttsRequests()).toHaveLength(plan.parts.length);
    for (const request of fake.ttsRequests()) {
      expect(Object.keys(request.body as object).sort()).toEqual(['model_id', 'text']);
    }
  });

  it('sends no voice settings while the caller set none, exactly the set ones once set, and none again once cleared', async () => {
    const { jessica } = jessicaFor(fake);
    const sent = () => (fake.ttsRequests().at(-1)?.body as { voice_settings?: unknown }).voice_settings;
    await jessica.synthesize('alice', { text: 'First.' });
    expect(fake.ttsRequests().at(-1)?.body).not.toHaveProperty('voice_settings');
    await jessica.updateSettings('alice', { voice_settings: { stability: 0.3 } });
    await jessica.synthesize('alice', { text: 'Second.' });
    expect(sent()).toEqual({ stability: 0.3 });
    await jessica.synthesize('alice', { text: 'Third.', voice_settings: { stability: 0.9, speed: 1.1 } });
    expect(sent()).toEqual({ stability: 0.9, speed: 1.1 });
    await jessica.updateSettings('alice', { voice_settings: null });
    await jessica.synthesize('alice', { text: 'Fourth.' });
    expect(fake.ttsRequests().at(-1)?.body).not.toHaveProperty('voice_settings');
  });

  it('never serves cached audio made with other voice settings', async () => {
    const { jessica } = jessicaFor(fake);
    await jessica.synthesize('alice', { text: 'Done!' });
    await jessica.updateSettings('alice', { voice_settings: { speed: 1.1 } });
    await jessica.synthesize('alice', { text: 'Done!' });
    expect(fake.ttsRequests()).toHaveLength(2);
    // The same values as the voice's stored defaults, but sent as set: not the same request.
    await jessica.synthesize('bob', { text: 'Done!', voice_settings: { stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1 } });
    expect(fake.ttsRequests()).toHaveLength(3);
    await jessica.updateSettings('alice', { voice_settings: null });
    await jessica.synthesize('alice', { text: 'Done!' });
    await jessica.synthesize('bob', { text: 'Done!', voice_settings: { speed: 1.1 } });
    expect(fake.ttsRequests()).toHaveLength(3);
  });

  it('serves a repeated short phrase from the cache without a second upstream call', async () => {
    const metrics = recordingMetrics();
    const { jessica } = jessicaFor(fake, {}, { metrics });
    const first = await jessica.synthesize('local', { text: 'Done!' });
    const second = await jessica.synthesize('local', { text: 'Done!' });
    expect(fake.ttsRequests()).toHaveLength(1);
    expect(Buffer.from(second.audio).equals(Buffer.from(first.audio))).toBe(true);
    expect(metrics.counts.get('CacheHits')).toBe(1);
    expect(metrics.counts.get('Utterances')).toBe(1);
    await jessica.synthesize('local', { text: 'Done!', voice: 'George' });
    expect(fake.ttsRequests()).toHaveLength(2);
  });

  it('does not cache an utterance that failed half way', async () => {
    fake.inject({ kind: 'reset_mid_stream', afterBytes: 100 }, { times: 1 });
    const { jessica } = jessicaFor(fake);
    expect(await rejectionOf(jessica.synthesize('local', { text: 'Done!' }))).toMatchObject({ code: 'upstream_error' });
    await jessica.synthesize('local', { text: 'Done!' });
    expect(fake.ttsRequests()).toHaveLength(2);
  });

  it('streams but does not cache utterances over 2 MiB', async () => {
    fake.configure({ audio: new Uint8Array(3 * 1024 * 1024).fill(7), chunkSize: 256 * 1024 });
    const { jessica } = jessicaFor(fake, { JESSICA_CACHE_BYTES: String(256 * 1024 * 1024) });
    for (let run = 0; run < 2; run += 1) expect((await jessica.synthesize('local', { text: 'A long one.' })).audio.byteLength).toBe(3 * 1024 * 1024);
    expect(fake.ttsRequests()).toHaveLength(2);
  });

  it('surfaces an upstream error before the first byte as a thrown error from openStream', async () => {
    fake.inject({ kind: 'quota_exceeded' });
    const { jessica } = jessicaFor(fake);
    expect(await rejectionOf(jessica.openStream('local', { text: 'Hello there, friend.' }))).toMatchObject({ code: 'upstream_quota_exceeded', status: 502 });
  });

  it('opens a stream that yields the first chunk while the upstream is still sending', async () => {
    const held = fake.hold();
    const { jessica } = jessicaFor(fake);
    const { chunks, plan } = await jessica.openStream('local', { text: 'Hello there, friend.' });
    expect(plan.mime).toBe('audio/mpeg');
    const iterator = chunks[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(fake.sentAudio[0]?.completed).toBe(false);
    held.release();
    const rest: Uint8Array[] = [first.value as Uint8Array];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next.value);
    expect(Buffer.concat(rest).equals(AUDIO_FIXTURES.hello)).toBe(true);
  });

  it('stops between parts when the caller aborts', async () => {
    const held = fake.hold();
    const { jessica } = jessicaFor(fake);
    const plan = await jessica.speech.plan('local', { text: longText(240), model: 'eleven_multilingual_v2' });
    const caller = new AbortController();
    const iterator = jessica.speech.audio(plan, caller.signal);
    await iterator.next();
    caller.abort(new Error('enough'));
    held.release();
    expect(await rejectionOf(collect({ [Symbol.asyncIterator]: () => iterator }))).toMatchObject({ message: 'enough' });
    expect(fake.ttsRequests()).toHaveLength(1);
  });
});

describe('primed', () => {
  it('replays the first item, then the rest', async () => {
    async function* source() {
      yield 1;
      yield 2;
      yield 3;
    }
    const seen: number[] = [];
    for await (const value of await primed(source())) seen.push(value);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('yields nothing for an empty source', async () => {
    async function* empty(): AsyncGenerator<number> {}
    const seen: number[] = [];
    for await (const value of await primed(empty())) seen.push(value);
    expect(seen).toEqual([]);
  });

  it('rejects when the first item fails, and closes the source when the consumer stops early', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield* [] as number[];
      throw new Error('first failed');
    }
    expect(await rejectionOf(primed(failing()))).toMatchObject({ message: 'first failed' });
    let closed = false;
    async function* endless() {
      try {
        for (let index = 0; ; index += 1) yield index;
      } finally {
        closed = true;
      }
    }
    for await (const value of await primed(endless())) if (value === 1) break;
    expect(closed).toBe(true);
  });
});

describe('concatBytes', () => {
  it('joins chunks in order', () => {
    expect(concatBytes([Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(3)])).toEqual(Uint8Array.of(1, 2, 3));
    expect(concatBytes([])).toEqual(new Uint8Array(0));
  });
});
