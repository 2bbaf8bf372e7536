import { sleep } from '../abort.js';
import { errorToResponse, JessicaError } from '../errors.js';
import type { Logger, MetricsSink } from '../ports.js';
import type { SpeechPlan } from '../speech.js';
import type { Settings, SpeechChunk } from '../types.js';
import type { ServerMessage } from './messages.js';

/** One connected page (a WebSocket in the live server). */
export interface ListenerConnection {
  readonly id: string;
  sendJson(message: ServerMessage): void;
  sendAudio(bytes: Uint8Array): void;
  /** Bytes accepted for this peer and not yet handed to the network. */
  bufferedBytes(): number;
  close(code: number, reason: string): void;
}

export type UtteranceOutcome = 'ended' | 'stopped' | 'failed' | 'abandoned';

/** What a hub forwards: audio bytes alone, or audio with the words completed with it. */
export type LiveAudio = Uint8Array | SpeechChunk;

/** The audio of one utterance, when it comes from somewhere other than the hub's own `audio` (another task). */
export type AudioSource = (signal: AbortSignal) => AsyncIterable<LiveAudio>;

export interface QueuedUtterance {
  utterance_id: string;
  listeners: number;
  /** Settles when the audio has been sent (or the utterance stopped or failed). */
  finished: Promise<UtteranceOutcome>;
  /** Settles when a listener reports playback finished, or the utterance cannot be played. */
  played: Promise<boolean>;
}

/** Where live speech goes: the in-process hub, or a hub shared across tasks. */
export interface LiveChannel {
  speak(principal: string, plan: SpeechPlan, options?: { listenerId?: string }): Promise<QueuedUtterance>;
  stop(principal: string): Promise<number>;
  listenerCount(principal: string): Promise<number>;
  publishSettings(principal: string, settings: Settings): void;
  /** False while a shared channel has lost its backend (the server then reports `degraded`). */
  healthy?(): boolean;
}

export interface LiveHubOptions {
  audio: (plan: SpeechPlan, signal: AbortSignal) => AsyncIterable<LiveAudio>;
  /** A listener with more unsent bytes than this is dropped so it cannot stall the others. */
  maxBufferedBytes: number;
  /**
   * When even the fastest listener has this much unsent, forwarding pauses (backpressure on
   * the upstream) instead of queueing more: a cached utterance or a fast upstream must not
   * overflow every listener at once.
   */
  pauseBufferedBytes?: number;
  logger: Logger;
  metrics: MetricsSink;
  now?: () => number;
  /** Called whenever a principal's number of listeners here changes (shared presence across tasks). */
  onListenersChanged?: (principal: string, count: number) => void;
}

interface Utterance {
  principal: string;
  plan: SpeechPlan;
  listenerId: string | undefined;
  audio: AudioSource | undefined;
  queuedAt: number;
  finish: (outcome: UtteranceOutcome) => void;
  markPlayed: (played: boolean) => void;
}

interface Channel {
  principal: string;
  listeners: Map<string, ListenerConnection>;
  queue: Utterance[];
  current: { utterance: Utterance; controller: AbortController; announce: () => void } | undefined;
  running: Promise<void> | undefined;
}

const MAX_PENDING_PLAYS = 1_000;
const BACKPRESSURE_POLL_MS = 5;

/** Close code for a listener that cannot keep up (RFC 6455 "try again later"). */
export const CLOSE_TOO_SLOW = 1013;

/**
 * Fans speech out to each principal's listeners: one queue per principal, one utterance at a
 * time, every listener receiving start → binary audio → end in order. Audio is forwarded as
 * it arrives; a listener that falls too far behind is dropped, never waited for.
 */
export class LiveHub implements LiveChannel {
  readonly #options: LiveHubOptions;
  readonly #now: () => number;
  readonly #channels = new Map<string, Channel>();
  readonly #pendingPlays = new Map<string, Utterance>();
  #idleWaiters: Array<() => void> = [];

