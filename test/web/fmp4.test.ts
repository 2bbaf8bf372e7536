import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Fmp4Muxer } from '../../web/src/fmp4.js';
import { Mp3Framer, readFrameHeader } from '../../web/src/mp3-frames.js';
import { AUDIO_FIXTURES } from '../fake-elevenlabs/index.js';

const run = promisify(execFile);

interface Box {
  type: string;
  /** Payload after the 8-byte header. */
  body: Buffer;
  children: Box[];
}

/** Boxes whose payload is itself a list of boxes, after `skip` bytes of their own fields. */
const CONTAINERS: Record<string, number> = { moov: 0, trak: 0, mdia: 0, minf: 0, stbl: 0, dinf: 0, mvex: 0, moof: 0, traf: 0, stsd: 8, dref: 8, mp4a: 28 };

function parse(bytes: Buffer): Box[] {
  const boxes: Box[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const size = bytes.readUInt32BE(offset);
    expect(size).toBeGreaterThanOrEqual(8);
    expect(offset + size).toBeLessThanOrEqual(bytes.length);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + size);
    const skip = CONTAINERS[type];
    boxes.push({ type, body, children: skip === undefined ? [] : parse(body.subarray(skip)) });
    offset += size;
  }
  return boxes;
}

function find(boxes: Box[], path: string): Box {
  const [head, ...rest] = path.split('/');
  const found = boxes.find((box) => box.type === head);
  if (!found) throw new Error(`no ${head} among ${boxes.map((box) => box.type).join(', ')}`);
  return rest.length ? find(found.children, rest.join('/')) : found;
}

/** Muxes an MP3 the way the page does: pieces of `chunkSize` bytes, one fragment per piece that completes a frame. */
function mux(mp3: Uint8Array, chunkSize: number): { init: Buffer; fragments: Buffer[]; frames: number } {
  const framer = new Mp3Framer();
  let muxer: Fmp4Muxer | undefined;
  let init = Buffer.alloc(0);
  const fragments: Buffer[] = [];
  let frames = 0;
  for (let offset = 0; offset < mp3.length; offset += chunkSize) {
    const batch = framer.push(mp3.subarray(offset, offset + chunkSize));
    if (!batch) continue;
    if (!muxer) {
      muxer = new Fmp4Muxer(batch.format);
      init = Buffer.from(muxer.init());
    }
    fragments.push(Buffer.from(muxer.fragment(batch)));
    frames += batch.sizes.length;
  }
  return { init, fragments, frames };
}

describe('fragmented MP4 around MP3 frames', () => {
  it('starts with ftyp and a moov holding one mp4a track whose esds names MPEG-1 audio', () => {
    const { init } = mux(AUDIO_FIXTURES.hello, 4096);
    const boxes = parse(init);
    expect(boxes.map((box) => box.type)).toEqual(['ftyp', 'moov']);
    expect(find(boxes, 'ftyp').body.toString('latin1', 0, 4)).toBe('isom');
    expect(find(boxes, 'moov').children.map((box) => box.type)).toEqual(['mvhd', 'trak', 'mvex']);
    expect(find(boxes, 'moov/trak/tkhd').body.readUInt32BE(12)).toBe(1); // track id
    const mdhd = find(boxes, 'moov/trak/mdia/mdhd').body;
    expect(mdhd.readUInt32BE(12)).toBe(44100); // timescale: one tick per sample
    expect(find(boxes, 'moov/trak/mdia/hdlr').body.toString('latin1', 8, 12)).toBe('soun');
    expect(find(boxes, 'moov/trak/mdia/minf/stbl').children.map((box) => box.type)).toEqual(['stsd', 'stts', 'stsc', 'stsz', 'stco']);
    const mp4a = find(boxes, 'moov/trak/mdia/minf/stbl/stsd/mp4a').body;
    expect(mp4a.readUInt16BE(16)).toBe(1); // channels
    expect(mp4a.readUInt32BE(24) / 0x10000).toBe(44100);
    const esds = find(boxes, 'moov/trak/mdia/minf/stbl/stsd/mp4a/esds').body;
    // ES descriptor (0x03) → decoder config (0x04) with object type 0x6B and stream type audio.
    const config = esds.indexOf(0x04, 4 + 2 + 3);
    expect(esds[4]).toBe(0x03);
    expect(esds[config + 2]).toBe(0x6b);
    expect(esds[config + 3]).toBe(0x15);
    const trex = find(boxes, 'moov/mvex/trex').body;
    expect([trex.readUInt32BE(4), trex.readUInt32BE(8), trex.readUInt32BE(12)]).toEqual([1, 1, 1152]);
  });

  it('names MPEG-2 audio for the low sample rates', () => {
    const format = readFrameHeader(Uint8Array.of(0xff, 0xf3, 0x80, 0x00))!;
    const esds = find(parse(Buffer.from(new Fmp4Muxer(format).init())), 'moov/trak/mdia/minf/stbl/stsd/mp4a/esds').body;
    expect(esds.includes(Buffer.from([0x04, 13, 0x69, 0x15]))).toBe(true);
  });

  it('puts each batch in a moof + mdat: numbered, timed back to back, sample sizes and data offset matching the frames', () => {
    const { fragments, frames } = mux(AUDIO_FIXTURES.hello, 3000);
    expect(fragments.length).toBeGreaterThan(3);
    let decodeTime = 0;
    let samples = 0;
    const payloads: Buffer[] = [];
    fragments.forEach((fragment, index) => {
      const boxes = parse(fragment);
      expect(boxes.map((box) => box.type)).toEqual(['moof', 'mdat']);
      expect(find(boxes, 'moof/mfhd').body.readUInt32BE(4)).toBe(index + 1);
      const tfhd = find(boxes, 'moof/traf/tfhd').body;
      expect(tfhd.readUInt32BE(0) & 0xffffff).toBe(0x020000); // default-base-is-moof
      const tfdt = find(boxes, 'moof/traf/tfdt').body;
      expect(tfdt[0]).toBe(1);
      expect(Number(tfdt.readBigUInt64BE(4))).toBe(decodeTime);
      const trun = find(boxes, 'moof/traf/trun').body;
      const count = trun.readUInt32BE(4);
      const dataOffset = trun.readInt32BE(8);
      const sizes = Array.from({ length: count }, (_, i) => trun.readUInt32BE(12 + i * 8 + 4));
      const durations = Array.from({ length: count }, (_, i) => trun.readUInt32BE(12 + i * 8));
      expect(durations.every((duration) => duration === 1152)).toBe(true);
      const mdat = find(boxes, 'mdat').body;
      expect(dataOffset).toBe(fragment.length - mdat.length);
      expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(mdat.length);
      // Each sample is one whole frame: it starts with a frame header of exactly its size.
      let at = 0;
      for (const size of sizes) {
        expect(readFrameHeader(mdat, at)?.length).toBe(size);
        at += size;
      }
      payloads.push(mdat);
      decodeTime += count * 1152;
      samples += count;
    });
    expect(samples).toBe(frames);
    expect(Buffer.concat(payloads).equals(AUDIO_FIXTURES.hello)).toBe(true);
  });
});

