import { JessicaError } from '../errors.js';
import type { SpeechChunk } from '../types.js';

export const NDJSON = 'application/x-ndjson';

/**
 * Whether a `/tts/stream` caller asked for the words with the audio: `?timestamps=true`, or an
 * `Accept` of newline-delimited JSON. An explicit `timestamps=false` wins over the header.
 */
export function wantsTimestamps(query: URLSearchParams, accept: string | undefined): boolean {
  const value = query.get('timestamps');
  if (value !== null) {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw new JessicaError('invalid_request', 'timestamps must be true or false.');
  }
  return (accept ?? '')
    .split(',')
    .some((item) => item.split(';')[0]?.trim().toLowerCase() === NDJSON);
}

/** One line per chunk, `{audio_base64, words}`, each sent as soon as its audio is here. */
export async function* ndjsonLines(chunks: AsyncIterable<SpeechChunk>): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  for await (const chunk of chunks) {
    const line = { audio_base64: Buffer.from(chunk.audio.buffer, chunk.audio.byteOffset, chunk.audio.byteLength).toString('base64'), words: chunk.words };
    yield encoder.encode(`${JSON.stringify(line)}\n`);
  }
}
