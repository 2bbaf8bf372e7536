import { describe, expect, it } from 'vitest';
import { applySettingsPatch, DEFAULT_SETTINGS, DEFAULT_MODEL_ID, DEFAULT_VOICE_ID, settingsPatchSchema, settingsSchema, withDefaults } from '../../../core/settings/schema.js';
import type { Settings } from '../../../core/types.js';

const defaults = () => structuredClone(DEFAULT_SETTINGS) as Settings;

describe('settings schema', () => {
  it('defaults to the voice Jessica, eleven_flash_v2_5 and mp3_44100_128, frozen', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({ default_voice_id: DEFAULT_VOICE_ID, default_model_id: DEFAULT_MODEL_ID, output_format: 'mp3_44100_128' });
    expect(DEFAULT_VOICE_ID).toBe('cgSgspJ2msm6clMCkdW9');
    expect(DEFAULT_MODEL_ID).toBe('eleven_flash_v2_5');
    expect(Object.isFrozen(DEFAULT_SETTINGS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_SETTINGS.voice_settings)).toBe(true);
    expect(settingsSchema.safeParse(DEFAULT_SETTINGS).success).toBe(true);
  });

  it('accepts the upstream ranges and refuses values outside them', () => {
    const ok = [{ voice_settings: { stability: 0 } }, { voice_settings: { stability: 1 } }, { voice_settings: { speed: 0.7 } }, { voice_settings: { speed: 1.2 } }];
    const bad = [
      { voice_settings: { stability: 1.5 } },
      { voice_settings: { similarity_boost: -0.1 } },
      { voice_settings: { style: 2 } },
      { voice_settings: { speed: 0.5 } },
      { voice_settings: { speed: 1.3 } },
      { voice_settings: { use_speaker_boost: 'yes' } },
      { voice_settings: { loudness: 1 } },
      { output_format: 'wav_44100' },
      { default_voice_id: '' },
      { default_voice_id: 'x'.repeat(101) },
      { auto_play: 1 },
      { colour: 'blue' },
    ];
    for (const patch of ok) expect(settingsPatchSchema.safeParse(patch).success).toBe(true);
    for (const patch of bad) expect(settingsPatchSchema.safeParse(patch).success).toBe(false);
  });
});

describe('applySettingsPatch', () => {
  it('changes only the fields in the patch, voice settings field by field', () => {
    const next = applySettingsPatch(defaults(), { voice_settings: { speed: 1.1 }, auto_play: false });
    expect(next).toEqual({ ...defaults(), auto_play: false, voice_settings: { ...defaults().voice_settings, speed: 1.1 } });
  });

  it('does not change the current settings it was given', () => {
    const current = defaults();
    applySettingsPatch(current, { voice_settings: { stability: 0.1 } });
    expect(current).toEqual(defaults());
  });
});

describe('withDefaults', () => {
  it('fills in fields an older version did not store', () => {
    expect(withDefaults({ output_format: 'pcm_16000' })).toEqual({ ...defaults(), output_format: 'pcm_16000' });
    expect(withDefaults({})).toEqual(defaults());
  });

  it('falls back to the defaults for stored junk', () => {
    for (const junk of [null, 'text', 42, { voice_settings: { stability: 9 } }]) expect(withDefaults(junk)).toEqual(defaults());
  });

  it('returns a copy that does not share the frozen defaults', () => {
    const settings = withDefaults({});
    settings.voice_settings.stability = 0.2;
    expect(DEFAULT_SETTINGS.voice_settings.stability).toBe(0.5);
  });
});
