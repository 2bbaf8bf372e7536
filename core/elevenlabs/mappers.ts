import type { Model, Usage, Voice, VoiceSettings } from '../types.js';

/** One-way converters from upstream wire objects to Jessica's shapes; junk in → undefined. */

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function toVoice(raw: unknown): Voice | undefined {
  const voice = record(raw);
  const id = str(voice?.['voice_id']);
  const name = str(voice?.['name']);
  if (!voice || !id || !name) return undefined;
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(record(voice['labels']) ?? {})) {
    if (typeof value === 'string') labels[key] = value;
  }
  return { voice_id: id, name, category: str(voice['category']) ?? 'unknown', labels, preview_url: str(voice['preview_url']) ?? null };
}

export function toModel(raw: unknown): Model | undefined {
  const model = record(raw);
  const id = str(model?.['model_id']);
  if (!model || !id || model['can_do_text_to_speech'] !== true) return undefined;
  const maxCharacters =
    num(model['maximum_text_length_per_request']) ?? num(model['max_characters_request_subscribed_user']) ?? 5_000;
  const languages = Array.isArray(model['languages'])
    ? model['languages'].map((language) => str(record(language)?.['language_id'])).filter((code): code is string => !!code)
    : [];
  return { model_id: id, name: str(model['name']) ?? id, max_characters: maxCharacters, languages };
}

export function toUsage(raw: unknown): Usage {
  const subscription = record(raw) ?? {};
  const count = num(subscription['character_count']) ?? 0;
  const limit = num(subscription['character_limit']) ?? 0;
  const reset = num(subscription['next_character_count_reset_unix']);
  return {
    character_count: count,
    character_limit: limit,
    remaining: Math.max(0, limit - count),
    resets_at: reset === undefined ? null : new Date(reset * 1000).toISOString(),
  };
}

/** A voice's stored settings; junk or a missing field → undefined. */
export function toVoiceSettings(raw: unknown): VoiceSettings | undefined {
  const settings = record(raw);
  const stability = num(settings?.['stability']);
  const similarityBoost = num(settings?.['similarity_boost']);
  // The upstream marks style, speaker boost and speed optional (older voices); it applies its defaults then.
  const style = num(settings?.['style']) ?? 0;
  const boost = settings?.['use_speaker_boost'];
  const speed = num(settings?.['speed']) ?? 1;
  if (stability === undefined || similarityBoost === undefined) return undefined;
  return { stability, similarity_boost: similarityBoost, style, use_speaker_boost: typeof boost === 'boolean' ? boost : true, speed };
}
