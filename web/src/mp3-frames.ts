/**
 * Cuts an MP3 byte stream into whole MPEG audio frames as it arrives. Frames are
 * self-delimiting: each 4-byte header gives the frame's length, so a frame split across two
 * network chunks is held back until its last byte is here. Only Layer III is recognised, which
 * is what every MP3 output format of the upstream is.
 */

const BITRATES_KBPS = {
  v1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0],
  v2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0],
};
const SAMPLE_RATES = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] } as const;

export interface Mp3FrameHeader {
  /** Whole frame, header included, in bytes. */
  length: number;
  sampleRate: number;
  /** PCM samples per channel the frame decodes to: 1152 (MPEG-1) or 576 (MPEG-2 and 2.5). */
  samples: number;
  channels: 1 | 2;
  /** MPEG-1 (32 to 48 kHz) rather than MPEG-2 or 2.5 (the low sample rates). */
  mpeg1: boolean;
  bitrateKbps: number;
}

/** The Layer III frame header at `offset`, or undefined when the bytes there are not one. */
export function readFrameHeader(bytes: Uint8Array, offset = 0): Mp3FrameHeader | undefined {
  if (offset + 4 > bytes.length) return undefined;
  const b1 = bytes[offset + 1]!;
  const b2 = bytes[offset + 2]!;
  const b3 = bytes[offset + 3]!;
  if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 0x03;
  const layer = (b1 >> 1) & 0x03;
  if (version === 1 || layer !== 1) return undefined;
  const mpeg1 = version === 3;
  const bitrateKbps = (mpeg1 ? BITRATES_KBPS.v1 : BITRATES_KBPS.v2)[b2 >> 4]!;
  const sampleRate = SAMPLE_RATES[version as 0 | 2 | 3][(b2 >> 2) & 0x03];
  // Bitrate 0 is "free format", whose length the header cannot tell; 15 and rate 3 are reserved.
  if (!bitrateKbps || !sampleRate) return undefined;
  const samples = mpeg1 ? 1152 : 576;
  const padding = (b2 >> 1) & 0x01;
  return {
    length: Math.floor(((samples / 8) * bitrateKbps * 1000) / sampleRate) + padding,
    sampleRate,
    samples,
    channels: b3 >> 6 === 3 ? 1 : 2,
    mpeg1,
    bitrateKbps,
  };
}

/**
 * True for a Xing, Info or VBRI frame: a silent first frame that only carries the encoder's
 * table of contents and gapless hints. In MP4 the container says all that, so it is dropped
 * rather than played as a blip of silence.
 */
export function isInfoFrame(bytes: Uint8Array, offset: number, header: Mp3FrameHeader): boolean {
  // Side information follows the 4-byte header; its size depends on version and channels.
  const sideInfo = header.mpeg1 ? (header.channels === 1 ? 17 : 32) : header.channels === 1 ? 9 : 17;
  const tag = ascii(bytes, offset + 4 + sideInfo, 4);
  return tag === 'Xing' || tag === 'Info' || ascii(bytes, offset + 36, 4) === 'VBRI';
}

export interface FrameBatch {
  /** The frames, back to back. */
  data: Uint8Array;
  /** Length of each frame in `data`, in order. */
  sizes: number[];
  /** Header of the first frame ever seen: the stream's sample rate, channels and frame length. */
  format: Mp3FrameHeader;
  /** Input bytes this batch accounts for: its frames plus any tag or info frame skipped before them. */
  consumed: number;
}

/**
 * Feeds on arbitrary chunks and hands back whole frames. Skips an ID3v2 tag at the start, a
 * Xing/Info/VBRI frame, an ID3v1 tag at the end and any bytes that are not a frame (it
 * resynchronises on the next header of the same sample rate).
 */
export class Mp3Framer {
  #pending: Uint8Array = new Uint8Array(0);
  #format: Mp3FrameHeader | undefined;
  #skipped = 0;
  #started = false;

  /** The stream's format, once its first audio frame has been seen. */
  get format(): Mp3FrameHeader | undefined {
    return this.#format;
  }

  /** Adds a chunk; returns the frames it completed, or undefined when none is complete yet. */
  push(chunk: Uint8Array): FrameBatch | undefined {
    const bytes = this.#pending.byteLength === 0 ? chunk : join(this.#pending, chunk);
    let offset = 0;
    const frames: Array<[number, number]> = [];
    while (offset < bytes.length) {
      if (!this.#started) {
        const tag = id3v2Length(bytes, offset);
        if (tag === undefined) break;
        if (tag > 0) {
          if (offset + tag > bytes.length) break;
          offset += tag;
          this.#skipped += tag;
          continue;
        }
      }
      const header = readFrameHeader(bytes, offset);
      if (!header || (this.#format && header.sampleRate !== this.#format.sampleRate)) {
        if (bytes.length - offset < 4) break;
        // ID3v1 at the very end, or junk: skip byte by byte up to the next plausible header.
        this.#skipped += 1;
        offset += 1;
        continue;
      }
      if (offset + header.length > bytes.length) break;
      if (!this.#started && isInfoFrame(bytes, offset, header)) {
        this.#started = true;
        this.#skipped += header.length;
        offset += header.length;
        continue;
      }
      this.#started = true;
      this.#format ??= header;
      frames.push([offset, header.length]);
      offset += header.length;
    }
    this.#pending = bytes.slice(offset);
    if (frames.length === 0 || !this.#format) return undefined;
    const first = frames[0]![0];
    const [lastOffset, lastLength] = frames[frames.length - 1]!;
    const sizes = frames.map(([, length]) => length);
    const total = sizes.reduce((sum, length) => sum + length, 0);
    // Frames are contiguous unless junk sat between them; copy only in that rare case.
    const data = total === lastOffset + lastLength - first ? bytes.subarray(first, lastOffset + lastLength) : gather(bytes, frames, total);
    const consumed = total + this.#skipped;
    this.#skipped = 0;
    return { data, sizes, format: this.#format, consumed };
  }

  /** Bytes held back because they do not make a whole frame yet. */
  get pendingBytes(): number {
    return this.#pending.byteLength;
  }
}

/** Length of an ID3v2 tag at `offset` (0 when there is none), undefined when too few bytes to tell. */
function id3v2Length(bytes: Uint8Array, offset: number): number | undefined {
  if (bytes.length - offset < 10) return bytes[offset] === 0x49 ? undefined : 0;
  if (ascii(bytes, offset, 3) !== 'ID3') return 0;
  let size = 0;
  for (let i = 6; i < 10; i += 1) size = (size << 7) | (bytes[offset + i]! & 0x7f);
  const footer = bytes[offset + 5]! & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  if (offset + length > bytes.length) return '';
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

function gather(bytes: Uint8Array, frames: Array<[number, number]>, total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const [offset, length] of frames) {
    out.set(bytes.subarray(offset, offset + length), at);
    at += length;
  }
  return out;
}
