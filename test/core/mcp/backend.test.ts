import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LiveHub } from '../../../core/live/hub.js';
import { backendFromJessica } from '../../../core/mcp/backend.js';
import { silentLogger } from '../../../core/ports.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../../fake-elevenlabs/index.js';
import { FakeListener, jessicaFor, recordingMetrics, rejectionOf } from '../support/fakes.js';

let fake: FakeElevenLabs;

beforeAll(async () => {
  fake = await startFakeElevenLabs();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

function withHub() {
  let hub!: LiveHub;
  const { jessica } = jessicaFor(fake, {}, {
    live: (speech) => (hub = new LiveHub({ audio: (plan, signal) => speech.audio(plan, signal), maxBufferedBytes: 1 << 20, logger: silentLogger, metrics: recordingMetrics() })),
  });
  return { jessica, hub };
}

describe('backendFromJessica', () => {
  it('returns as soon as speech is queued when not asked to wait', async () => {
    const { jessica, hub } = withHub();
    hub.attach('alice', new FakeListener('page'));
    const held = fake.hold();
    const spoken = await backendFromJessica(jessica).speak('alice', { text: 'Queued, not yet played.' }, { wait: false });
    expect(spoken).toEqual({ utterance_id: expect.stringMatching(/^utt_/), listeners: 1 });
    held.release();
    await hub.idle();
  });

  it('reports played false, without waiting for the page, when speech was stopped', async () => {
    const { jessica, hub } = withHub();
    hub.attach('alice', new FakeListener('page'));
    const held = fake.hold();
    const backend = backendFromJessica(jessica);
    const spoken = backend.speak('alice', { text: 'This will be stopped.' }, { wait: true });
    await expect.poll(() => fake.sentAudio.length).toBe(1);
    await backend.stop('alice');
    held.release();
    expect(await spoken).toMatchObject({ listeners: 1, played: false });
  });

  it('passes no_listeners on, for the tool to fall back to inline audio', async () => {
    const { jessica } = withHub();
    expect(await rejectionOf(backendFromJessica(jessica).speak('alice', { text: 'Hi.' }, { wait: false }))).toMatchObject({ code: 'no_listeners' });
  });

  it('describes synthesised audio for the tool', async () => {
    const { jessica } = withHub();
    const result = await backendFromJessica(jessica).textToSpeech('alice', { text: 'Hello there, friend.', voice: 'george' });
    expect(result).toMatchObject({ mime: 'audio/mpeg', characters: 'Hello there, friend.'.length, voice: 'George', utterance_id: expect.stringMatching(/^utt_/) });
    expect(Buffer.from(result.audio).equals(fake.sentAudio[0]!.bytes)).toBe(true);
  });
});
