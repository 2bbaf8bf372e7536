import type { ValidationItem } from './error-bodies.js';
import { Checks, isObject } from './validation.js';

/** Parses and schema-checks a TTS request the way the API's request model does (422s only). */

export const OUTPUT_FORMATS = [
  'alaw_8000',
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
  'wav_8000',
  'wav_16000',
  'wav_22050',
  'wav_24000',
  'wav_32000',
  'wav_44100',
  'wav_48000',
] as const;

/** The streaming endpoints cannot send a WAV header up front, so their enum has no wav_*. */
export const STREAM_OUTPUT_FORMATS = OUTPUT_FORMATS.filter((format) => !format.startsWith('wav_'));

export const DEFAULT_OUTPUT_FORMAT = 'mp3_44100_128';

const TEXT_NORMALIZATION = ['auto', 'on', 'off'] as const;

export interface TtsParams {
  text: string;
  modelId: string | undefined;
  outputFormat: string;
  previousText: string | undefined;
  nextText: string | undefined;
  previousRequestIds: string[] | undefined;
  nextRequestIds: string[] | undefined;
}

export type TtsParse = { ok: true; params: TtsParams } | { ok: false; items: ValidationItem[] };

/** Pydantic reports the character offset of a JSON syntax error; V8 sometimes names it. */
function jsonErrorPosition(error: unknown): number {
  const match = error instanceof Error ? /position (\d+)/.exec(error.message) : null;
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

function checkVoiceSettings(checks: Checks, value: unknown): void {
  if (value === undefined || value === null) return;
  const loc = ['body', 'voice_settings'];
  if (!isObject(value)) {
    checks.add({ type: 'model_attributes_type', loc, msg: 'Input should be a valid dictionary or object to extract fields from', input: value });
    return;
  }
  // Only these two are range-checked by the live schema; style and speed are not.
  checks.optionalNumberInRange([...loc, 'stability'], value.stability, 0, 1);
  checks.optionalNumberInRange([...loc, 'similarity_boost'], value.similarity_boost, 0, 1);
  checks.optionalBoolean([...loc, 'use_speaker_boost'], value.use_speaker_boost);
}

export function parseTtsRequest(query: URLSearchParams, rawBody: Buffer, streaming: boolean): TtsParse {
  const checks = new Checks();
  const outputFormat = query.get('output_format') ?? DEFAULT_OUTPUT_FORMAT;
  checks.optionalEnum(['query', 'output_format'], outputFormat, streaming ? STREAM_OUTPUT_FORMATS : OUTPUT_FORMATS);
  checks.queryBoolean(['query', 'enable_logging'], query.get('enable_logging'));
  checks.queryInteger(['query', 'optimize_streaming_latency'], query.get('optimize_streaming_latency'));

  if (rawBody.length === 0) {
    checks.missing(['body']);
    return { ok: false, items: checks.items };
  }
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch (error) {
    checks.add({ type: 'json_invalid', loc: ['body', jsonErrorPosition(error)], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } });
    return { ok: false, items: checks.items };
  }
  if (!isObject(body)) {
    checks.add({ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body });
    return { ok: false, items: checks.items };
  }

  if (body.text === undefined) checks.missing(['body', 'text']);
  else checks.optionalString(['body', 'text'], body.text, false);
  for (const field of ['model_id', 'language_code', 'previous_text', 'next_text']) {
    checks.optionalString(['body', field], body[field]);
  }
  checkVoiceSettings(checks, body.voice_settings);
  checks.optionalIntegerInRange(['body', 'seed'], body.seed, 0, 4294967295);
  checks.optionalEnum(['body', 'apply_text_normalization'], body.apply_text_normalization, TEXT_NORMALIZATION);
  const previousRequestIds = checks.optionalStringList(['body', 'previous_request_ids'], body.previous_request_ids);
  const nextRequestIds = checks.optionalStringList(['body', 'next_request_ids'], body.next_request_ids);
  if (!checks.ok) return { ok: false, items: checks.items };

  return {
    ok: true,
    params: {
      text: body.text as string,
      modelId: (body.model_id as string | null | undefined) ?? undefined,
      outputFormat,
      previousText: (body.previous_text as string | null | undefined) ?? undefined,
      nextText: (body.next_text as string | null | undefined) ?? undefined,
      previousRequestIds,
      nextRequestIds,
    },
  };
}
