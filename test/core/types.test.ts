import { describe, expect, it } from 'vitest';
import { mimeTypeFor, OUTPUT_FORMATS } from '../../core/types.js';
import { packageVersion } from '../../core/version.js';
import { readFileSync } from 'node:fs';

describe('mimeTypeFor', () => {
  it('names the MIME type of each codec', () => {
    expect(mimeTypeFor('mp3_44100_128')).toBe('audio/mpeg');
    expect(mimeTypeFor('opus_48000_64')).toBe('audio/ogg');
    expect(mimeTypeFor('pcm_24000')).toBe('audio/L16;rate=24000;channels=1');
    expect(mimeTypeFor('ulaw_8000')).toBe('audio/basic');
    expect(mimeTypeFor('alaw_8000')).toBe('audio/x-alaw-basic');
  });

  it('offers only formats the streaming endpoint accepts', () => {
    expect(OUTPUT_FORMATS.some((format) => format.startsWith('wav_'))).toBe(false);
    for (const format of OUTPUT_FORMATS) expect(mimeTypeFor(format)).toMatch(/^audio\//);
  });
});

describe('packageVersion', () => {
  it('reads the version of the jessica package', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(packageVersion()).toBe(pkg.version);
  });
});
