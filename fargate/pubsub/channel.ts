import {
  errorToResponse,
  isErrorCode,
  JessicaError,
  sleep,
  type LiveAudio,
  type LiveChannel,
  type LiveHub,
  type Logger,
  type QueuedUtterance,
  type Settings,
  type SpeechPlan,
  type UtteranceOutcome,
} from '../../core/index.js';
import { RemoteFeed } from './feed.js';
import { bufferToFrame, frameToBuffer, type Frame, type WirePlan } from './frames.js';
import type { RedisLink } from './link.js';
import {
  channels,
  countAndRegister,
  countPresence,
  finishUtterance,
  keys,
  principalOfChannel,
  publishChunk,
  renewSpeaker,
  setPresence,
  stopAll,
  takeTurnAndStart,
  touchUtterances,
} from './scripts.js';

export interface RedisLiveChannelOptions {
  link: RedisLink;
  /** This task's hub: its own sockets, fed from the shared channel. */
  hub: LiveHub;
  /** Synthesis of a plan (the speech service), run only by the task that received the call. */
  audio: (plan: SpeechPlan, signal: AbortSignal) => AsyncIterable<LiveAudio>;
  taskId: string;
  /** Presence, utterance registrations and the speaker lease of a crashed task vanish after this long. */
  ttlMs: number;
  /** Audio of one utterance buffered here, not yet taken by the hub, before this task cuts it. */
  feedMaxBytes: number;
  /** Silence from the speaking task after which its utterance is given up here (it sends `alive` every ttlMs / 3). */
  feedIdleMs: number;
  /**
   * How long the sender waits for a listening task that makes no progress before it stops
   * waiting. Keep it under the upstream's per-chunk timeout, or the pause itself fails the request.
   */
  flowStallMs: number;
  logger: Logger;
}

/** What the listening tasks have taken of one utterance this task is sending. */
interface Flow {
  consumers: Map<string, number>;
  /** Some task reported; once all of them are done, nobody is left to wait for. */
  reported: boolean;
  progressAt: number;
  wake: (() => void) | undefined;
}

interface Outgoing {
  principal: string;
  plan: SpeechPlan;
  controller: AbortController;
  finish: (outcome: UtteranceOutcome) => void;
}

/** How far the fastest listening task may fall behind before the sender pauses its upstream read. */
const FLOW_WINDOW_BYTES = 2 * 1024 * 1024;
/** A listening task reports its progress this often. */
const FLOW_REPORT_BYTES = 64 * 1024;
const FLOW_POLL_MS = 20;
const MAX_PENDING_PLAYS = 1_000;
/** Waits between attempts at the speaker lease (also woken by the end of the current utterance). */
const TURN_POLL_MIN_MS = 20;
const TURN_POLL_MAX_MS = 250;

/** Aborts an utterance that a `stop` cancelled (never reported to listeners as an error). */
const STOPPED = new JessicaError('invalid_request', 'stopped');

/**
 * The live channel shared by every task through Redis pub/sub.
 *
 * - `speak` counts listeners on every task (presence); with none anywhere it answers
 *   `no_listeners`. Otherwise this task registers the utterance, waits for the principal's
 *   speaker lease (one utterance at a time per principal, across tasks), synthesises once and
 *   publishes start → chunks → end on the principal's channel.
 * - Every task with listeners of the principal, this one included, plays what it receives
 *   through its own hub, so every listener hears the same utterances in the same order and the
 *   hub's per-listener backpressure and slow-listener cap apply unchanged. Listening tasks
 *   report their progress; the sender pauses its upstream read while even the fastest of them
 *   is far behind (the hub's own rule, one level up), and a task that falls further behind
 *   than its buffer cap cuts the utterance locally.
 * - `stop` cancels the principal's registered utterances and publishes the stop in one Lua
 *   step; settings changes are published; `played` acks go back to the task that synthesised.
 * - While Redis is away, `healthy()` is false and everything falls back to this task's hub.
 */
