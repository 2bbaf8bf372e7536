/** Shapes of the REST API (SPEC §4), as the page uses them. Field names follow the wire. */

export interface Voice {
  voice_id: string;
  name: string;
  category: string;
  labels: Record<string, string>;
  preview_url: string | null;
}

export interface Model {
  model_id: string;
  name: string;
  max_characters: number;
  languages: string[];
}

export interface VoiceSettings {
  stability: number;
  similarity_boost: number;
  style: number;
  use_speaker_boost: boolean;
  speed: number;
}

export interface Settings {
  default_voice_id: string;
  default_model_id: string;
  output_format: string;
  voice_settings: VoiceSettings;
  auto_play: boolean;
}

export type SettingsPatch = Partial<Omit<Settings, 'voice_settings'>> & { voice_settings?: Partial<VoiceSettings> };

export interface Usage {
  character_count: number;
  character_limit: number;
  remaining: number;
  resets_at: string | null;
}

export interface Health {
  status: 'ok' | 'degraded' | 'draining';
  version: string;
  target: 'fargate' | 'lambda';
  upstream: { configured: boolean };
}
