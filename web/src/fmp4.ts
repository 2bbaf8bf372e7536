import type { FrameBatch, Mp3FrameHeader } from './mp3-frames.js';

/**
 * Wraps MP3 frames in fragmented MP4 (ISO BMFF) for browsers whose Media Source Extensions take
 * `audio/mp4; codecs="mp3"` but not raw `audio/mpeg`. The frames themselves are not touched:
 * an init segment (`ftyp` + `moov` with one `mp4a` track whose `esds` names MPEG audio) comes
 * first, then one `moof` + `mdat` fragment per batch, one sample per frame.
 */

export const FMP4_MP3_MIME = 'audio/mp4; codecs="mp3"';

/** ISO/IEC 14496-1 object types: MPEG-1 audio, and MPEG-2 audio for the low sample rates. */
const OBJECT_TYPE_MPEG1_AUDIO = 0x6b;
const OBJECT_TYPE_MPEG2_AUDIO = 0x69;
const TRACK_ID = 1;
const UNITY_MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];

export class Fmp4Muxer {
  readonly #format: Mp3FrameHeader;
  #sequence = 0;
  /** Decode time of the next fragment, in samples at the stream's sample rate. */
  #decodeTime = 0;

  constructor(format: Mp3FrameHeader) {
    this.#format = format;
  }

  /** `ftyp` + `moov`: what a SourceBuffer needs before the first fragment. */
  init(): Uint8Array {
    const { sampleRate } = this.#format;
    const ftyp = box('ftyp', ascii('isom'), u32(0x200), ascii('isom'), ascii('iso6'), ascii('mp41'));
    const mvhd = fullBox('mvhd', 0, 0, u32(0), u32(0), u32(1000), u32(0), u32(0x00010000), u16(0x0100), zeros(10), ...UNITY_MATRIX.map(u32), zeros(24), u32(TRACK_ID + 1));
    const tkhd = fullBox('tkhd', 0, 3, u32(0), u32(0), u32(TRACK_ID), u32(0), u32(0), zeros(8), u16(0), u16(0), u16(0x0100), u16(0), ...UNITY_MATRIX.map(u32), u32(0), u32(0));
    // Language "und", packed as three 5-bit letters.
    const mdhd = fullBox('mdhd', 0, 0, u32(0), u32(0), u32(sampleRate), u32(0), u16(0x55c4), u16(0));
    const hdlr = fullBox('hdlr', 0, 0, u32(0), ascii('soun'), zeros(12), ascii('SoundHandler\0'));
    const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
    const stbl = box(
      'stbl',
      fullBox('stsd', 0, 0, u32(1), this.#sampleEntry()),
      fullBox('stts', 0, 0, u32(0)),
      fullBox('stsc', 0, 0, u32(0)),
      fullBox('stsz', 0, 0, u32(0), u32(0)),
      fullBox('stco', 0, 0, u32(0)),
    );
    const minf = box('minf', fullBox('smhd', 0, 0, u16(0), u16(0)), dinf, stbl);
    const trak = box('trak', tkhd, box('mdia', mdhd, hdlr, minf));
    const trex = fullBox('trex', 0, 0, u32(TRACK_ID), u32(1), u32(this.#format.samples), u32(0), u32(0));
    return concat([ftyp, box('moov', mvhd, trak, box('mvex', trex))]);
  }

  /** One `moof` + `mdat` holding the batch's frames, timed right after the previous fragment. */
  fragment(batch: Pick<FrameBatch, 'data' | 'sizes'>): Uint8Array {
    this.#sequence += 1;
    const count = batch.sizes.length;
    const duration = this.#format.samples;
    const samples = batch.sizes.flatMap((size) => [u32(duration), u32(size)]);
    const trun = (dataOffset: number): Uint8Array => fullBox('trun', 0, 0x000301, u32(count), u32(dataOffset), ...samples);
    // Decode times beyond 2^32 samples (a day of audio) would need the high word; split it anyway.
    const tfdt = fullBox('tfdt', 1, 0, u32(Math.floor(this.#decodeTime / 2 ** 32)), u32(this.#decodeTime >>> 0));
    const build = (dataOffset: number): Uint8Array =>
      box('moof', fullBox('mfhd', 0, 0, u32(this.#sequence)), box('traf', fullBox('tfhd', 0, 0x020000, u32(TRACK_ID)), tfdt, trun(dataOffset)));
    // The data offset counts from the start of the moof (default-base-is-moof) to the first frame.
    const moofLength = build(0).byteLength;
    const moof = build(moofLength + 8);
    const mdat = new Uint8Array(8 + batch.data.byteLength);
    new DataView(mdat.buffer).setUint32(0, mdat.byteLength);
    mdat.set(ascii('mdat'), 4);
    mdat.set(batch.data, 8);
    this.#decodeTime += count * duration;
    return concat([moof, mdat]);
  }

  /** `mp4a` with an `esds` naming MPEG audio: the form ffmpeg writes and Firefox reads. */
  #sampleEntry(): Uint8Array {
    const { sampleRate, channels, mpeg1, bitrateKbps } = this.#format;
    const bitrate = bitrateKbps * 1000;
    const decoderConfig = descriptor(0x04, [u8(mpeg1 ? OBJECT_TYPE_MPEG1_AUDIO : OBJECT_TYPE_MPEG2_AUDIO), u8((0x05 << 2) | 1), u24(0), u32(bitrate), u32(bitrate)]);
    const slConfig = descriptor(0x06, [u8(0x02)]);
    const esDescriptor = descriptor(0x03, [u16(TRACK_ID), u8(0), decoderConfig, slConfig]);
    return box('mp4a', zeros(6), u16(1), zeros(8), u16(channels), u16(16), u16(0), u16(0), u32(sampleRate * 0x10000), fullBox('esds', 0, 0, esDescriptor));
  }
}

/** An ISO BMFF box: 32-bit size, four-character type, payload. */
export function box(type: string, ...parts: Uint8Array[]): Uint8Array {
  const payload = concat(parts);
  const out = new Uint8Array(8 + payload.byteLength);
  new DataView(out.buffer).setUint32(0, out.byteLength);
  out.set(ascii(type), 4);
  out.set(payload, 8);
  return out;
}

function fullBox(type: string, version: number, flags: number, ...parts: Uint8Array[]): Uint8Array {
  return box(type, u8(version), u24(flags), ...parts);
}

/** An MPEG-4 descriptor: tag, length (one byte suffices for everything written here), body. */
function descriptor(tag: number, parts: Uint8Array[]): Uint8Array {
  const body = concat(parts);
  return concat([u8(tag), u8(body.byteLength), body]);
}

function u8(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff);
}

function u16(value: number): Uint8Array {
  return Uint8Array.of((value >>> 8) & 0xff, value & 0xff);
}

function u24(value: number): Uint8Array {
  return Uint8Array.of((value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

function zeros(length: number): Uint8Array {
  return new Uint8Array(length);
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
