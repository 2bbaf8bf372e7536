import { describe, expect, it, vi } from 'vitest';
import { LiveHub, noMetrics, silentLogger, type ListenerConnection, type ServerMessage, type SpeechPlan } from '../../core/index.js';
import { RemoteFeed } from '../../fargate/pubsub/feed.js';
import { bufferToFrame, frameToBuffer, FrameError, type Frame } from '../../fargate/pubsub/frames.js';

class Page implements ListenerConnection {
  readonly id: string;
  readonly frames: Array<ServerMessage | Uint8Array> = [];
  constructor(id: string) {
    this.id = id;
  }
  sendJson(message: ServerMessage): void {
    this.frames.push(message);
  }
  sendAudio(bytes: Uint8Array): void {
    this.frames.push(bytes);
  }
  bufferedBytes(): number {
    return 0;
  }
  close(): void {}
  json(type: string): ServerMessage[] {
    return this.frames.filter((frame): frame is ServerMessage => !(frame instanceof Uint8Array) && frame.type === type);
  }
  audio(): number[] {
    return this.frames.flatMap((frame) => (frame instanceof Uint8Array ? [...frame] : []));
  }
}

const plan: SpeechPlan = {
  utteranceId: 'utt_remote',
  text: 'From another task.',
  parts: ['From another task.'],
  voiceId: 'cgSgspJ2msm6clMCkdW9',
  voiceName: 'Jessica',
  modelId: 'eleven_flash_v2_5',
  outputFormat: 'mp3_44100_128',
  mime: 'audio/mpeg',
  voiceSettings: { stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1 },
  characters: 18,
  wordTimings: false,
};

function hubWithPage(): { hub: LiveHub; page: Page } {
  const hub = new LiveHub({
    audio: () => {
      throw new Error('a remote utterance must not be synthesised here');
    },
    maxBufferedBytes: 1024,
    logger: silentLogger,
    metrics: noMetrics,
  });
  const page = new Page('page');
  hub.attach('alice', page);
  return { hub, page };
}

