import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JessicaError, UpstreamError } from '../../../core/errors.js';
import { CLOSE_TOO_SLOW, LiveHub } from '../../../core/live/hub.js';
import { silentLogger } from '../../../core/ports.js';
import type { SpeechPlan } from '../../../core/speech.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../../fake-elevenlabs/index.js';
import { FakeListener, jessicaFor, planFor, recordingLogger, recordingMetrics, rejectionOf } from '../support/fakes.js';

/** Scripted audio: each plan's text names how many chunks to send; a gate can hold the next chunk. */
class ScriptedAudio {
  readonly started: string[] = [];
  readonly aborted: string[] = [];
  #gate: { promise: Promise<void>; open: () => void } | undefined;
  failOn = new Map<string, { afterChunks: number; error: unknown }>();

  /** Holds every stream before its next chunk until `open()`. */
  hold(): { open: () => void } {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.#gate = { promise, open };
    return {
      open: () => {
        this.#gate = undefined;
        open();
      },
    };
  }

  readonly audio = (plan: SpeechPlan, signal: AbortSignal): AsyncIterable<Uint8Array> => this.#chunks(plan, signal);

  async *#chunks(plan: SpeechPlan, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    this.started.push(plan.text);
    const failure = this.failOn.get(plan.text);
    for (let index = 0; index < 3; index += 1) {
      if (failure && index === failure.afterChunks) throw failure.error;
      const gate = this.#gate;
      if (gate) await Promise.race([gate.promise, aborted(signal)]);
      if (signal.aborted) {
        this.aborted.push(plan.text);
        throw signal.reason;
      }
      yield Uint8Array.of(index, plan.text.length);
    }
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

function hubWith(script = new ScriptedAudio(), maxBufferedBytes = 1_000) {
  const metrics = recordingMetrics();
  const logger = recordingLogger();
  const hub = new LiveHub({ audio: script.audio, maxBufferedBytes, logger, metrics });
  return { hub, script, metrics, logger };
}

describe('LiveHub', () => {
  it('sends start, the audio in order, then end to every listener', async () => {
    const { hub } = hubWith();
    const pages = [new FakeListener('a'), new FakeListener('b')];
    for (const page of pages) hub.attach('alice', page);
    const plan = planFor('hello');
    const queued = await hub.speak('alice', plan);
    expect(queued.listeners).toBe(2);
    expect(queued.utterance_id).toBe(plan.utteranceId);
    expect(await queued.finished).toBe('ended');
    for (const page of pages) {
      expect(page.sequence()).toEqual(['audio.start', 'audio', 'audio.end']);
      expect(page.messages('audio.start')[0]).toEqual({
        type: 'audio.start',
        id: plan.utteranceId,
        text: 'hello',
        voice_id: plan.voiceId,
        model_id: plan.modelId,
        format: plan.outputFormat,
        mime: plan.mime,
      });
      expect([...page.audio()]).toEqual([0, 5, 1, 5, 2, 5]);
      expect(page.messages('audio.end')[0]).toEqual({ type: 'audio.end', id: plan.utteranceId, bytes: 6 });
    }
  });

  it('plays two utterances one after the other, in the order they were queued', async () => {
    const { hub, script } = hubWith();
    const page = new FakeListener('a');
    hub.attach('alice', page);
    const gate = script.hold();
    const first = await hub.speak('alice', planFor('first'));
    const second = await hub.speak('alice', planFor('second'));
    expect(hub.activeUtterances).toBe(2);
    gate.open();
    expect(await Promise.all([first.finished, second.finished])).toEqual(['ended', 'ended']);
    expect(page.sequence()).toEqual(['audio.start', 'audio', 'audio.end', 'audio.start', 'audio', 'audio.end']);
    const starts = page.messages('audio.start') as Array<{ text: string }>;
    expect(starts.map((start) => start.text)).toEqual(['first', 'second']);
    expect(script.started).toEqual(['first', 'second']);
  });

  it('keeps principals apart', async () => {
    const { hub } = hubWith();
    const alicePage = new FakeListener('a');
    const bobPage = new FakeListener('b');
    hub.attach('alice', alicePage);
    hub.attach('bob', bobPage);
    await (await hub.speak('alice', planFor('for alice'))).finished;
    expect(alicePage.sequence()).toEqual(['audio.start', 'audio', 'audio.end']);
    expect(bobPage.frames).toHaveLength(0);
  });

  it('answers no_listeners (409) when nobody of the principal listens', async () => {
    const { hub } = hubWith();
    hub.attach('bob', new FakeListener('b'));
    expect(await rejectionOf(hub.speak('alice', planFor('hi')))).toMatchObject({ code: 'no_listeners', status: 409 });
    expect(await rejectionOf(hub.speak('bob', planFor('hi'), { listenerId: 'missing' }))).toMatchObject({ code: 'no_listeners' });
  });

  it('sends a listener-targeted utterance to that listener only', async () => {
    const { hub } = hubWith();
    const asker = new FakeListener('asker');
    const other = new FakeListener('other');
    hub.attach('alice', asker);
    hub.attach('alice', other);
    const queued = await hub.speak('alice', planFor('just you'), { listenerId: 'asker' });
    expect(queued.listeners).toBe(1);
    await queued.finished;
    expect(asker.sequence()).toEqual(['audio.start', 'audio', 'audio.end']);
    expect(other.frames).toHaveLength(0);
  });

  it('abandons a targeted utterance whose listener left before its turn', async () => {
    const { hub, script } = hubWith();
    const asker = new FakeListener('asker');
    hub.attach('alice', asker);
    hub.attach('alice', new FakeListener('other'));
    const gate = script.hold();
    const first = await hub.speak('alice', planFor('first'));
    const targeted = await hub.speak('alice', planFor('targeted'), { listenerId: 'asker' });
    hub.detach('alice', 'asker');
    gate.open();
    expect(await first.finished).toBe('ended');
    expect(await targeted.finished).toBe('abandoned');
    expect(await targeted.played).toBe(false);
    expect(script.started).toEqual(['first']);
  });

  it('stops the current utterance, clears the queue and tells every listener', async () => {
    const { hub, script } = hubWith();
    const page = new FakeListener('a');
    hub.attach('alice', page);
    const gate = script.hold();
    const current = await hub.speak('alice', planFor('current'));
    const queued = await hub.speak('alice', planFor('queued'));
    expect(await hub.stop('alice')).toBe(2);
    expect(await current.finished).toBe('stopped');
    expect(await queued.finished).toBe('stopped');
    expect(await current.played).toBe(false);
    expect(await queued.played).toBe(false);
    gate.open();
    await hub.idle();
    expect(script.aborted).toEqual(['current']);
    expect(script.started).toEqual(['current']);
    expect(page.sequence()).toEqual(['audio.start', 'stopped']);
    expect(page.messages('audio.error')).toEqual([]);
  });

  it('stops nothing for a principal without listeners or speech', async () => {
    const { hub } = hubWith();
    expect(await hub.stop('nobody')).toBe(0);
    const page = new FakeListener('a');
    hub.attach('alice', page);
    expect(await hub.stop('alice')).toBe(0);
    expect(page.messages()).toEqual([{ type: 'stopped' }]);
  });

  it('plays again after a stop', async () => {
    const { hub, script } = hubWith();
    const page = new FakeListener('a');
    hub.attach('alice', page);
    const gate = script.hold();
    const stopped = await hub.speak('alice', planFor('stopped'));
    await hub.stop('alice');
    gate.open();
    expect(await stopped.finished).toBe('stopped');
    expect(await (await hub.speak('alice', planFor('again'))).finished).toBe('ended');
    expect(page.sequence().slice(-3)).toEqual(['audio.start', 'audio', 'audio.end']);
  });

  it('drops a listener that cannot keep up while another receives everything', async () => {
    const { hub, metrics, logger } = hubWith(new ScriptedAudio(), 100);
    const slow = new FakeListener('slow');
    const fast = new FakeListener('fast');
    hub.attach('alice', slow);
    hub.attach('alice', fast);
    slow.backlog = 101;
    const queued = await hub.speak('alice', planFor('hello'));
    expect(await queued.finished).toBe('ended');
    expect(slow.closed).toEqual({ code: CLOSE_TOO_SLOW, reason: 'listener too slow' });
    expect(CLOSE_TOO_SLOW).toBe(1013);
    expect(slow.sequence()).toEqual(['audio.start']);
    expect(fast.sequence()).toEqual(['audio.start', 'audio', 'audio.end']);
    expect(fast.audio()).toHaveLength(6);
    expect(await hub.listenerCount('alice')).toBe(1);
    expect(metrics.counts.get('DroppedListeners')).toBe(1);
    expect(logger.entries.some((entry) => entry.level === 'warn')).toBe(true);
  });

  it('keeps a listener exactly at the cap', async () => {
    const script = new ScriptedAudio();
    const hub = new LiveHub({ audio: script.audio, maxBufferedBytes: 100, pauseBufferedBytes: 100, logger: silentLogger, metrics: recordingMetrics() });
    const page = new FakeListener('a');
    page.backlog = 100;
    hub.attach('alice', page);
    expect(await (await hub.speak('alice', planFor('hi'))).finished).toBe('ended');
    expect(page.closed).toBeUndefined();
    expect(page.audio()).toHaveLength(6);
  });

  it('pauses forwarding while every listener is behind, and resumes when one catches up', async () => {
    const { hub } = hubWith(new ScriptedAudio(), 100); // pauses above a quarter of the cap
    const behind = new FakeListener('behind');
    behind.backlog = 26;
    let checks = 0;
    const bufferedBytes = behind.bufferedBytes.bind(behind);
    behind.bufferedBytes = () => (checks += 1, bufferedBytes());
    hub.attach('alice', behind);
    const queued = await hub.speak('alice', planFor('hello'));
    await expect.poll(() => checks).toBeGreaterThan(4);
    expect(behind.sequence()).toEqual(['audio.start']);
    expect(behind.closed).toBeUndefined();
    behind.backlog = 25;
    expect(await queued.finished).toBe('ended');
    expect(behind.sequence()).toEqual(['audio.start', 'audio', 'audio.end']);
  });

  it('keeps forwarding while at least one listener keeps up', async () => {
    const { hub } = hubWith(new ScriptedAudio(), 100);
    const behind = new FakeListener('behind');
    const fast = new FakeListener('fast');
    behind.backlog = 90;
    hub.attach('alice', behind);
    hub.attach('alice', fast);
    expect(await (await hub.speak('alice', planFor('hello'))).finished).toBe('ended');
    expect(behind.audio()).toHaveLength(6);
    expect(fast.audio()).toHaveLength(6);
  });

  it('stops a paused utterance at once', async () => {
    const { hub } = hubWith(new ScriptedAudio(), 100);
    const behind = new FakeListener('behind');
    behind.backlog = 50;
    hub.attach('alice', behind);
    const queued = await hub.speak('alice', planFor('hello'));
    await hub.stop('alice');
    expect(await queued.finished).toBe('stopped');
    expect(behind.sequence()).toEqual(['audio.start', 'stopped']);
  });

  it('abandons the utterance and stops its audio when every listener is gone', async () => {
    const { hub, script } = hubWith(new ScriptedAudio(), 100);
    const page = new FakeListener('a');
    hub.attach('alice', page);
    const gate = script.hold();
    const queued = await hub.speak('alice', planFor('hello'));
    hub.detach('alice', 'a');
    gate.open();
    expect(await queued.finished).toBe('abandoned');
    expect(page.sequence()).toEqual(['audio.start']);
    expect(hub.totalListeners).toBe(0);
  });

  it('sends audio.error when the upstream fails, and the next utterance still plays', async () => {
    const script = new ScriptedAudio();
    script.failOn.set('broken', { afterChunks: 1, error: new UpstreamError('upstream_error', 'The speech stream from ElevenLabs broke off.', { upstreamStatus: 200, retryable: false }) });
    const { hub } = hubWith(script);
    const page = new FakeListener('a');
    hub.attach('alice', page);
    const broken = await hub.speak('alice', planFor('broken'));
    const next = await hub.speak('alice', planFor('next'));
    expect(await broken.finished).toBe('failed');
    expect(await broken.played).toBe(false);
    expect(await next.finished).toBe('ended');
    expect(page.sequence()).toEqual(['audio.start', 'audio', 'audio.error', 'audio.start', 'audio', 'audio.end']);
    expect(page.messages('audio.error')[0]).toEqual({ type: 'audio.error', id: broken.utterance_id, code: 'upstream_error', message: 'The speech stream from ElevenLabs broke off.' });
  });

  it('hides an unexpected failure behind internal_error', async () => {
    const script = new ScriptedAudio();
    script.failOn.set('bug', { afterChunks: 0, error: new TypeError('cannot read secret of undefined') });
    const { hub } = hubWith(script);
    const page = new FakeListener('a');
    hub.attach('alice', page);
    expect(await (await hub.speak('alice', planFor('bug'))).finished).toBe('failed');
    expect(page.messages('audio.error')[0]).toMatchObject({ code: 'internal_error' });
    expect(JSON.stringify(page.frames)).not.toContain('secret');
  });

  it('resolves played once a listener reports the utterance played', async () => {
    const { hub } = hubWith();
    const page = new FakeListener('a');
    hub.attach('alice', page);
    page.onJson = (message) => {
      if (message.type === 'audio.end') hub.played(message.id, 'alice');
    };
    const queued = await hub.speak('alice', planFor('hello'));
    expect(await queued.finished).toBe('ended');
    expect(await queued.played).toBe(true);
    hub.played(queued.utterance_id); // a second report changes nothing
    hub.played('utt_unknown');
  });

  it('ignores a played report from another principal', async () => {
    const { hub } = hubWith();
    hub.attach('alice', new FakeListener('a'));
    const queued = await hub.speak('alice', planFor('hello'));
    await queued.finished;
    hub.played(queued.utterance_id, 'mallory');
    let settled = false;
    void queued.played.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    hub.played(queued.utterance_id, 'alice');
    expect(await queued.played).toBe(true);
  });

  it('plays audio handed to it instead of synthesising the plan', async () => {
    const { hub, script } = hubWith();
    const page = new FakeListener('a');
    hub.attach('alice', page);
    async function* elsewhere() {
      yield Uint8Array.of(9, 9);
      yield Uint8Array.of(8);
    }
    const queued = await hub.speak('alice', planFor('relayed'), { audio: () => elsewhere() });
    expect(await queued.finished).toBe('ended');
    expect([...page.audio()]).toEqual([9, 9, 8]);
    expect(page.messages('audio.end')[0]).toMatchObject({ bytes: 3 });
    expect(script.started).toEqual([]);
  });

  it('reports every change in a principal’s number of listeners', async () => {
    const changes: Array<[string, number]> = [];
    const script = new ScriptedAudio();
    const hub = new LiveHub({ audio: script.audio, maxBufferedBytes: 100, logger: silentLogger, metrics: recordingMetrics(), onListenersChanged: (principal, count) => changes.push([principal, count]) });
    const slow = new FakeListener('slow');
    slow.backlog = 500;
    hub.attach('alice', new FakeListener('a'));
    hub.attach('alice', slow);
    hub.attach('bob', new FakeListener('b'));
    await (await hub.speak('alice', planFor('drops the slow one'))).finished;
    hub.detach('alice', 'a');
    hub.detach('alice', 'a');
    expect(changes).toEqual([
      ['alice', 1],
      ['alice', 2],
      ['bob', 1],
      ['alice', 1],
      ['alice', 0],
    ]);
  });

  it('reports the time to first audio', async () => {
    let now = 1_000;
    const metrics = recordingMetrics();
    const script = new ScriptedAudio();
    const hub = new LiveHub({ audio: script.audio, maxBufferedBytes: 1_000, logger: silentLogger, metrics, now: () => now });
    hub.attach('alice', new FakeListener('a'));
    const gate = script.hold();
    const queued = await hub.speak('alice', planFor('hi'));
    now += 250;
    gate.open();
    await queued.finished;
    expect(metrics.timings).toEqual([['TimeToFirstAudio', 250]]);
  });

  it('resolves idle once nothing is queued or playing anywhere', async () => {
    const { hub, script } = hubWith();
    await hub.idle();
    const alicePage = new FakeListener('a');
    const bobPage = new FakeListener('b');
    hub.attach('alice', alicePage);
    hub.attach('bob', bobPage);
    const gate = script.hold();
    await hub.speak('alice', planFor('alice one'));
    await hub.speak('alice', planFor('alice two'));
    await hub.speak('bob', planFor('bob'));
    let idle = false;
    const waiting = hub.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    gate.open();
    await waiting;
    expect(hub.activeUtterances).toBe(0);
    expect(alicePage.messages('audio.end')).toHaveLength(2);
    expect(bobPage.messages('audio.end')).toHaveLength(1);
  });

  it('aborts all speech on abortAll, telling listeners the server is draining', async () => {
    const { hub, script } = hubWith();
    const alicePage = new FakeListener('a');
    const bobPage = new FakeListener('b');
    hub.attach('alice', alicePage);
    hub.attach('bob', bobPage);
    const gate = script.hold();
    const current = await hub.speak('alice', planFor('current'));
    const queued = await hub.speak('alice', planFor('queued'));
    const bobs = await hub.speak('bob', planFor('bobs'));
    hub.abortAll();
    gate.open();
    expect(await Promise.all([current.finished, queued.finished, bobs.finished])).toEqual(['stopped', 'stopped', 'stopped']);
    expect(alicePage.messages('audio.error')[0]).toMatchObject({ id: current.utterance_id, code: 'draining' });
    expect(bobPage.messages('audio.error')[0]).toMatchObject({ code: 'draining' });
    await hub.idle();
  });

  it('closes every listener on closeAll', () => {
    const { hub } = hubWith();
    const pages = [new FakeListener('a'), new FakeListener('b'), new FakeListener('c')];
    hub.attach('alice', pages[0]!);
    hub.attach('alice', pages[1]!);
    hub.attach('bob', pages[2]!);
    expect(hub.totalListeners).toBe(3);
    hub.closeAll(1001, 'going away');
    for (const page of pages) expect(page.closed).toEqual({ code: 1001, reason: 'going away' });
  });

  it('forgets a principal once its last listener leaves', async () => {
    const { hub } = hubWith();
    hub.attach('alice', new FakeListener('a'));
    hub.detach('alice', 'a');
    hub.detach('alice', 'a');
    hub.detach('nobody', 'x');
    expect(await hub.listenerCount('alice')).toBe(0);
    expect(hub.totalListeners).toBe(0);
  });

  it('sends settings to the principal’s listeners only', () => {
    const { hub } = hubWith();
    const page = new FakeListener('a');
    hub.attach('alice', page);
    const settings = { default_voice_id: 'v', default_model_id: 'm', output_format: 'mp3_44100_128' as const, voice_settings: { stability: 1, similarity_boost: 1, style: 0, use_speaker_boost: true, speed: 1 }, auto_play: true, word_timings: true };
    hub.publishSettings('alice', settings);
    hub.publishSettings('bob', settings);
    expect(page.messages()).toEqual([{ type: 'settings', settings }]);
  });

  it('settles the oldest unacknowledged plays once a thousand are pending', async () => {
    const { hub } = hubWith();
    hub.attach('alice', new FakeListener('a'));
    const first = await hub.speak('alice', planFor('first'));
    const rest = [];
    for (let index = 0; index < 1_000; index += 1) rest.push(await hub.speak('alice', planFor(`n${index}`)));
    expect(await first.played).toBe(false);
    await hub.stop('alice');
    await hub.idle();
  });
});

describe('LiveHub with the real speech service', () => {
  let fake: FakeElevenLabs;

  beforeAll(async () => {
    fake = await startFakeElevenLabs();
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('streams the upstream bytes to the page, reports an upstream failure, then plays the next utterance', async () => {
    let hub!: LiveHub;
    const { jessica } = jessicaFor(fake, {}, {
      live: (speech) => (hub = new LiveHub({ audio: (plan, signal) => speech.audio(plan, signal), maxBufferedBytes: 1 << 20, logger: silentLogger, metrics: recordingMetrics() })),
    });
    const page = new FakeListener('page');
    hub.attach('local', page);
    fake.inject({ kind: 'invalid_key' }, { times: 1 });
    const failed = await jessica.speak('local', { text: 'This one fails upstream.' });
    const played = await jessica.speak('local', { text: 'This one plays fine.' });
    expect(await failed.finished).toBe('failed');
    expect(await played.finished).toBe('ended');
    expect(page.sequence()).toEqual(['audio.start', 'audio.error', 'audio.start', 'audio', 'audio.end']);
    expect(page.messages('audio.error')[0]).toMatchObject({ id: failed.utterance_id, code: 'upstream_auth_failed' });
    expect(page.audio().equals(fake.sentAudio[0]!.bytes)).toBe(true);
    expect(page.messages('audio.end')[0]).toMatchObject({ bytes: fake.sentAudio[0]!.bytes.length });
  });

  it('aborts the upstream request when the speech is stopped', async () => {
    let hub!: LiveHub;
    const { jessica } = jessicaFor(fake, {}, {
      live: (speech) => (hub = new LiveHub({ audio: (plan, signal) => speech.audio(plan, signal), maxBufferedBytes: 1 << 20, logger: silentLogger, metrics: recordingMetrics() })),
    });
    const page = new FakeListener('page');
    hub.attach('local', page);
    const held = fake.hold();
    const queued = await jessica.speak('local', { text: 'A long reading that gets stopped.' });
    await expect.poll(() => page.sequence()).toEqual(['audio.start', 'audio']);
    expect(await jessica.stop('local')).toEqual({ stopped: 1 });
    expect(await queued.finished).toBe('stopped');
    await expect.poll(() => fake.inFlightTts).toBe(0);
    expect(fake.sentAudio[0]?.completed).toBe(false);
    held.release();
    expect(page.sequence()).toEqual(['audio.start', 'audio', 'stopped']);
    expect(new JessicaError('no_listeners', 'x').status).toBe(409);
  });
});
