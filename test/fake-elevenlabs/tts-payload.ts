import type { Piece } from './body-writer.js';
import { evenTimings, toAlignment, type TimedCharacter } from './alignment.js';
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

export type TimestampClock = 'absolute' | 'per-line';

/**
 * Times of one line: absolute from the start of the request, or restarted at the line's start.
 * Each character goes to the line during which it starts, so words straddle lines.
 */
function clocked(timings: readonly TimedCharacter[], from: number, clock: TimestampClock): TimedCharacter[] {
  if (clock === 'absolute') return [...timings];
  const shift = (seconds: number): number => Math.round((seconds - from) * 1000) / 1000;
  return timings.map((timing) => ({ character: timing.character, start: shift(timing.start), end: shift(timing.end) }));
}

/**
 * Re-cuts the body into writes that end inside the JSON lines, as a real network splits them;
 * a line's audio is credited to the write that completes it.
 */
function cutInsideLines(lines: readonly Piece[], chunkSize: number): Piece[] {
  const body = Buffer.concat(lines.map((line) => line.data));
  const ends: number[] = [];
  let end = 0;
  for (const line of lines) ends.push((end += line.data.length));
  const writeSize = Math.max(1, Math.ceil(chunkSize / 2) + 3);
  const pieces: Piece[] = [];
  let line = 0;
  for (let offset = 0; offset < body.length; offset += writeSize) {
    const stop = Math.min(body.length, offset + writeSize);
    const audio: Buffer[] = [];
    while (line < lines.length && (ends[line] ?? Infinity) <= stop) audio.push(lines[line++]!.audio);
    pieces.push({ data: body.subarray(offset, stop), audio: Buffer.concat(audio), raw: false });
  }
  return pieces;
}

/** One JSON line per audio chunk of `chunkSize` bytes, written in pieces that split the lines. */
function timestampLines(text: string, audio: Buffer, chunkSize: number, clock: TimestampClock): Piece[] {
  const chunks = split(audio, chunkSize);
  const duration = durationOf(audio);
  const timings = evenTimings(text, duration);
  const secondsPerByte = duration / Math.max(audio.length, 1);
  let offset = 0;
  const lines = chunks.map((chunk, index) => {
    const from = offset * secondsPerByte;
    offset += chunk.length;
    const to = index === chunks.length - 1 ? Infinity : offset * secondsPerByte;
    const alignment = toAlignment(clocked(timings.filter((timing) => timing.start >= from && timing.start < to), from, clock));
    const line = { audio_base64: chunk.toString('base64'), alignment, normalized_alignment: alignment };
    return { data: Buffer.concat([json(line), Buffer.from('\n')]), audio: chunk, raw: false };
  });
  return cutInsideLines(lines, chunkSize);
}

export function ttsPieces(variant: TtsVariant, text: string, audio: Buffer, chunkSize: number, clock: TimestampClock = 'absolute'): Piece[] {
  if (variant.stream && variant.timestamps) return timestampLines(text, audio, chunkSize, clock);
  if (variant.stream) return split(audio, chunkSize).map((chunk) => ({ data: chunk, audio: chunk, raw: true }));
  if (variant.timestamps) {
    const alignment = toAlignment(evenTimings(text, durationOf(audio)));
    const body = { audio_base64: audio.toString('base64'), alignment, normalized_alignment: alignment };
    return [{ data: json(body), audio, raw: false }];
  }
  return [{ data: audio, audio, raw: true }];
}