const ffmpegMissing = spawnSync('ffmpeg', ['-version']).error !== undefined || spawnSync('ffprobe', ['-version']).error !== undefined;
if (ffmpegMissing && process.env['CI']) throw new Error('ffmpeg and ffprobe are needed in CI: .ci/run installs the ffmpeg package');

describe.skipIf(ffmpegMissing)(`the wrapped stream, checked by ffmpeg${ffmpegMissing ? ' (skipped: ffmpeg is not installed; apt-get install ffmpeg)' : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'jessica-fmp4-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const pcm = async (path: string): Promise<Buffer> => {
    const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', path, '-f', 's16le', '-acodec', 'pcm_s16le', '-'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  };

  it.each(['short', 'hello', 'long'] as const)('decodes %s.mp3 in fragmented MP4 to the same samples as the MP3 itself', async (name) => {
    const mp3 = AUDIO_FIXTURES[name];
    // An odd piece size, so frames keep straddling the cuts as they do on the wire.
    const { init, fragments, frames } = mux(mp3, 1531);
    const mp4Path = join(dir, `${name}.mp4`);
    const mp3Path = join(dir, `${name}.mp3`);
    writeFileSync(mp4Path, Buffer.concat([init, ...fragments]));
    writeFileSync(mp3Path, mp3);

    const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-show_streams', '-show_format', '-of', 'json', mp4Path]);
    const probe = JSON.parse(stdout) as { format: { format_name: string }; streams: Array<Record<string, unknown>> };
    expect(probe.format.format_name).toContain('mp4');
    expect(probe.streams).toHaveLength(1);
    expect(probe.streams[0]).toMatchObject({ codec_type: 'audio', codec_name: 'mp3', sample_rate: '44100', channels: 1, nb_read_packets: String(frames) });

    const [fromMp4, fromMp3] = await Promise.all([pcm(mp4Path), pcm(mp3Path)]);
    expect(fromMp3.length).toBeGreaterThan(0);
    expect(fromMp4.length).toBe(fromMp3.length);
    expect(fromMp4.equals(fromMp3)).toBe(true);
  });

  it('decodes an MP3 that starts with an ID3 tag to the samples of its frames alone', async () => {
    const tag = Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 2, 0]), Buffer.alloc(256)]);
    const { init, fragments } = mux(Buffer.concat([tag, AUDIO_FIXTURES.short]), 4096);
    const mp4Path = join(dir, 'tagged.mp4');
    const mp3Path = join(dir, 'bare.mp3');
    writeFileSync(mp4Path, Buffer.concat([init, ...fragments]));
    writeFileSync(mp3Path, AUDIO_FIXTURES.short);
    expect((await pcm(mp4Path)).equals(await pcm(mp3Path))).toBe(true);
  });
});
