import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { timedLines } from '../../core/elevenlabs/client.js';
import type { SpeechChunk, WordTiming } from '../../core/types.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { clientFor, jessicaFor, longText, recordingMetrics } from './support/fakes.js';

let fake: FakeElevenLabs;

beforeAll(async () => {
  // Small lines, written in pieces that end inside them: words straddle lines and lines straddle writes.
  fake = await startFakeElevenLabs({ chunkSize: 700 });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

async function drain(chunks: AsyncIterable<SpeechChunk>): Promise<{ audio: Buffer; words: WordTiming[]; chunks: SpeechChunk[] }> {
  const all: SpeechChunk[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return { audio: Buffer.concat(all.map((chunk) => chunk.audio)), words: all.flatMap((chunk) => [...chunk.words]), chunks: all };
}

function expectRising(words: readonly WordTiming[]): void {
  for (const [index, word] of words.entries()) {
    expect(word.end_ms).toBeGreaterThanOrEqual(word.start_ms);
    if (index > 0) expect(word.start_ms).toBeGreaterThanOrEqual(words[index - 1]!.end_ms);
  }
}

const TEXT = 'Jessica reads this sentence aloud, word by word, for a listener.';

describe('the with-timestamps stream', () => {
  it('hands on each line as soon as its newline arrives, however the bytes are cut', async () => {
    const line = (n: number) => `${JSON.stringify({ audio_base64: Buffer.from([n, n]).toString('base64'), alignment: null, normalized_alignment: null })}\n`;
    const body = Buffer.from(line(1) + line(2) + line(3).trimEnd());
    const seen: string[] = [];
    async function* cuts(): AsyncGenerator<Uint8Array> {
      for (let offset = 0; offset < body.length; offset += 7) {
        seen.push(`cut ${offset}`);
        yield body.subarray(offset, offset + 7);
      }
    }
    const lines: number[] = [];
    for await (const chunk of timedLines(cuts())) {
      lines.push(chunk.audio[0]!);
      seen.push(`line ${chunk.audio[0]}`);
    }
    expect(lines).toEqual([1, 2, 3]);
    // Line 1 is out before the cut that starts line 3 has been read.
    const firstEnd = line(1).length;
    expect(seen.indexOf('line 1')).toBeLessThan(seen.indexOf(`cut ${Math.ceil((firstEnd + line(2).length) / 7) * 7}`));
  });

  it('turns a malformed line into upstream_error, and a malformed alignment into no timings', async () => {
    async function* of(text: string): AsyncGenerator<Uint8Array> {
      yield Buffer.from(text);
    }
    await expect(drainLines(timedLines(of('{"audio_base64": "AA=="\nnot json\n')))).rejects.toMatchObject({ code: 'upstream_error' });
    const lines = await drainLines(timedLines(of('{"audio_base64":"AQI=","alignment":{"characters":["a"],"character_start_times_seconds":[],"character_end_times_seconds":[0]}}\n')));
    expect(lines).toEqual([{ audio: new Uint8Array([1, 2]), alignment: undefined }]);
  });

  it('prefers alignment and falls back to normalized_alignment', async () => {
    const normalized = { characters: ['t', 'w', 'o'], character_start_times_seconds: [0, 0.1, 0.2], character_end_times_seconds: [0.1, 0.2, 0.3] };
    async function* of(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(`${JSON.stringify({ audio_base64: 'AA==', alignment: null, normalized_alignment: normalized })}\n`);
    }
    expect((await drainLines(timedLines(of())))[0]?.alignment).toEqual(normalized);
  });

  it('gives the upstream’s exact audio from the client, with alignments', async () => {
    const upstream = await clientFor(fake).streamWithTimestamps({
      text: TEXT,
      voiceId: 'cgSgspJ2msm6clMCkdW9',
      modelId: 'eleven_flash_v2_5',
      outputFormat: 'mp3_44100_128',
      voiceSettings: { stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1 },
    });
    const lines = await drainLines(upstream.chunks);
    expect(lines.length).toBeGreaterThan(3);
    expect(Buffer.concat(lines.map((line) => line.audio)).equals(fake.sentAudio[0]!.bytes)).toBe(true);
    expect(lines.map((line) => line.alignment?.characters.join('') ?? '').join('')).toBe(TEXT);
    expect(fake.ttsRequests()[0]?.path).toMatch(/\/stream\/with-timestamps$/);
  });
});

async function drainLines<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('speech with word timings', () => {
  it('streams every word in order with rising times beside exactly the upstream’s audio', async () => {
    const { jessica } = jessicaFor(fake);
    const plan = await jessica.speech.plan('local', { text: TEXT });
    expect(plan.wordTimings).toBe(true);
    const { audio, words, chunks } = await drain(jessica.speech.chunks(plan));
    expect(audio.equals(fake.sentAudio[0]!.bytes)).toBe(true);
    expect(words.map((word) => word.text).join(' ')).toBe(TEXT);
    expectRising(words);
    // Words arrive with the audio, not all at the end.
    expect(chunks.findIndex((chunk) => chunk.words.length > 0)).toBeLessThan(chunks.length - 2);
  });

  it('reads the same words whether the upstream’s times are absolute or restart with every line', async () => {
    const { jessica } = jessicaFor(fake);
    const absolute = await drain(jessica.speech.chunks(await jessica.speech.plan('a', { text: TEXT })));
    fake.configure({ timestampClock: 'per-line' });
    const { jessica: other } = jessicaFor(fake);
    const perLine = await drain(other.speech.chunks(await other.speech.plan('b', { text: TEXT })));
    expect(perLine.words.map((word) => word.text)).toEqual(absolute.words.map((word) => word.text));
    for (const [index, word] of perLine.words.entries()) {
      expect(Math.abs(word.start_ms - absolute.words[index]!.start_ms)).toBeLessThanOrEqual(2);
      expect(Math.abs(word.end_ms - absolute.words[index]!.end_ms)).toBeLessThanOrEqual(2);
    }
  });

  it.each(['absolute', 'per-line'] as const)('continues the times across the parts of a long stitched text (%s clock)', async (clock) => {
    fake.configure({ timestampClock: clock });
    const { jessica } = jessicaFor(fake);
    const plan = await jessica.speech.plan('local', { text: longText(240), model: 'eleven_multilingual_v2' });
    expect(plan.parts.length).toBe(2);
    const { audio, words } = await drain(jessica.speech.chunks(plan));
    expect(audio.equals(Buffer.concat(fake.sentAudio.map((sent) => sent.bytes)))).toBe(true);
    expect(words.map((word) => word.text).join(' ')).toBe(plan.parts.join(' '));
    expectRising(words);
    const firstOfSecond = words[plan.parts[0]!.split(' ').length]!;
    const lastOfFirst = words[plan.parts[0]!.split(' ').length - 1]!;
    expect(firstOfSecond.start_ms).toBeGreaterThanOrEqual(lastOfFirst.end_ms);
  });

  it('caches the words with the audio: a repeat gets the same chunks and words with no upstream call', async () => {
    const metrics = recordingMetrics();
    const { jessica } = jessicaFor(fake, {}, { metrics });
    const first = await drain(jessica.speech.chunks(await jessica.speech.plan('local', { text: TEXT })));
    const again = await drain(jessica.speech.chunks(await jessica.speech.plan('local', { text: TEXT })));
    expect(fake.ttsRequests()).toHaveLength(1);
    expect(metrics.counts.get('CacheHits')).toBe(1);
    expect(again.chunks).toEqual(first.chunks);
  });

  it('uses the plain stream with word_timings off, and makes the audio again with timings when they are asked for later', async () => {
    const { jessica } = jessicaFor(fake);
    await jessica.updateSettings('quiet', { word_timings: false });
    const plan = await jessica.speech.plan('quiet', { text: TEXT });
    expect(plan.wordTimings).toBe(false);
    const plain = await drain(jessica.speech.chunks(plan));
    expect(plain.words).toEqual([]);
    expect(fake.ttsRequests()[0]?.path).toMatch(/\/stream$/);
    const timed = await drain(jessica.speech.chunks({ ...plan, wordTimings: true }));
    expect(timed.words.length).toBeGreaterThan(0);
    expect(timed.audio.equals(plain.audio)).toBe(true);
    expect(fake.ttsRequests()).toHaveLength(2);
    // Now cached with its words, the plain request is a cache hit too.
    await drain(jessica.speech.chunks(plan));
    expect(fake.ttsRequests()).toHaveLength(2);
  });
});
