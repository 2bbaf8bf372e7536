import { describe, expect, it } from 'vitest';
import { toModel, toUsage, toVoice } from '../../../core/elevenlabs/mappers.js';
import { FAKE_MODELS, FAKE_VOICES } from '../../fake-elevenlabs/index.js';

describe('toVoice', () => {
  it('keeps the public fields of an upstream voice', () => {
    const raw = FAKE_VOICES[0]!;
    expect(toVoice(raw)).toEqual({ voice_id: raw.voice_id, name: raw.name, category: raw.category, labels: raw.labels, preview_url: raw['preview_url'] });
  });

  it('fills in what is missing and drops labels that are not strings', () => {
    expect(toVoice({ voice_id: 'v', name: 'N', labels: { accent: 'irish', age: 40 } })).toEqual({
      voice_id: 'v',
      name: 'N',
      category: 'unknown',
      labels: { accent: 'irish' },
      preview_url: null,
    });
  });

  it('answers undefined for junk', () => {
    for (const raw of [undefined, null, [], 'voice', { voice_id: 'v' }, { name: 'n' }, { voice_id: 1, name: 'n' }]) expect(toVoice(raw)).toBeUndefined();
  });
});

describe('toModel', () => {
  it('keeps text-to-speech models with their limit and language codes', () => {
    const raw = FAKE_MODELS.find((model) => model.model_id === 'eleven_multilingual_v2')!;
    const model = toModel(raw)!;
    expect(model.max_characters).toBe(raw.maximum_text_length_per_request);
    expect(model.languages).toContain('en');
  });

  it('drops models that cannot do text to speech', () => {
    expect(toModel(FAKE_MODELS.find((model) => !model.can_do_text_to_speech))).toBeUndefined();
    expect(toModel({ model_id: 'm' })).toBeUndefined();
    expect(toModel(null)).toBeUndefined();
  });

  it('falls back to the subscriber limit, then 5 000, and to the id as name', () => {
    expect(toModel({ model_id: 'm', can_do_text_to_speech: true, max_characters_request_subscribed_user: 123 })).toEqual({
      model_id: 'm',
      name: 'm',
      max_characters: 123,
      languages: [],
    });
    expect(toModel({ model_id: 'm', can_do_text_to_speech: true, languages: [{ name: 'no id' }, { language_id: 'de' }] })).toMatchObject({
      max_characters: 5_000,
      languages: ['de'],
    });
  });
});

describe('toUsage', () => {
  it('computes what remains and when it resets', () => {
    expect(toUsage({ character_count: 10, character_limit: 25, next_character_count_reset_unix: 0 })).toEqual({
      character_count: 10,
      character_limit: 25,
      remaining: 15,
      resets_at: '1970-01-01T00:00:00.000Z',
    });
  });

  it('never reports negative remaining characters, and null when no reset is known', () => {
    expect(toUsage({ character_count: 30, character_limit: 25 })).toEqual({ character_count: 30, character_limit: 25, remaining: 0, resets_at: null });
    expect(toUsage('junk')).toEqual({ character_count: 0, character_limit: 0, remaining: 0, resets_at: null });
  });
});