describe('RemoteFeed into the local hub', () => {
  it('plays audio from another task in order and ends it with the byte count', async () => {
    const { hub, page } = hubWithPage();
    const feed = new RemoteFeed({ maxBufferedBytes: 1024, idleTimeoutMs: 5_000 });
    const queued = await hub.speak('alice', plan, { audio: (signal) => feed.read(signal) });
    feed.push(0, new Uint8Array([1, 2]));
    feed.push(1, new Uint8Array([3]));
    feed.end(2, 3);
    expect(await queued.finished).toBe('ended');
    expect(page.json('audio.start')[0]).toMatchObject({ id: 'utt_remote', text: 'From another task.', mime: 'audio/mpeg' });
    expect(page.audio()).toEqual([1, 2, 3]);
    expect(page.json('audio.end')).toEqual([{ type: 'audio.end', id: 'utt_remote', bytes: 3 }]);
  });

  it('cuts the utterance with audio.error once more than the cap waits for the hub', async () => {
    const feed = new RemoteFeed({ maxBufferedBytes: 4, idleTimeoutMs: 5_000 });
    feed.push(0, new Uint8Array(3));
    expect(feed.bufferedBytes).toBe(3);
    feed.push(1, new Uint8Array(3));
    expect(feed.settled).toBe(true);
    expect(feed.bufferedBytes).toBe(0);
    const { hub, page } = hubWithPage();
    const queued = await hub.speak('alice', plan, { audio: (signal) => feed.read(signal) });
    expect(await queued.finished).toBe('failed');
    expect(page.json('audio.error')).toEqual([{ type: 'audio.error', id: 'utt_remote', code: 'live_channel_unavailable', message: expect.any(String) }]);
  });

  it('fails on a gap in the chunk sequence instead of playing around it', async () => {
    const feed = new RemoteFeed({ maxBufferedBytes: 1024, idleTimeoutMs: 5_000 });
    feed.push(0, new Uint8Array([1]));
    feed.push(2, new Uint8Array([3]));
    const { hub, page } = hubWithPage();
    const queued = await hub.speak('alice', plan, { audio: (signal) => feed.read(signal) });
    expect(await queued.finished).toBe('failed');
    expect(page.json('audio.error')[0]).toMatchObject({ code: 'live_channel_unavailable' });
  });

  it('fails when the end reports more bytes than arrived', () => {
    const feed = new RemoteFeed({ maxBufferedBytes: 1024, idleTimeoutMs: 5_000 });
    feed.push(0, new Uint8Array([1]));
    feed.end(1, 2);
    expect(feed.settled).toBe(true);
  });

  it('plays what arrived before an upstream failure, then reports the failure', async () => {
    const { hub, page } = hubWithPage();
    const feed = new RemoteFeed({ maxBufferedBytes: 1024, idleTimeoutMs: 5_000 });
    feed.push(0, new Uint8Array([7, 8]));
    feed.fail(new Error('upstream broke'), true);
    const queued = await hub.speak('alice', plan, { audio: (signal) => feed.read(signal) });
    expect(await queued.finished).toBe('failed');
    expect(page.audio()).toEqual([7, 8]);
    expect(page.json('audio.error')).toHaveLength(1);
  });

  it('gives up on a task that goes silent, unless it says it is alive', () => {
    // The clock is the test's: on a busy machine a real timer may fire late, never early, and that is not what this tests.
    vi.useFakeTimers();
    try {
      const feed = new RemoteFeed({ maxBufferedBytes: 1024, idleTimeoutMs: 80 });
      vi.advanceTimersByTime(50);
      feed.touch();
      vi.advanceTimersByTime(50);
      expect(feed.settled).toBe(false);
      vi.advanceTimersByTime(30);
      expect(feed.settled).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops reading at once when the hub aborts (stop)', async () => {
    const { hub, page } = hubWithPage();
    const feed = new RemoteFeed({ maxBufferedBytes: 1024, idleTimeoutMs: 5_000 });
    const queued = await hub.speak('alice', plan, { audio: (signal) => feed.read(signal) });
    feed.push(0, new Uint8Array([1]));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await hub.stop('alice');
    expect(await queued.finished).toBe('stopped');
    expect(page.json('audio.error')).toHaveLength(0);
    expect(page.json('stopped')).toHaveLength(1);
  });
});

describe('LiveHub hooks for a shared channel', () => {
  it('reports every change in a principal\'s listeners: attach, detach and a slow listener dropped', async () => {
    const changes: Array<[string, number]> = [];
    const hub = new LiveHub({
      audio: async function* () {
        yield new Uint8Array(8);
        yield new Uint8Array(8);
      },
      maxBufferedBytes: 1024,
      logger: silentLogger,
      metrics: noMetrics,
      onListenersChanged: (principal, count) => changes.push([principal, count]),
    });
    const fast = new Page('fast');
    const slow = Object.assign(new Page('slow'), { bufferedBytes: () => 4096 });
    hub.attach('alice', fast);
    hub.attach('alice', slow);
    hub.attach('bob', new Page('bob'));
    const queued = await hub.speak('alice', plan);
    expect(await queued.finished).toBe('ended');
    hub.detach('alice', 'slow');
    hub.detach('alice', 'fast');
    hub.detach('alice', 'fast');
    expect(changes).toEqual([
      ['alice', 1],
      ['alice', 2],
      ['bob', 1],
      ['alice', 1],
      ['alice', 0],
    ]);
  });
});

describe('frames between tasks', () => {
  const settings = {
    default_voice_id: 'cgSgspJ2msm6clMCkdW9',
    default_model_id: 'eleven_flash_v2_5',
    output_format: 'mp3_44100_128',
    voice_settings: { stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1 },
    auto_play: true,
    word_timings: true,
  } as const;
  const frames: Frame[] = [
    { type: 'start', origin: 'task_1', plan: { ...plan } },
    { type: 'chunk', id: 'utt_1', seq: 4, bytes: new Uint8Array([0, 255, 10, 13, 0]) },
    { type: 'chunk', id: 'utt_1', seq: 5, bytes: new Uint8Array([7]), words: [{ text: 'Hello,', start_ms: 0, end_ms: 310 }] },
    { type: 'end', id: 'utt_1', chunks: 5, bytes: 1234 },
    { type: 'error', id: 'utt_1', code: 'upstream_error', message: 'broke' },
    { type: 'stop', ids: ['utt_1', 'utt_2'] },
    { type: 'settings', settings },
    { type: 'played', id: 'utt_1' },
    { type: 'alive', id: 'utt_1' },
  ];

  it('round-trips every frame type, audio bytes untouched', () => {
    for (const frame of frames) {
      const decoded = bufferToFrame(frameToBuffer(frame));
      if (frame.type === 'chunk' && decoded.type === 'chunk') {
        expect([...decoded.bytes]).toEqual([...frame.bytes]);
        expect(decoded).toMatchObject({ id: frame.id, seq: frame.seq });
        expect(decoded.words).toEqual(frame.words);
      } else {
        expect(decoded).toEqual(frame);
      }
    }
  });

  it('refuses frames it cannot read', () => {
    expect(() => bufferToFrame(Buffer.from([]))).toThrow(FrameError);
    expect(() => bufferToFrame(Buffer.from([99, 0, 0, 0, 2, 123, 125]))).toThrow(FrameError);
    expect(() => bufferToFrame(Buffer.from([1, 0, 0, 0, 9, 123, 125]))).toThrow(FrameError);
    expect(() => bufferToFrame(Buffer.from([3, 0, 0, 0, 2, 123, 125]))).toThrow(FrameError);
    expect(() => bufferToFrame(Buffer.concat([Buffer.from([4, 0, 0, 0, 3]), Buffer.from('{x}')]))).toThrow(FrameError);
    const badWords = Buffer.from(JSON.stringify({ id: 'utt_1', seq: 0, words: [{ text: 1 }] }));
    expect(() => bufferToFrame(Buffer.concat([Buffer.from([2, 0, 0, 0, badWords.length]), badWords]))).toThrow(FrameError);
  });
});