export class RedisLiveChannel implements LiveChannel {
  readonly #options: RedisLiveChannelOptions;
  readonly #hub: LiveHub;
  readonly #link: RedisLink;
  /** Listeners of each principal on this task. */
  readonly #presence = new Map<string, number>();
  readonly #presenceWrites = new Map<string, Promise<void>>();
  /** Utterances this task registered and has not finished, by id → principal. */
  readonly #registered = new Map<string, string>();
  readonly #outboxes = new Map<string, Outgoing[]>();
  readonly #pumps = new Map<string, Promise<void>>();
  readonly #speaking = new Map<string, Outgoing>();
  readonly #feeds = new Map<string, { principal: string; feed: RemoteFeed }>();
  readonly #flows = new Map<string, Flow>();
  readonly #pendingPlays = new Map<string, (played: boolean) => void>();
  readonly #turnWaiters = new Map<string, Set<() => void>>();
  /** Utterances whose end could not be written (Redis was away): finished again on reconnection, so their lease does not linger. */
  readonly #unfinished = new Map<string, { principal: string; token: string }>();
  readonly #refresh: NodeJS.Timeout;
  #draining = false;

  constructor(options: RedisLiveChannelOptions) {
    this.#options = options;
    this.#hub = options.hub;
    this.#link = options.link;
    void this.#link.subscribe(channels.task(options.taskId));
    this.#link.start({
      message: (channel, message) => this.#receive(channel, message),
      restored: () => this.#republish('NX'),
      lost: () => this.#lost(),
    });
    this.#refresh = setInterval(() => {
      if (this.#link.up) void this.#republish('XX').catch((error: unknown) => this.#debug('refreshing presence failed', error));
    }, Math.max(100, Math.floor(options.ttlMs / 3)));
    this.#refresh.unref();
  }

  healthy(): boolean {
    return this.#link.up;
  }

  /** The hub reports a change in the number of this task's listeners of `principal`. */
  listenersChanged(principal: string, count: number): void {
    const before = this.#presence.get(principal) ?? 0;
    if (count > 0) this.#presence.set(principal, count);
    else this.#presence.delete(principal);
    // Subscribe before announcing presence, so no task can publish to a listener that would miss the start.
    let subscribed: Promise<void> = Promise.resolve();
    if (before === 0 && count > 0) subscribed = this.#link.subscribe(channels.principal(principal));
    if (before > 0 && count === 0) this.#link.unsubscribe(channels.principal(principal));
    this.#writePresence(principal, subscribed);
  }

  async listenerCount(principal: string): Promise<number> {
    const local = await this.#hub.listenerCount(principal);
    if (!this.#link.up) return local;
    try {
      return local + (await this.#othersListening(principal));
    } catch {
      return local;
    }
  }

  async speak(principal: string, plan: SpeechPlan, options: { listenerId?: string } = {}): Promise<QueuedUtterance> {
    if (options.listenerId !== undefined) return this.#speakToOne(principal, plan, options.listenerId);
    if (!this.#link.up) return this.#hub.speak(principal, plan);
    let listeners: number;
    try {
      const local = await this.#hub.listenerCount(principal);
      const { taskId, ttlMs } = this.#options;
      const keyNames = [keys.presence(principal), keys.listeners(principal), keys.utterances(principal)];
      listeners = local + Number(await countAndRegister.run(this.#link.commands, keyNames, [taskId, local, ttlMs, plan.utteranceId]));
      if (listeners > 0) this.#registered.set(plan.utteranceId, principal);
    } catch (error) {
      this.#debug('shared speak failed; speaking to local listeners only', error);
      return this.#hub.speak(principal, plan);
    }
    if (listeners === 0) {
      throw new JessicaError('no_listeners', 'No page is listening. Open the Jessica page to hear speech, or use POST /tts.');
    }
    let finish!: (outcome: UtteranceOutcome) => void;
    let markPlayed!: (played: boolean) => void;
    const finished = new Promise<UtteranceOutcome>((resolve) => (finish = resolve));
    const played = new Promise<boolean>((resolve) => (markPlayed = resolve));
    this.#expectPlayed(plan.utteranceId, markPlayed);
    void finished.then((outcome) => {
      this.#registered.delete(plan.utteranceId);
      if (outcome !== 'ended') this.#settlePlayed(plan.utteranceId, false);
    });
    const outgoing: Outgoing = { principal, plan, controller: new AbortController(), finish };
    let outbox = this.#outboxes.get(principal);
    if (!outbox) this.#outboxes.set(principal, (outbox = []));
    outbox.push(outgoing);
    if (!this.#pumps.has(principal)) this.#pumps.set(principal, this.#pump(principal, outbox));
    return { utterance_id: plan.utteranceId, listeners, finished, played };
  }

  async stop(principal: string): Promise<number> {
    if (this.#link.up) {
      try {
        const ids = (await stopAll.run(this.#link.commands, [keys.utterances(principal)], [channels.principal(principal)])) as string[];
        // Our own subscription delivers the same stop; acting now as well is harmless and quicker.
        this.#cancelOutgoing(principal, new Set(ids));
        return ids.length;
      } catch (error) {
        this.#debug('shared stop failed; stopping local listeners only', error);
      }
    }
    const outgoing = [...(this.#outboxes.get(principal) ?? [])];
    const current = this.#speaking.get(principal);
    if (current) outgoing.push(current);
    this.#cancelOutgoing(principal, new Set(outgoing.map((item) => item.plan.utteranceId)));
    const local = await this.#hub.stop(principal);
    return Math.max(local, outgoing.length);
  }

  publishSettings(principal: string, settings: Settings): void {
    if (!this.#link.up) {
      this.#hub.publishSettings(principal, settings);
      return;
    }
    this.#link.commands
      .publish(channels.principal(principal), frameToBuffer({ type: 'settings', settings }))
      .catch(() => this.#hub.publishSettings(principal, settings));
  }

  /**
   * SIGTERM: stop taking speech from other tasks and withdraw this task's presence (its pages
   * are about to reconnect elsewhere), then wait for what is already playing or being sent.
   */
  async drain(): Promise<void> {
    this.#draining = true;
    for (const principal of this.#presence.keys()) this.#writePresence(principal);
    await Promise.all([...this.#pumps.values()]);
    await this.#hub.idle();
  }

  /** The drain deadline passed: utterances this task is sending end with `audio.error` everywhere. */
  abortAll(): void {
    const draining = new JessicaError('draining', 'The server is shutting down.');
    for (const outbox of this.#outboxes.values()) for (const item of outbox) item.controller.abort(draining);
    for (const item of this.#speaking.values()) item.controller.abort(draining);
  }

  async close(): Promise<void> {
    clearInterval(this.#refresh);
    this.#draining = true;
    this.abortAll();
    // Aborted sends publish their audio.error and hand the speaker lease on before the connection goes.
    await Promise.race([Promise.allSettled([...this.#pumps.values()]), sleep(500)]);
    if (this.#link.up) {
      const withdraw = [...this.#presence.keys()].map((principal) =>
        setPresence.run(this.#link.commands, [keys.presence(principal), keys.listeners(principal)], [this.#options.taskId, 0, this.#options.ttlMs]),
      );
      await Promise.race([Promise.allSettled(withdraw), sleep(500)]);
    }
    for (const { feed } of this.#feeds.values()) feed.fail(new JessicaError('draining', 'The server is shutting down.'));
  }

  // ─── sending ────────────────────────────────────────────────────────────────

  async #pump(principal: string, outbox: Outgoing[]): Promise<void> {
    // Subscribed while sending: stops reach us sooner, and the end of another task's turn wakes us.
    // Correctness does not depend on it (the scripts check registration), so the confirmation is
    // awaited only when a listener of this task has yet to hear the start through it.
    const subscribed = this.#link.subscribe(channels.principal(principal));
    if ((this.#presence.get(principal) ?? 0) > 0) await subscribed;
    try {
      for (let item = outbox.shift(); item; item = outbox.shift()) {
        this.#speaking.set(principal, item);
        try {
          item.finish(await this.#send(item).catch(() => 'failed' as const));
        } finally {
          this.#speaking.delete(principal);
        }
      }
    } finally {
      this.#outboxes.delete(principal);
      this.#pumps.delete(principal);
      this.#link.unsubscribe(channels.principal(principal));
    }
  }

  async #send(item: Outgoing): Promise<UtteranceOutcome> {
    const { principal, plan, controller } = item;
    const { signal } = controller;
    const { taskId, ttlMs, logger } = this.#options;
    const redis = this.#link.commands;
    const id = plan.utteranceId;
    const token = `${taskId}:${id}`;
    const utterances = keys.utterances(principal);
    const speaker = keys.speaker(principal);
    const channel = channels.principal(principal);

    let renewal: NodeJS.Timeout | undefined;
    let started = false;
    // Before the start goes out: the listening tasks' first reports may arrive before its reply.
    const flow: Flow = { consumers: new Map(), reported: false, progressAt: Date.now(), wake: undefined };
    this.#flows.set(id, flow);
    let lastFrame: Frame | undefined;
    try {
      const start = frameToBuffer({ type: 'start', origin: taskId, plan: planToWire(plan) });
      for (let attempt = 0; ; attempt += 1) {
        signal.throwIfAborted();
        const result = await takeTurnAndStart.run(redis, [utterances, speaker], [id, token, ttlMs, channel, start]);
        if (result === 0) return 'stopped';
        if (result === 1) break;
        await this.#waitTurn(principal, attempt, signal);
      }
      started = true;
      flow.progressAt = Date.now();
      renewal = setInterval(() => {
        renewSpeaker.run(redis, [speaker], [token, ttlMs, channel, frameToBuffer({ type: 'alive', id })]).then(
          (kept) => {
            if (kept !== 1) controller.abort(new JessicaError('live_channel_unavailable', 'This server lost its turn to speak.'));
          },
          () => undefined,
        );
      }, Math.max(50, Math.floor(ttlMs / 3)));
      let seq = 0;
      let bytes = 0;
      for await (const item of this.#options.audio(plan, signal)) {
        const chunk = item instanceof Uint8Array ? item : item.audio;
        const words = item instanceof Uint8Array ? undefined : item.words;
        await this.#paced(flow, bytes, signal);
        const sent = await publishChunk.run(redis, [utterances], [id, channel, frameToBuffer({ type: 'chunk', id, seq, bytes: chunk, ...(words ? { words } : {}) })]);
        if (sent !== 1) {
          controller.abort(STOPPED);
          return 'stopped';
        }
        seq += 1;
        bytes += chunk.byteLength;
      }
      lastFrame = { type: 'end', id, chunks: seq, bytes };
      return 'ended';
    } catch (error) {
      if (signal.aborted) {
        const reason: unknown = signal.reason;
        if (reason !== STOPPED && reason instanceof JessicaError) {
          lastFrame = { type: 'error', id, code: reason.code, message: reason.message };
          return reason.code === 'draining' ? 'stopped' : 'failed';
        }
        return 'stopped';
      }
      if (error instanceof JessicaError) {
        logger.warn('utterance failed', { utteranceId: id, code: error.code });
        const { body } = errorToResponse(error);
        lastFrame = { type: 'error', id, code: body.error.code, message: body.error.message };
        return 'failed';
      }
      // Redis failed under us. Not started yet: this task's own listeners still hear it. Started: the
      // listeners' tasks lose the connection too and end it with audio.error; replaying it here would repeat its beginning.
      logger.warn('shared live channel failed', { utteranceId: id, started, reason: error instanceof Error ? error.message : String(error) });
      if (!started) return this.#speakLocally(item);
      lastFrame = { type: 'error', id, code: 'live_channel_unavailable', message: 'The shared live channel failed.' };
      return 'failed';
    } finally {
      if (renewal) clearInterval(renewal);
      this.#flows.delete(id);
      if (!controller.signal.aborted) controller.abort();
      const last = lastFrame ? frameToBuffer(lastFrame) : '';
      await finishUtterance.run(redis, [utterances, speaker], [id, token, channel, last]).catch(() => {
        this.#unfinished.set(id, { principal, token });
        // Beyond this, the leases simply run out by themselves.
        if (this.#unfinished.size > MAX_PENDING_PLAYS) this.#unfinished.delete(this.#unfinished.keys().next().value!);
      });
      this.#registered.delete(id);
    }
  }

  /**
   * Waits while every listening task is more than the flow window behind what was published
   * (before the first report, the first window goes out unasked). It stops waiting when every
   * task that reported is done, or when none advanced for `flowStallMs`: a stuck task then cuts
   * the utterance at its own buffer cap instead of stalling everyone.
   */
  async #paced(flow: Flow, published: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      if (published <= FLOW_WINDOW_BYTES) return;
      if (flow.reported && flow.consumers.size === 0) return;
      const fastest = flow.consumers.size > 0 ? Math.max(...flow.consumers.values()) : 0;
      if (published - fastest <= FLOW_WINDOW_BYTES) return;
      if (Date.now() - flow.progressAt > this.#options.flowStallMs) return;
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          flow.wake = undefined;
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          done();
          reject(signal.reason);
        };
        const timer = setTimeout(done, FLOW_POLL_MS);
        flow.wake = done;
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  #onConsumed(id: string, task: string, bytes: number): void {
    const flow = this.#flows.get(id);
    if (!flow) return;
    flow.reported = true;
    if (bytes < 0) flow.consumers.delete(task);
    else if (bytes >= (flow.consumers.get(task) ?? 0)) {
      flow.consumers.set(task, bytes);
      flow.progressAt = Date.now();
    }
    flow.wake?.();
  }

  /** Waits for another task's utterance to end (woken early by its end, error or stop frame). */
  async #waitTurn(principal: string, attempt: number, signal: AbortSignal): Promise<void> {
    const wait = Math.min(TURN_POLL_MAX_MS, TURN_POLL_MIN_MS * 2 ** attempt) * (0.5 + Math.random());
    await new Promise<void>((resolve, reject) => {
      let waiters = this.#turnWaiters.get(principal);
      if (!waiters) this.#turnWaiters.set(principal, (waiters = new Set()));
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.#turnWaiters.get(principal) === waiters) this.#turnWaiters.delete(principal);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        done();
        reject(signal.reason);
      };
      const timer = setTimeout(done, wait);
      waiters.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #wakeTurn(principal: string): void {
    const waiters = this.#turnWaiters.get(principal);
    if (!waiters) return;
    this.#turnWaiters.delete(principal);
    for (const wake of waiters) wake();
  }

  /** Redis went away before this utterance could be sent: local listeners still hear it. */
  async #speakLocally(item: Outgoing): Promise<UtteranceOutcome> {
    try {
      const queued = await this.#hub.speak(item.principal, item.plan);
      void queued.played.then((played) => this.#settlePlayed(item.plan.utteranceId, played));
      return await queued.finished;
    } catch {
      return 'failed';
    }
  }

  /** A WebSocket `speak` frame: played by this task's hub to that one connection, registered so `stop` counts it. */
  async #speakToOne(principal: string, plan: SpeechPlan, listenerId: string): Promise<QueuedUtterance> {
    const queued = await this.#hub.speak(principal, plan, { listenerId });
    if (this.#link.up) {
      try {
        await this.#register(principal, plan.utteranceId);
        void queued.finished.then(() => this.#unregister(principal, plan.utteranceId));
      } catch (error) {
        this.#debug('registering a speak frame failed', error);
      }
    }
    return queued;
  }

  async #register(principal: string, id: string): Promise<void> {
    await touchUtterances.run(this.#link.commands, [keys.utterances(principal)], [this.#options.ttlMs, 'NX', id]);
    this.#registered.set(id, principal);
  }

  #unregister(principal: string, id: string): void {
    this.#registered.delete(id);
    if (this.#link.up) void this.#link.commands.zrem(keys.utterances(principal), id).catch(() => undefined);
  }

  #cancelOutgoing(principal: string, ids: ReadonlySet<string>): void {
    for (const item of this.#outboxes.get(principal) ?? []) if (ids.has(item.plan.utteranceId)) item.controller.abort(STOPPED);
    const current = this.#speaking.get(principal);
    if (current && ids.has(current.plan.utteranceId)) current.controller.abort(STOPPED);
  }

  #expectPlayed(id: string, markPlayed: (played: boolean) => void): void {
    this.#pendingPlays.set(id, markPlayed);
    // Pages that never acknowledge must not grow this map without bound.
    if (this.#pendingPlays.size > MAX_PENDING_PLAYS) {
      const oldest = this.#pendingPlays.keys().next().value;
      if (oldest !== undefined) this.#settlePlayed(oldest, false);
    }
  }

  #settlePlayed(id: string, played: boolean): void {
    const markPlayed = this.#pendingPlays.get(id);
    if (!markPlayed) return;
    this.#pendingPlays.delete(id);
    markPlayed(played);
  }

  // ─── receiving ──────────────────────────────────────────────────────────────

  #receive(channel: string, message: Buffer): void {
    let frame: Frame;
    try {
      frame = bufferToFrame(message);
    } catch (error) {
      this.#debug('ignoring a frame that cannot be read', error);
      return;
    }
    const principal = principalOfChannel(channel);
    if (principal === undefined) {
      if (frame.type === 'played') this.#settlePlayed(frame.id, true);
      if (frame.type === 'consumed') this.#onConsumed(frame.id, frame.task, frame.bytes);
      return;
    }
    switch (frame.type) {
      case 'start':
        this.#onStart(principal, frame.origin, frame.plan);
        return;
      case 'chunk':
        this.#feeds.get(frame.id)?.feed.push(frame.seq, frame.bytes, frame.words);
        return;
      case 'end':
        this.#feeds.get(frame.id)?.feed.end(frame.chunks, frame.bytes);
        this.#wakeTurn(principal);
        return;
      case 'error':
        this.#feeds.get(frame.id)?.feed.fail(new JessicaError(isErrorCode(frame.code) ? frame.code : 'upstream_error', frame.message), true);
        this.#wakeTurn(principal);
        return;
      case 'stop':
        this.#onStop(principal, frame.ids);
        this.#wakeTurn(principal);
        return;
      case 'settings':
        this.#hub.publishSettings(principal, frame.settings);
        return;
      case 'alive':
        this.#feeds.get(frame.id)?.feed.touch();
        return;
      case 'played':
      case 'consumed':
        return;
    }
  }

  #onStart(principal: string, origin: string, wire: WirePlan): void {
    // Starts are serialised by the speaker lease: a feed of this principal still open lost its end (its task died).
    for (const { principal: owner, feed } of this.#feeds.values()) {
      if (owner === principal) feed.fail(new JessicaError('live_channel_unavailable', 'The server producing this audio went away.'), true);
    }
    if (this.#draining || (this.#presence.get(principal) ?? 0) === 0) return;
    const id = wire.utteranceId;
    const report = (bytes: number) => {
      if (!this.#link.up) return;
      const frame = frameToBuffer({ type: 'consumed', id, task: this.#options.taskId, bytes });
      this.#link.commands.publish(channels.task(origin), frame).catch(() => undefined);
    };
    const feed = new RemoteFeed({
      maxBufferedBytes: this.#options.feedMaxBytes,
      idleTimeoutMs: this.#options.feedIdleMs,
      onConsumed: report,
      reportEveryBytes: FLOW_REPORT_BYTES,
    });
    this.#feeds.set(id, { principal, feed });
    report(0);
    const forget = () => {
      feed.fail(STOPPED);
      if (this.#feeds.get(id)?.feed === feed) this.#feeds.delete(id);
      report(-1);
    };
    this.#hub.speak(principal, wireToPlan(wire), { audio: (signal) => feed.read(signal) }).then((queued) => {
      void queued.finished.then(forget);
      void queued.played.then((played) => {
        if (!played || !this.#link.up) return;
        this.#link.commands.publish(channels.task(origin), frameToBuffer({ type: 'played', id })).catch(() => undefined);
      });
    }, forget);
  }

  #onStop(principal: string, ids: readonly string[]): void {
    void this.#hub.stop(principal);
    for (const { principal: owner, feed } of this.#feeds.values()) if (owner === principal) feed.fail(STOPPED);
    this.#cancelOutgoing(principal, new Set(ids));
  }

  #lost(): void {
    for (const { feed } of this.#feeds.values()) {
      feed.fail(new JessicaError('live_channel_unavailable', 'The connection between servers dropped; the utterance was cut.'));
    }
  }

  // ─── presence ───────────────────────────────────────────────────────────────

  #othersListening(principal: string): Promise<number> {
    return countPresence
      .run(this.#link.commands, [keys.presence(principal), keys.listeners(principal)], [this.#options.taskId])
      .then((count) => Number(count));
  }

  /** Writes are chained per principal and send the count current when they run, so the last write always wins. */
  #writePresence(principal: string, after: Promise<void> = Promise.resolve()): void {
    const previous = this.#presenceWrites.get(principal) ?? Promise.resolve();
    const next = previous
      .then(() => after)
      .then(async () => {
        if (this.#link.commands.status !== 'ready') return;
        const count = this.#draining ? 0 : (this.#presence.get(principal) ?? 0);
        await setPresence.run(this.#link.commands, [keys.presence(principal), keys.listeners(principal)], [this.#options.taskId, count, this.#options.ttlMs]);
      })
      .catch((error: unknown) => this.#debug('writing presence failed', error))
      .finally(() => {
        if (this.#presenceWrites.get(principal) === next) this.#presenceWrites.delete(principal);
      });
    this.#presenceWrites.set(principal, next);
  }

  /**
   * Rewrites what this task holds: after a reconnect (Redis may have restarted empty) with
   * `NX` registrations, and on the refresh timer with `XX` (never reviving a stopped utterance).
   */
  async #republish(mode: 'NX' | 'XX'): Promise<void> {
    const redis = this.#link.commands;
    const { taskId, ttlMs } = this.#options;
    const writes: Array<Promise<unknown>> = [];
    for (const [id, { principal, token }] of this.#unfinished) {
      this.#unfinished.delete(id);
      const keyNames = [keys.utterances(principal), keys.speaker(principal)];
      writes.push(finishUtterance.run(redis, keyNames, [id, token, channels.principal(principal), '']));
    }
    if (!this.#draining) {
      for (const [principal, count] of this.#presence) {
        writes.push(setPresence.run(redis, [keys.presence(principal), keys.listeners(principal)], [taskId, count, ttlMs]));
      }
    }
    const byPrincipal = new Map<string, string[]>();
    for (const [id, principal] of this.#registered) byPrincipal.set(principal, [...(byPrincipal.get(principal) ?? []), id]);
    for (const [principal, ids] of byPrincipal) writes.push(touchUtterances.run(redis, [keys.utterances(principal)], [ttlMs, mode, ...ids]));
    await Promise.all(writes);
  }

  #debug(message: string, error: unknown): void {
    this.#options.logger.debug(message, { reason: error instanceof Error ? error.message : String(error) });
  }
}

function planToWire(plan: SpeechPlan): WirePlan {
  const { parts: _parts, ...wire } = plan;
  return wire;
}

function wireToPlan(wire: WirePlan): SpeechPlan {
  return { ...wire, parts: [wire.text] };
}
