import type { Piece } from './body-writer.js';
import { evenTimings, toAlignment } from './alignment.js';
import { mp3DurationSeconds } from './mp3.js';

/** Turns the audio for one TTS request into the body pieces of each endpoint variant. */

export interface TtsVariant {
  stream: boolean;
  timestamps: boolean;
}

/** Used when the audio is not an MP3 the fake can time (a custom `audio` option). */
const FALLBACK_BYTES_PER_SECOND = 128_000 / 8;

function durationOf(audio: Buffer): number {
  return mp3DurationSeconds(audio) ?? audio.length / FALLBACK_BYTES_PER_SECOND;
}

function split(audio: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < audio.length; offset += size) chunks.push(audio.subarray(offset, offset + size));
  return chunks.length > 0 ? chunks : [audio];
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/**
 * One JSON line per audio chunk. Times stay absolute from the start of the utterance; each
 * character goes to the chunk during which it starts.
 */
function timestampLines(text: string, audio: Buffer, chunkSize: number): Piece[] {
  const chunks = split(audio, chunkSize);
  const duration = durationOf(audio);
  const timings = evenTimings(text, duration);
  const secondsPerByte = duration / Math.max(audio.length, 1);
  let offset = 0;
  return chunks.map((chunk, index) => {
    const from = offset * secondsPerByte;
    offset += chunk.length;
    const to = index === chunks.length - 1 ? Infinity : offset * secondsPerByte;
    const alignment = toAlignment(timings.filter((timing) => timing.start >= from && timing.start < to));
    const line = { audio_base64: chunk.toString('base64'), alignment, normalized_alignment: alignment };
    return { data: Buffer.concat([json(line), Buffer.from('\n')]), audio: chunk, raw: false };
  });
}

export function ttsPieces(variant: TtsVariant, text: string, audio: Buffer, chunkSize: number): Piece[] {
  if (variant.stream && variant.timestamps) return timestampLines(text, audio, chunkSize);
  if (variant.stream) return split(audio, chunkSize).map((chunk) => ({ data: chunk, audio: chunk, raw: true }));
  if (variant.timestamps) {
    const alignment = toAlignment(evenTimings(text, durationOf(audio)));
    const body = { audio_base64: audio.toString('base64'), alignment, normalized_alignment: alignment };
    return [{ data: json(body), audio, raw: false }];
  }
  return [{ data: audio, audio, raw: true }];
}
