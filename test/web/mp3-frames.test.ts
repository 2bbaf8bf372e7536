import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isInfoFrame, Mp3Framer, readFrameHeader, type FrameBatch } from '../../web/src/mp3-frames.js';
import { AUDIO_FIXTURES } from '../fake-elevenlabs/index.js';

/** Feeds `bytes` to a fresh framer in pieces cut at `cuts`; returns every batch it handed back. */
function frame(bytes: Uint8Array, cuts: number[] = []): { batches: FrameBatch[]; framer: Mp3Framer } {
  const framer = new Mp3Framer();
  const batches: FrameBatch[] = [];
  const points = [...new Set(cuts.filter((cut) => cut > 0 && cut < bytes.length))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, bytes.length]) {
    const batch = framer.push(bytes.subarray(from, to));
    if (batch) batches.push(batch);
    from = to;
  }
  return { batches, framer };
}

const joined = (batches: FrameBatch[]): Buffer => Buffer.concat(batches.map((batch) => batch.data));
const sizes = (batches: FrameBatch[]): number[] => batches.flatMap((batch) => batch.sizes);
const consumed = (batches: FrameBatch[]): number => batches.reduce((sum, batch) => sum + batch.consumed, 0);

/** An ID3v2.4 tag of `size` body bytes; the size is syncsafe (7 bits per byte). */
function id3v2(size: number): Buffer {
  const header = Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]);
  // The body holds bytes that look like frame syncs, which the framer must not mistake for audio.
  return Buffer.concat([header, Buffer.alloc(size, 0xff)]);
}

/** A copy of the fixture's first frame whose main data says "Info": what LAME writes for CBR. */
function infoFrame(): Buffer {
  const header = readFrameHeader(AUDIO_FIXTURES.hello)!;
  const frame = Buffer.alloc(header.length);
  AUDIO_FIXTURES.hello.copy(frame, 0, 0, 4);
  frame.write('Info', 4 + 17, 'latin1');
  return frame;
}

describe('MP3 frame headers', () => {
  it('reads the fixtures as MPEG-1 Layer III, 44.1 kHz, mono, 128 kbit/s', () => {
    const header = readFrameHeader(AUDIO_FIXTURES.hello);
    expect(header).toEqual({ length: 417, sampleRate: 44100, samples: 1152, channels: 1, mpeg1: true, bitrateKbps: 128 });
    // 144 × 128000 / 44100 = 417.96: a padded frame is one byte longer.
    expect(readFrameHeader(Uint8Array.of(0xff, 0xfb, 0x92, 0xc4))?.length).toBe(418);
  });

  it('reads MPEG-2 Layer III (the low sample rates) with 576 samples a frame', () => {
    // 0xF3: MPEG-2, Layer III, no CRC; 0x80: 64 kbit/s, 22.05 kHz; 0x00: stereo.
    expect(readFrameHeader(Uint8Array.of(0xff, 0xf3, 0x80, 0x00))).toEqual({ length: 208, sampleRate: 22050, samples: 576, channels: 2, mpeg1: false, bitrateKbps: 64 });
  });

  it('refuses what is not a Layer III header', () => {
    expect(readFrameHeader(Uint8Array.of(0x49, 0x44, 0x33, 0x04))).toBeUndefined(); // "ID3"
    expect(readFrameHeader(Uint8Array.of(0xff, 0xfd, 0x90, 0xc4))).toBeUndefined(); // Layer II
    expect(readFrameHeader(Uint8Array.of(0xff, 0xeb, 0x90, 0xc4))).toBeUndefined(); // reserved version
    expect(readFrameHeader(Uint8Array.of(0xff, 0xfb, 0x00, 0xc4))).toBeUndefined(); // free format
    expect(readFrameHeader(Uint8Array.of(0xff, 0xfb, 0xf0, 0xc4))).toBeUndefined(); // bad bitrate
    expect(readFrameHeader(Uint8Array.of(0xff, 0xfb, 0x9c, 0xc4))).toBeUndefined(); // reserved rate
    expect(readFrameHeader(Uint8Array.of(0xff, 0xfb, 0x90))).toBeUndefined(); // too short
  });

  it('recognises Xing, Info and VBRI frames and nothing else', () => {
    const frame = infoFrame();
    expect(isInfoFrame(frame, 0, readFrameHeader(frame)!)).toBe(true);
    frame.write('Xing', 21, 'latin1');
    expect(isInfoFrame(frame, 0, readFrameHeader(frame)!)).toBe(true);
    const vbri = Buffer.from(infoFrame().fill(0, 4));
    vbri.write('VBRI', 36, 'latin1');
    expect(isInfoFrame(vbri, 0, readFrameHeader(vbri)!)).toBe(true);
    expect(isInfoFrame(AUDIO_FIXTURES.hello, 0, readFrameHeader(AUDIO_FIXTURES.hello)!)).toBe(false);
  });
});

