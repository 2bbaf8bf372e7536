import { readFileSync } from 'node:fs';

/** Voices, models and account data the fake serves, loaded once from ./fixtures. */

export interface VoiceSettings {
  stability: number;
  similarity_boost: number;
  style: number;
  use_speaker_boost: boolean;
  speed: number;
}

export interface Voice {
  voice_id: string;
  name: string;
  category: string;
  description: string | null;
  labels: Record<string, string>;
  settings: VoiceSettings | null;
  is_owner: boolean;
  is_legacy: boolean;
  created_at_unix: number | null;
  [field: string]: unknown;
}

export interface Model {
  model_id: string;
  can_do_text_to_speech: boolean;
  maximum_text_length_per_request: number;
  [field: string]: unknown;
}

export interface User {
  subscription: Record<string, unknown>;
  subscription_extras: { concurrency: number; [field: string]: unknown };
  [field: string]: unknown;
}

function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export const VOICES: readonly Voice[] = readJson<Voice[]>('voices.json');
export const MODELS: readonly Model[] = readJson<Model[]>('models.json');
export const DEFAULT_VOICE_SETTINGS: VoiceSettings = readJson<VoiceSettings>('voice-settings-default.json');
export const SUBSCRIPTION: Readonly<Record<string, unknown>> = readJson<Record<string, unknown>>('subscription.json');
export const USER: Readonly<User> = readJson<User>('user.json');

/** The API's documented default when a request names no model. */
export const DEFAULT_MODEL_ID = 'eleven_multilingual_v2';

/** Fields of the extended subscription that the nested `/v1/user` subscription leaves out. */
const INVOICE_FIELDS = ['next_invoice', 'open_invoices', 'has_open_invoices', 'pending_change'];

export function findVoice(voiceId: string): Voice | undefined {
  return VOICES.find((voice) => voice.voice_id === voiceId);
}

export function findModel(modelId: string): Model | undefined {
  return MODELS.find((model) => model.model_id === modelId);
}

/** `/v1/user` with its nested subscription kept in step with the live subscription. */
export function userWith(subscription: Record<string, unknown>): Record<string, unknown> {
  const nested = Object.fromEntries(Object.entries(subscription).filter(([key]) => !INVOICE_FIELDS.includes(key)));
  return { ...USER, subscription: nested };
}
