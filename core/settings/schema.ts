import { z } from 'zod';
import { OUTPUT_FORMATS, type Settings, type VoiceSettings } from '../types.js';

/** The voice Jessica speaks with until a user picks another. */
export const DEFAULT_VOICE_ID = 'cgSgspJ2msm6clMCkdW9';
export const DEFAULT_MODEL_ID = 'eleven_flash_v2_5';

/**
 * `voice_settings: null`: nothing set, so no voice settings go upstream and each voice speaks
 * with the settings stored with it (a tuned or cloned voice sounds as it does at ElevenLabs).
 */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  default_voice_id: DEFAULT_VOICE_ID,
  default_model_id: DEFAULT_MODEL_ID,
  output_format: 'mp3_44100_128',
  voice_settings: null,
  auto_play: true,
  word_timings: true,
});

/**
 * What earlier versions stored for every user who never touched a voice setting. Stored
 * settings holding exactly these values read as "none set": nobody chose them.
 */
export const LEGACY_DEFAULT_VOICE_SETTINGS: Readonly<VoiceSettings> = Object.freeze({
  stability: 0.5,
  similarity_boost: 0.75,
  style: 0,
  use_speaker_boost: true,
  speed: 1,
});

/** Ranges as the upstream documents them. */
export const voiceSettingsSchema = z.strictObject({
  stability: z.number().min(0).max(1),
  similarity_boost: z.number().min(0).max(1),
  style: z.number().min(0).max(1),
  use_speaker_boost: z.boolean(),
  speed: z.number().min(0.7).max(1.2),
});

/** The fields a caller set; any subset. */
export const partialVoiceSettingsSchema = voiceSettingsSchema.partial();

export const outputFormatSchema = z.enum(OUTPUT_FORMATS);

const idSchema = z.string().trim().min(1).max(100);

export const settingsSchema = z.strictObject({
  default_voice_id: idSchema,
  default_model_id: idSchema,
  output_format: outputFormatSchema,
  voice_settings: partialVoiceSettingsSchema.nullable(),
  auto_play: z.boolean(),
  word_timings: z.boolean(),
});

/** A PATCH: any subset of fields; voice settings merged field by field, `null` clears them all. */
export const settingsPatchSchema = z.strictObject({
  default_voice_id: idSchema.optional(),
  default_model_id: idSchema.optional(),
  output_format: outputFormatSchema.optional(),
  voice_settings: partialVoiceSettingsSchema.nullable().optional(),
  auto_play: z.boolean().optional(),
  word_timings: z.boolean().optional(),
});

export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

/** Only the fields that hold a value; none → null (the voice's own settings apply). */
export function setVoiceSettings(settings: Partial<VoiceSettings> | null | undefined): Partial<VoiceSettings> | null {
  if (!settings) return null;
  const set = Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)) as Partial<VoiceSettings>;
  return Object.keys(set).length > 0 ? set : null;
}

export function applySettingsPatch(current: Settings, patch: SettingsPatch): Settings {
  return {
    default_voice_id: patch.default_voice_id ?? current.default_voice_id,
    default_model_id: patch.default_model_id ?? current.default_model_id,
    output_format: patch.output_format ?? current.output_format,
    voice_settings:
      patch.voice_settings === null
        ? null
        : setVoiceSettings({ ...current.voice_settings, ...patch.voice_settings }),
    auto_play: patch.auto_play ?? current.auto_play,
    word_timings: patch.word_timings ?? current.word_timings,
  };
}

function isLegacyDefault(settings: Partial<VoiceSettings> | null | undefined): boolean {
  if (!settings) return false;
  const keys = Object.keys(settings);
  const legacy = Object.entries(LEGACY_DEFAULT_VOICE_SETTINGS);
  return keys.length === legacy.length && legacy.every(([key, value]) => settings[key as keyof VoiceSettings] === value);
}

/**
 * Settings as stored by this or an earlier version: missing fields take the defaults, and the
 * five voice settings that earlier versions stored for everyone read as none set.
 */
export function withDefaults(stored: unknown): Settings {
  const partial = settingsPatchSchema.safeParse(stored);
  if (!partial.success) return structuredClone(DEFAULT_SETTINGS) as Settings;
  const patch = isLegacyDefault(partial.data.voice_settings) ? { ...partial.data, voice_settings: null } : partial.data;
  return applySettingsPatch(DEFAULT_SETTINGS, patch);
}