describe('the MP3 framer', () => {
  it('hands back every frame of a fixture pushed whole, and nothing else', () => {
    const { batches, framer } = frame(AUDIO_FIXTURES.long);
    expect(batches).toHaveLength(1);
    expect(joined(batches).equals(AUDIO_FIXTURES.long)).toBe(true);
    expect(sizes(batches).every((size) => size === 417 || size === 418)).toBe(true);
    expect(consumed(batches)).toBe(AUDIO_FIXTURES.long.length);
    expect(framer.pendingBytes).toBe(0);
    expect(framer.format).toMatchObject({ sampleRate: 44100, channels: 1, samples: 1152 });
  });

  it('holds a frame split across chunks until its last byte arrives', () => {
    const first = readFrameHeader(AUDIO_FIXTURES.hello)!.length;
    const framer = new Mp3Framer();
    expect(framer.push(AUDIO_FIXTURES.hello.subarray(0, 2))).toBeUndefined(); // not even a header yet
    expect(framer.push(AUDIO_FIXTURES.hello.subarray(2, first - 1))).toBeUndefined();
    expect(framer.pendingBytes).toBe(first - 1);
    const batch = framer.push(AUDIO_FIXTURES.hello.subarray(first - 1, first + 10));
    expect(batch?.sizes).toEqual([first]);
    expect(Buffer.from(batch!.data).equals(AUDIO_FIXTURES.hello.subarray(0, first))).toBe(true);
    expect(framer.pendingBytes).toBe(10);
  });

  it('yields the same frames however the stream is cut', () => {
    const whole = sizes(frame(AUDIO_FIXTURES.hello).batches);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: AUDIO_FIXTURES.hello.length - 1 }), { maxLength: 80 }), (cuts) => {
        const { batches } = frame(AUDIO_FIXTURES.hello, cuts);
        expect(sizes(batches)).toEqual(whole);
        expect(joined(batches).equals(AUDIO_FIXTURES.hello)).toBe(true);
        expect(consumed(batches)).toBe(AUDIO_FIXTURES.hello.length);
      }),
      { numRuns: 200 },
    );
  });

  it('skips an ID3v2 tag and an Info frame at the start, counting them as consumed', () => {
    const tagged = Buffer.concat([id3v2(700), infoFrame(), AUDIO_FIXTURES.short]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: tagged.length - 1 }), { maxLength: 30 }), (cuts) => {
        const { batches } = frame(tagged, cuts);
        expect(joined(batches).equals(AUDIO_FIXTURES.short)).toBe(true);
        expect(consumed(batches)).toBe(tagged.length);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps a later frame that happens to say "Info": only the first frame can be an info frame', () => {
    const stream = Buffer.concat([AUDIO_FIXTURES.short, infoFrame()]);
    expect(joined(frame(stream).batches).equals(stream)).toBe(true);
  });

  it('drops an ID3v1 tag at the end and junk between frames', () => {
    const first = readFrameHeader(AUDIO_FIXTURES.short)!.length;
    const tag = Buffer.concat([Buffer.from('TAG'), Buffer.alloc(125, 0x20)]);
    const stream = Buffer.concat([AUDIO_FIXTURES.short.subarray(0, first), Buffer.from('junk!'), AUDIO_FIXTURES.short.subarray(first), tag]);
    const { batches } = frame(stream, [first + 2, 3000, stream.length - 60]);
    expect(joined(batches).equals(AUDIO_FIXTURES.short)).toBe(true);
  });
});
