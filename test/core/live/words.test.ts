import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LiveHub } from '../../../core/live/hub.js';
import { silentLogger } from '../../../core/ports.js';
import type { WordTiming } from '../../../core/types.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../../fake-elevenlabs/index.js';
import { FakeListener, jessicaFor, recordingMetrics } from '../support/fakes.js';

let fake: FakeElevenLabs;

beforeAll(async () => {
  fake = await startFakeElevenLabs({ chunkSize: 900 });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

const TEXT = 'Every word of this sentence reaches the page with its time.';

function liveJessica() {
  let hub!: LiveHub;
  const { jessica } = jessicaFor(fake, {}, {
    live: (speech) => (hub = new LiveHub({ audio: (plan, signal) => speech.chunks(plan, signal), maxBufferedBytes: 1 << 20, logger: silentLogger, metrics: recordingMetrics() })),
  });
  return { jessica, hub };
}

function wordsOf(page: FakeListener, id: string): WordTiming[] {
  return page.frames.flatMap((frame) => (frame.kind === 'json' && frame.message.type === 'audio.words' && frame.message.id === id ? [...frame.message.words] : []));
}

/** Every words frame comes after at least one audio frame of its utterance, and before its end. */
function expectWordsFollowAudio(page: FakeListener): void {
  let audioSeen = 0;
  for (const frame of page.frames) {
    if (frame.kind === 'audio') audioSeen += frame.bytes.length;
    else if (frame.message.type === 'audio.start') audioSeen = 0;
    else if (frame.message.type === 'audio.words') expect(audioSeen).toBeGreaterThan(0);
  }
}

describe('audio.words on the live path', () => {
  it('sends every word in order with rising times, between the audio frames, beside exactly the upstream’s audio', async () => {
    const { jessica, hub } = liveJessica();
    const page = new FakeListener('page');
    hub.attach('local', page);
    const queued = await jessica.speak('local', { text: TEXT });
    expect(await queued.finished).toBe('ended');
    const sequence = page.sequence();
    expect(sequence[0]).toBe('audio.start');
    expect(sequence.at(-1)).toBe('audio.end');
    // Words are interleaved with the audio, not saved up for the end.
    expect(sequence.indexOf('audio.words')).toBeLessThan(sequence.lastIndexOf('audio'));
    expectWordsFollowAudio(page);
    expect(page.audio().equals(fake.sentAudio[0]!.bytes)).toBe(true);
    const words = wordsOf(page, queued.utterance_id);
    expect(words.map((word) => word.text).join(' ')).toBe(TEXT);
    for (const [index, word] of words.entries()) if (index > 0) expect(word.start_ms).toBeGreaterThanOrEqual(words[index - 1]!.end_ms);
  });

  it('gives a cached repeat the same audio.words', async () => {
    const { jessica, hub } = liveJessica();
    const page = new FakeListener('page');
    hub.attach('local', page);
    const first = await jessica.speak('local', { text: TEXT });
    await first.finished;
    const again = await jessica.speak('local', { text: TEXT });
    await again.finished;
    expect(fake.ttsRequests()).toHaveLength(1);
    expect(wordsOf(page, again.utterance_id)).toEqual(wordsOf(page, first.utterance_id));
    expect(wordsOf(page, again.utterance_id).length).toBeGreaterThan(5);
  });

  it('sends no words and asks the plain stream when the principal turns word_timings off', async () => {
    const { jessica, hub } = liveJessica();
    const page = new FakeListener('page');
    hub.attach('quiet', page);
    expect((await jessica.getSettings('quiet')).word_timings).toBe(true);
    await jessica.updateSettings('quiet', { word_timings: false });
    const queued = await jessica.speak('quiet', { text: TEXT });
    expect(await queued.finished).toBe('ended');
    expect(page.sequence().filter((name) => name !== 'settings')).toEqual(['audio.start', 'audio', 'audio.end']);
    expect(fake.ttsRequests()[0]?.path).toMatch(/\/stream$/);
    expect(page.audio().equals(fake.sentAudio[0]!.bytes)).toBe(true);
  });
});
