import { z } from 'zod';
import { OUTPUT_FORMATS, type Settings } from '../types.js';

/** The voice Jessica speaks with until a user picks another. */
export const DEFAULT_VOICE_ID = 'cgSgspJ2msm6clMCkdW9';
export const DEFAULT_MODEL_ID = 'eleven_flash_v2_5';

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  default_voice_id: DEFAULT_VOICE_ID,
  default_model_id: DEFAULT_MODEL_ID,
  output_format: 'mp3_44100_128',
  voice_settings: Object.freeze({ stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1 }),
  auto_play: true,
  word_timings: true,
});

/** Ranges as the upstream documents them. */
export const voiceSettingsSchema = z.strictObject({
  stability: z.number().min(0).max(1),
  similarity_boost: z.number().min(0).max(1),
  style: z.number().min(0).max(1),
  use_speaker_boost: z.boolean(),
  speed: z.number().min(0.7).max(1.2),
});

export const outputFormatSchema = z.enum(OUTPUT_FORMATS);

const idSchema = z.string().trim().min(1).max(100);

export const settingsSchema = z.strictObject({
  default_voice_id: idSchema,
  default_model_id: idSchema,
  output_format: outputFormatSchema,
  voice_settings: voiceSettingsSchema,
  auto_play: z.boolean(),
  word_timings: z.boolean(),
});

/** A PATCH: any subset of fields, voice settings merged field by field. */
export const settingsPatchSchema = z.strictObject({
  default_voice_id: idSchema.optional(),
  default_model_id: idSchema.optional(),
  output_format: outputFormatSchema.optional(),
  voice_settings: voiceSettingsSchema.partial().optional(),
  auto_play: z.boolean().optional(),
  word_timings: z.boolean().optional(),
});

export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export function applySettingsPatch(current: Settings, patch: SettingsPatch): Settings {
  return {
    default_voice_id: patch.default_voice_id ?? current.default_voice_id,
    default_model_id: patch.default_model_id ?? current.default_model_id,
    output_format: patch.output_format ?? current.output_format,
    voice_settings: { ...current.voice_settings, ...patch.voice_settings },
    auto_play: patch.auto_play ?? current.auto_play,
    word_timings: patch.word_timings ?? current.word_timings,
  };
}

/** Stored settings from an older version may miss fields; defaults fill them in. */
export function withDefaults(stored: unknown): Settings {
  const partial = settingsPatchSchema.safeParse(stored);
  return partial.success ? applySettingsPatch(DEFAULT_SETTINGS, partial.data) : structuredClone(DEFAULT_SETTINGS) as Settings;
}
