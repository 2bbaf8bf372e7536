/** Data shapes shared by the core and its adapters. Field names follow the public API (snake_case). */

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
  /** Characters one upstream request may carry; longer text is split. */
  max_characters: number;
  languages: string[];
}

/** The five voice settings the upstream knows, each in its documented range. */
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
  output_format: OutputFormat;
  /** Only the fields the user set; `null`: none, the voice's own stored settings apply. */
  voice_settings: Partial<VoiceSettings> | null;
  auto_play: boolean;
  /** Live listeners get `audio.words` frames with the audio. */
  word_timings: boolean;
}

export interface Usage {
  character_count: number;
  character_limit: number;
  remaining: number;
  resets_at: string | null;
}

/** Output formats the upstream can stream (its `/stream` endpoint refuses `wav_*`). */
export const OUTPUT_FORMATS = [
  'mp3_22050_32',
  'mp3_24000_48',
  'mp3_44100_32',
  'mp3_44100_64',
  'mp3_44100_96',
  'mp3_44100_128',
  'mp3_44100_192',
  'opus_48000_32',
  'opus_48000_64',
  'opus_48000_96',
  'opus_48000_128',
  'opus_48000_192',
  'pcm_8000',
  'pcm_16000',
  'pcm_22050',
  'pcm_24000',
  'pcm_32000',
  'pcm_44100',
  'pcm_48000',
  'ulaw_8000',
  'alaw_8000',
] as const;

export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The MIME type a client should use for audio in the given format. */
export function mimeTypeFor(format: OutputFormat): string {
  const codec = format.slice(0, format.indexOf('_'));
  switch (codec) {
    case 'mp3':
      return 'audio/mpeg';
    case 'opus':
      return 'audio/ogg';
    case 'pcm':
      return `audio/L16;rate=${format.slice(format.indexOf('_') + 1)};channels=1`;
    case 'ulaw':
      return 'audio/basic';
    default:
      return 'audio/x-alaw-basic';
  }
}

/** One spoken word and when it is heard, in milliseconds from the start of the utterance. */
export interface WordTiming {
  text: string;
  start_ms: number;
  end_ms: number;
}

/** A piece of an utterance: audio bytes (possibly none) and the words completed with them. */
export interface SpeechChunk {
  audio: Uint8Array;
  words: readonly WordTiming[];
}

/**
 * Seconds of audio in `bytes` for formats with a fixed byte rate (CBR MP3, PCM, G.711);
 * undefined for Opus, whose rate is not fixed.
 */
export function audioSeconds(format: OutputFormat, bytes: number): number | undefined {
  const [codec, rate, kbps] = format.split('_');
  if (codec === 'mp3' && kbps) return (bytes * 8) / (Number(kbps) * 1000);
  if (codec === 'pcm' && rate) return bytes / (2 * Number(rate));
  if (codec === 'ulaw' || codec === 'alaw') return bytes / Number(rate);
  return undefined;
}

/** What a caller may send to have text spoken (REST body, WebSocket frame, MCP arguments). */
export interface SpeechInput {
  text: string;
  voice?: string | undefined;
  model?: string | undefined;
  output_format?: OutputFormat | undefined;
  voice_settings?: Partial<VoiceSettings> | undefined;
}

/** One upstream synthesis request. */
export interface SynthesisRequest {
  text: string;
  voiceId: string;
  modelId: string;
  outputFormat: OutputFormat;
  /** Absent: none sent, the upstream applies the voice's stored settings. */
  voiceSettings?: Partial<VoiceSettings> | undefined;
  previousRequestIds?: string[];
  previousText?: string;
  nextText?: string;
}
