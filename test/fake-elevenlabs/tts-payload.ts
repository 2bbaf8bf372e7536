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
 * Re-cuts the body so every write ends inside a JSON line, as a network may split it: write i
 * is the rest of line i and the first half of line i+1. Line i still completes with write i, as
 * raw chunk i would on /stream, so timings cost the client no extra wait here.
 */
function cutInsideLines(lines: readonly Piece[]): Piece[] {
  const half = (line: Piece | undefined): number => Math.floor((line?.data.length ?? 0) / 2);
  return lines.map((line, index) => {
    const next = lines[index + 1];
    const rest = line.data.subarray(index === 0 ? 0 : half(line));
    const head = next ? next.data.subarray(0, half(next)) : Buffer.alloc(0);
    return { data: Buffer.concat([rest, head]), audio: line.audio, raw: false };
  });
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
  return cutInsideLines(lines);
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
