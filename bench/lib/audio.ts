import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** What the fake ElevenLabs answers every TTS request with, described so both sides can build it. */
export type AudioSpec = { fixture: 'short' | 'hello' | 'long' } | { bytes: number };

function fixture(name: 'short' | 'hello' | 'long'): Buffer {
  return readFileSync(new URL(`../../test/fixtures/audio/${name}.mp3`, import.meta.url));
}

/**
 * `{bytes}`: the long fixture (bare MPEG frames, 128 kbit/s CBR) repeated and cut to length, so
 * 480 000 bytes is 30 s of 128 kbit/s audio.
 */
export function buildAudio(spec: AudioSpec): Buffer {
  if ('fixture' in spec) return fixture(spec.fixture);
  const long = fixture('long');
  const out = Buffer.alloc(spec.bytes);
  for (let offset = 0; offset < spec.bytes; offset += long.length) long.copy(out, offset, 0, Math.min(long.length, spec.bytes - offset));
  return out;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
