/** Just enough MPEG audio parsing to time the fixtures and recognise an MP3 body. */

const BITRATES_KBPS = {
  mpeg1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  mpeg2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES = { mpeg1: [44100, 48000, 32000], mpeg2: [22050, 24000, 16000], mpeg25: [11025, 12000, 8000] };

interface FrameHeader {
  length: number;
  samples: number;
  sampleRate: number;
}

/** True when the bytes begin with an ID3v2 tag or an MPEG audio frame sync. */
export function startsLikeMp3(bytes: Uint8Array): boolean {
  const [b0, b1, b2] = [bytes[0], bytes[1], bytes[2]];
  if (b0 === 0x49 && b1 === 0x44 && b2 === 0x33) return true;
  return b0 === 0xff && b1 !== undefined && (b1 & 0xe0) === 0xe0;
}

/** Layer III frame header at `offset`, or undefined when there is none. */
function readFrame(bytes: Uint8Array, offset: number): FrameHeader | undefined {
  const b1 = bytes[offset + 1];
  const b2 = bytes[offset + 2];
  if (bytes[offset] !== 0xff || b1 === undefined || b2 === undefined || (b1 & 0xe0) !== 0xe0) return undefined;
  const versionBits = (b1 >> 3) & 0x03;
  const layerBits = (b1 >> 1) & 0x03;
  if (versionBits === 1 || layerBits !== 1) return undefined;
  const version = versionBits === 3 ? 'mpeg1' : versionBits === 2 ? 'mpeg2' : 'mpeg25';
  const bitrate = BITRATES_KBPS[version === 'mpeg1' ? 'mpeg1' : 'mpeg2'][b2 >> 4];
  const sampleRate = SAMPLE_RATES[version][(b2 >> 2) & 0x03];
  if (!bitrate || !sampleRate) return undefined;
  const padding = (b2 >> 1) & 0x01;
  const samples = version === 'mpeg1' ? 1152 : 576;
  return { length: Math.floor(((samples / 8) * bitrate * 1000) / sampleRate) + padding, samples, sampleRate };
}

function id3Length(bytes: Uint8Array): number {
  if (bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return 0;
  const size = [6, 7, 8, 9].reduce((sum, i) => (sum << 7) | ((bytes[i] ?? 0) & 0x7f), 0);
  return 10 + size;
}

/**
 * Playing time of an MP3 in seconds, summed frame by frame. Returns undefined for bytes that
 * are not a Layer III stream (a custom `audio` option may serve anything).
 */
export function mp3DurationSeconds(bytes: Uint8Array): number | undefined {
  let offset = id3Length(bytes);
  let seconds = 0;
  let frames = 0;
  while (offset < bytes.length) {
    const frame = readFrame(bytes, offset);
    if (!frame) break;
    seconds += frame.samples / frame.sampleRate;
    offset += frame.length;
    frames += 1;
  }
  return frames > 0 ? seconds : undefined;
}
