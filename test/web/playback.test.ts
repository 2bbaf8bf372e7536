import { describe, expect, it } from 'vitest';
import { streamRoute } from '../../web/src/playback.js';

/** A MediaSource class as far as route picking looks at it: the types it says it takes. */
function sourceTaking(...types: string[]): typeof MediaSource {
  return { isTypeSupported: (type: string) => types.includes(type) } as unknown as typeof MediaSource;
}

const MP4_MP3 = 'audio/mp4; codecs="mp3"';

describe('picking how to stream an utterance', () => {
  it('hands raw MP3 to a MediaSource that takes audio/mpeg (Chromium, Safari on the desktop)', () => {
    const MediaSource = sourceTaking('audio/mpeg', MP4_MP3);
    expect(streamRoute('audio/mpeg', { MediaSource })).toEqual({ Source: MediaSource, managed: false, type: 'audio/mpeg', wrap: false });
  });

  it('wraps MP3 in fragmented MP4 where only audio/mp4 with mp3 is taken (Firefox)', () => {
    const MediaSource = sourceTaking(MP4_MP3, 'audio/mp4; codecs="mp4a.40.2"');
    expect(streamRoute('audio/mpeg', { MediaSource })).toEqual({ Source: MediaSource, managed: false, type: MP4_MP3, wrap: true });
    expect(streamRoute('audio/mp3', { MediaSource })?.wrap).toBe(true);
  });

  it('uses ManagedMediaSource only where MediaSource is absent (iPhone and iPad Safari)', () => {
    const ManagedMediaSource = sourceTaking('audio/mpeg');
    expect(streamRoute('audio/mpeg', { ManagedMediaSource })).toEqual({ Source: ManagedMediaSource, managed: true, type: 'audio/mpeg', wrap: false });
    const MediaSource = sourceTaking('audio/mpeg');
    expect(streamRoute('audio/mpeg', { MediaSource, ManagedMediaSource })?.Source).toBe(MediaSource);
    expect(streamRoute('audio/mpeg', { ManagedMediaSource: sourceTaking(MP4_MP3) })).toMatchObject({ managed: true, wrap: true });
  });

  it('leaves whole clips where there is no Media Source Extensions or no type that fits', () => {
    expect(streamRoute('audio/mpeg', {})).toBeUndefined();
    expect(streamRoute('audio/mpeg', { MediaSource: sourceTaking('audio/webm; codecs="opus"') })).toBeUndefined();
    // Only MP3 can be wrapped: the page has no muxer for anything else.
    expect(streamRoute('audio/ogg', { MediaSource: sourceTaking(MP4_MP3) })).toBeUndefined();
  });
});
