import { readFileSync } from 'node:fs';

/** The committed MP3s in test/fixtures/audio, read once. */

function read(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/audio/${name}.mp3`, import.meta.url));
}

export const AUDIO_FIXTURES: Readonly<{ hello: Buffer; short: Buffer; long: Buffer }> = Object.freeze({
  hello: read('hello'),
  short: read('short'),
  long: read('long'),
});

/** What the fake says when no `audio` option is set. */
export function defaultAudio(text: string): Buffer {
  return text.length <= 8 ? AUDIO_FIXTURES.short : AUDIO_FIXTURES.hello;
}
