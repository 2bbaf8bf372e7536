import * as sdk from '@elevenlabs/elevenlabs-js/serialization/index.js';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { WireTtsBody } from '../../../core/elevenlabs/client.js';
import type { VoiceSettings } from '../../../core/types.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../../fake-elevenlabs/index.js';
import { clientFor, JESSICA_ID, jessicaFor, longText } from '../support/fakes.js';

/**
 * The official SDK's wire schemas (snake_case, as sent) are the reference for what ElevenLabs
 * accepts and answers: the types are checked by the compiler, the bodies Jessica really sends
 * by the SDK's own strict parser (an unknown key fails).
 */
const STRICT = { unrecognizedObjectKeys: 'fail' } as const;

let fake: FakeElevenLabs;

beforeAll(async () => {
  fake = await startFakeElevenLabs();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

describe('the text-to-speech request body', () => {
  it("is assignable to the SDK's stream request type", () => {
    expectTypeOf<WireTtsBody>().toExtend<sdk.StreamTextToSpeechRequest.Raw>();
    expectTypeOf<NonNullable<WireTtsBody['voice_settings']>>().toExtend<sdk.VoiceSettings.Raw>();
  });

  it("passes the SDK's strict parser as sent, with and without voice settings and stitched", async () => {
    const { jessica } = jessicaFor(fake);
    await jessica.synthesize('alice', { text: 'Hello there.' });
    await jessica.synthesize('alice', { text: 'Hello again.', voice_settings: { stability: 0.3, use_speaker_boost: false } });
    await jessica.synthesize('alice', { text: longText(240), model: 'eleven_multilingual_v2' });
    const bodies = fake.ttsRequests().map((request) => request.body);
    expect(bodies.length).toBeGreaterThanOrEqual(4);
    expect(bodies.some((body) => Object.hasOwn(body as object, 'previous_request_ids') || Object.hasOwn(body as object, 'previous_text'))).toBe(true);
    for (const body of bodies) expect(sdk.StreamTextToSpeechRequest.parse(body, STRICT)).toMatchObject({ ok: true });
  });
});

describe('the voice settings response', () => {
  it("has the SDK's fields, no more and no fewer", () => {
    expectTypeOf<keyof VoiceSettings>().toEqualTypeOf<keyof sdk.VoiceSettings.Raw>();
    expectTypeOf<VoiceSettings>().toExtend<sdk.VoiceSettings.Raw>();
  });

  it("parses with the SDK's schema, as the upstream sends it and as Jessica returns it", async () => {
    const mapped = await clientFor(fake).getVoiceSettings(JESSICA_ID);
    const raw = (await (await fetch(`${fake.url}/v1/voices/${JESSICA_ID}/settings`, { headers: { 'xi-api-key': fake.apiKey } })).json()) as unknown;
    expect(sdk.VoiceSettings.parse(raw, STRICT)).toMatchObject({ ok: true });
    expect(sdk.VoiceSettings.parse(mapped, STRICT)).toMatchObject({ ok: true });
    expect(mapped).toEqual(raw);
  });
});