  constructor(options: LiveHubOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get totalListeners(): number {
    let total = 0;
    for (const channel of this.#channels.values()) total += channel.listeners.size;
    return total;
  }

  /** Utterances queued or playing across all principals. */
  get activeUtterances(): number {
    let total = 0;
    for (const channel of this.#channels.values()) total += channel.queue.length + (channel.current ? 1 : 0);
    return total;
  }

  attach(principal: string, connection: ListenerConnection): void {
    const channel = this.#channel(principal);
    channel.listeners.set(connection.id, connection);
    this.#options.onListenersChanged?.(principal, channel.listeners.size);
  }

  detach(principal: string, connectionId: string): void {
    const channel = this.#channels.get(principal);
    if (!channel) return;
    const removed = channel.listeners.delete(connectionId);
    this.#forget(principal, channel);
    if (removed) this.#options.onListenersChanged?.(principal, channel.listeners.size);
  }

  async listenerCount(principal: string): Promise<number> {
    return this.#channels.get(principal)?.listeners.size ?? 0;
  }

  /** `options.audio` plays audio produced elsewhere (another task) instead of synthesising the plan here. */
  async speak(principal: string, plan: SpeechPlan, options: { listenerId?: string; audio?: AudioSource } = {}): Promise<QueuedUtterance> {
    const channel = this.#channels.get(principal);
    const listeners = options.listenerId
      ? channel?.listeners.has(options.listenerId)
        ? 1
        : 0
      : (channel?.listeners.size ?? 0);
    if (!channel || listeners === 0) {
      throw new JessicaError('no_listeners', 'No page is listening. Open the Jessica page to hear speech, or use POST /tts.');
    }
    let finish!: (outcome: UtteranceOutcome) => void;
    let markPlayed!: (played: boolean) => void;
    const finished = new Promise<UtteranceOutcome>((resolve) => (finish = resolve));
    const played = new Promise<boolean>((resolve) => (markPlayed = resolve));
    const utterance: Utterance = { principal, plan, listenerId: options.listenerId, audio: options.audio, queuedAt: this.#now(), finish, markPlayed };
    this.#pendingPlays.set(plan.utteranceId, utterance);
    // Pages that never acknowledge must not grow this map without bound.
    if (this.#pendingPlays.size > MAX_PENDING_PLAYS) {
      const oldest = this.#pendingPlays.keys().next().value;
      if (oldest !== undefined) this.#settlePlayed(oldest, false);
    }
    void finished.then((outcome) => {
      if (outcome !== 'ended') this.#settlePlayed(plan.utteranceId, false);
    });
    channel.queue.push(utterance);
    channel.running ??= this.#run(principal, channel);
    return { utterance_id: plan.utteranceId, listeners, finished, played };
  }

  async stop(principal: string): Promise<number> {
    const channel = this.#channels.get(principal);
    if (!channel) return 0;
    const queued = channel.queue.splice(0);
    for (const utterance of queued) utterance.finish('stopped');
    const current = channel.current;
    // The stopped utterance was announced before `stopped` says it ended.
    current?.announce();
    current?.controller.abort(new JessicaError('invalid_request', 'stopped'));
    for (const listener of channel.listeners.values()) listener.sendJson({ type: 'stopped' });
    return queued.length + (current ? 1 : 0);
  }

  /**
   * A listener reports that it finished playing an utterance. Given the listener's principal,
   * a report about another principal's utterance is ignored.
   */
  played(utteranceId: string, principal?: string): void {
    if (principal !== undefined && this.#pendingPlays.get(utteranceId)?.principal !== principal) return;
    this.#settlePlayed(utteranceId, true);
  }

  publishSettings(principal: string, settings: Settings): void {
    for (const listener of this.#channels.get(principal)?.listeners.values() ?? []) listener.sendJson({ type: 'settings', settings });
  }

  /** Resolves once no utterance is queued or playing anywhere. */
  idle(): Promise<void> {
    if (this.activeUtterances === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Aborts all playing and queued speech (the drain deadline passed). */
  abortAll(): void {
    for (const channel of this.#channels.values()) {
      for (const utterance of channel.queue.splice(0)) utterance.finish('stopped');
      channel.current?.controller.abort(new JessicaError('draining', 'The server is shutting down.'));
    }
  }

  closeAll(code: number, reason: string): void {
    for (const channel of this.#channels.values()) {
      for (const listener of channel.listeners.values()) listener.close(code, reason);
    }
  }

  #channel(principal: string): Channel {
    let channel = this.#channels.get(principal);
    if (!channel) {
      channel = { principal, listeners: new Map(), queue: [], current: undefined, running: undefined };
      this.#channels.set(principal, channel);
    }
    return channel;
  }

  #forget(principal: string, channel: Channel): void {
    if (channel.listeners.size === 0 && channel.queue.length === 0 && !channel.current && !channel.running) {
      this.#channels.delete(principal);
    }
  }

  async #run(principal: string, channel: Channel): Promise<void> {
    for (let utterance = channel.queue.shift(); utterance; utterance = channel.queue.shift()) {
      utterance.finish(await this.#play(channel, utterance));
    }
    channel.running = undefined;
    this.#forget(principal, channel);
    if (this.activeUtterances === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #targets(channel: Channel, utterance: Utterance): ListenerConnection[] {
    if (utterance.listenerId === undefined) return [...channel.listeners.values()];
    const listener = channel.listeners.get(utterance.listenerId);
    return listener ? [listener] : [];
  }

  async #play(channel: Channel, utterance: Utterance): Promise<UtteranceOutcome> {
    const { plan } = utterance;
    const { logger, metrics } = this.#options;
    let targets = this.#targets(channel, utterance);
    if (targets.length === 0) return 'abandoned';
    const controller = new AbortController();
    const start: ServerMessage = {
      type: 'audio.start',
      id: plan.utteranceId,
      text: plan.text,
      voice_id: plan.voiceId,
      model_id: plan.modelId,
      format: plan.outputFormat,
      mime: plan.mime,
    };
    // audio.start goes out on the next turn of the event loop, or before anything else this
    // utterance sends if that comes first: its socket write then follows the upstream
    // request's instead of delaying it, and every listener still sees start → audio → end.
    let announced = false;
    const announce = () => {
      if (announced) return;
      announced = true;
      clearImmediate(deferred);
      for (const listener of targets) listener.sendJson(start);
    };
    const deferred = setImmediate(announce);
    channel.current = { utterance, controller, announce };
    let bytes = 0;
    try {
      const audio = utterance.audio ? utterance.audio(controller.signal) : this.#options.audio(plan, controller.signal);
      for await (const item of audio) {
        announce();
        const chunk = item instanceof Uint8Array ? item : item.audio;
        const words = item instanceof Uint8Array ? [] : item.words;
        if (bytes === 0 && chunk.byteLength > 0) metrics.timing('TimeToFirstAudio', this.#now() - utterance.queuedAt);
        targets = await this.#writable(channel, targets, controller.signal);
        if (targets.length === 0) {
          controller.abort();
          return 'abandoned';
        }
        if (chunk.byteLength > 0) for (const listener of targets) listener.sendAudio(chunk);
        // After the bytes: a words frame only ever covers audio the listener already has.
        if (words.length > 0) {
          const frame: ServerMessage = { type: 'audio.words', id: plan.utteranceId, words };
          for (const listener of targets) listener.sendJson(frame);
        }
        bytes += chunk.byteLength;
      }
      announce();
      for (const listener of targets) listener.sendJson({ type: 'audio.end', id: plan.utteranceId, bytes });
      return 'ended';
    } catch (error) {
      announce();
      if (controller.signal.aborted) {
        const reason: unknown = controller.signal.reason;
        if (reason instanceof JessicaError && reason.code === 'draining') {
          this.#sendError(targets, channel, plan.utteranceId, reason);
        }
        return 'stopped';
      }
      logger.warn('utterance failed', { utteranceId: plan.utteranceId, error: describe(error) });
      this.#sendError(targets, channel, plan.utteranceId, error);
      return 'failed';
    } finally {
      clearImmediate(deferred);
      channel.current = undefined;
    }
  }

  /**
   * The targets still worth sending to: gone listeners are removed, listeners over the cap
   * are dropped, and while every remaining one is behind, this waits for the fastest.
   */
  async #writable(channel: Channel, targets: ListenerConnection[], signal: AbortSignal): Promise<ListenerConnection[]> {
    const { logger, metrics, maxBufferedBytes } = this.#options;
    const pauseAt = this.#options.pauseBufferedBytes ?? Math.floor(maxBufferedBytes / 4);
    for (;;) {
      targets = targets.filter((listener) => {
        if (!channel.listeners.has(listener.id)) return false;
        if (listener.bufferedBytes() > maxBufferedBytes) {
          metrics.count('DroppedListeners');
          logger.warn('dropping a listener that cannot keep up', { listenerId: listener.id, buffered: listener.bufferedBytes() });
          channel.listeners.delete(listener.id);
          listener.close(CLOSE_TOO_SLOW, 'listener too slow');
          this.#options.onListenersChanged?.(channel.principal, channel.listeners.size);
          return false;
        }
        return true;
      });
      if (targets.length === 0 || targets.some((listener) => listener.bufferedBytes() <= pauseAt)) return targets;
      await sleep(BACKPRESSURE_POLL_MS, signal);
    }
  }

  #sendError(targets: ListenerConnection[], channel: Channel, id: string, error: unknown): void {
    const { body } = errorToResponse(error);
    for (const listener of targets) {
      if (channel.listeners.has(listener.id)) {
        listener.sendJson({ type: 'audio.error', id, code: body.error.code, message: body.error.message });
      }
    }
  }

  #settlePlayed(utteranceId: string, played: boolean): void {
    const utterance = this.#pendingPlays.get(utteranceId);
    if (!utterance) return;
    this.#pendingPlays.delete(utteranceId);
    utterance.markPlayed(played);
  }
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof JessicaError) return { code: error.code, message: error.message };
  return { name: error instanceof Error ? error.name : typeof error };
}
