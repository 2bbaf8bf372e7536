import { describe, expect, it } from 'vitest';
import {
  applySettingsPatch,
  DEFAULT_SETTINGS,
  DEFAULT_MODEL_ID,
  DEFAULT_VOICE_ID,
  LEGACY_DEFAULT_VOICE_SETTINGS,
  settingsPatchSchema,
  settingsSchema,
  withDefaults,
} from '../../../core/settings/schema.js';
import type { Settings } from '../../../core/types.js';

const defaults = () => structuredClone(DEFAULT_SETTINGS) as Settings;

describe('settings schema', () => {
  it('defaults to the voice Jessica, eleven_flash_v2_5 and mp3_44100_128, frozen', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({ default_voice_id: DEFAULT_VOICE_ID, default_model_id: DEFAULT_MODEL_ID, output_format: 'mp3_44100_128' });
    expect(DEFAULT_VOICE_ID).toBe('cgSgspJ2msm6clMCkdW9');
    expect(DEFAULT_MODEL_ID).toBe('eleven_flash_v2_5');
    expect(Object.isFrozen(DEFAULT_SETTINGS)).toBe(true);
    expect(settingsSchema.safeParse(DEFAULT_SETTINGS).success).toBe(true);
  });

  it('sets no voice settings by default, so each voice speaks with its own', () => {
    expect(DEFAULT_SETTINGS.voice_settings).toBeNull();
  });

  it('accepts voice_settings null in a patch (clear) and refuses null elsewhere', () => {
    expect(settingsPatchSchema.safeParse({ voice_settings: null }).success).toBe(true);
    expect(settingsPatchSchema.safeParse({ auto_play: null }).success).toBe(false);
    expect(settingsPatchSchema.safeParse({ voice_settings: { speed: null } }).success).toBe(false);
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
    expect(next).toEqual({ ...defaults(), auto_play: false, voice_settings: { speed: 1.1 } });
    expect(applySettingsPatch(next, { voice_settings: { stability: 0.3 } }).voice_settings).toEqual({ speed: 1.1, stability: 0.3 });
  });

  it('clears every voice setting on voice_settings null, and keeps them on an absent field', () => {
    const set = applySettingsPatch(defaults(), { voice_settings: { speed: 1.1, style: 0.2 } });
    expect(applySettingsPatch(set, { voice_settings: null }).voice_settings).toBeNull();
    expect(applySettingsPatch(set, { auto_play: false }).voice_settings).toEqual({ speed: 1.1, style: 0.2 });
  });

  it('treats an empty voice settings object as none set', () => {
    expect(applySettingsPatch(defaults(), { voice_settings: {} }).voice_settings).toBeNull();
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

  it('reads the five defaults earlier versions stored for everyone as none set', () => {
    expect(withDefaults({ ...defaults(), voice_settings: { ...LEGACY_DEFAULT_VOICE_SETTINGS } }).voice_settings).toBeNull();
    expect(withDefaults({ voice_settings: { speed: 1, stability: 0.5, style: 0, similarity_boost: 0.75, use_speaker_boost: true } }).voice_settings).toBeNull();
  });

  it('keeps voice settings that differ from the old defaults in any field, or hold only some of them', () => {
    const changed = { ...LEGACY_DEFAULT_VOICE_SETTINGS, speed: 1.1 };
    expect(withDefaults({ voice_settings: changed }).voice_settings).toEqual(changed);
    expect(withDefaults({ voice_settings: { stability: 0.5 } }).voice_settings).toEqual({ stability: 0.5 });
  });

  it('returns a copy that does not share the frozen defaults', () => {
    const settings = withDefaults({});
    settings.auto_play = false;
    expect(DEFAULT_SETTINGS.auto_play).toBe(true);
  });
});
