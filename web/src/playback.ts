import { Fmp4Muxer, FMP4_MP3_MIME } from './fmp4.js';
import { Mp3Framer } from './mp3-frames.js';
import type { Utterance } from './utterance.js';

export type PlaybackOutcome = 'played' | 'failed' | 'stopped';

export interface PlaybackHooks {
  /** Bytes handed to the decoder: appended to the SourceBuffer, or the whole Blob at the end. */
  appended(bytes: number): void;
  /** Starts the element once it has something to play; waits out the autoplay policy itself. */
  start(): void;
}

/** If playback stops moving for this long after the last byte, the element is not coming back. */
const STALL_LIMIT_MS = 8_000;

type MediaSourceClass = typeof MediaSource;

/**
 * How this browser can stream an utterance while it arrives: which Media Source Extensions
 * class, which SourceBuffer type, and whether the MP3 frames must be wrapped in fragmented MP4.
 */
export interface StreamRoute {
  Source: MediaSourceClass;
  /** ManagedMediaSource (iOS and iPadOS Safari): it says when it wants data and when it has enough. */
  managed: boolean;
  /** The SourceBuffer's type. */
  type: string;
  wrap: boolean;
}

const MP3_TYPES = new Set(['audio/mpeg', 'audio/mp3']);

/**
 * Picks the stream route for a mime type, or undefined when the browser can only play whole
 * clips. `MediaSource` is preferred; `ManagedMediaSource` is the one iPhone and iPad Safari have.
 */
export function streamRoute(mime: string, scope: { MediaSource?: MediaSourceClass; ManagedMediaSource?: MediaSourceClass } = globalThis): StreamRoute | undefined {
  const managed = !scope.MediaSource && !!scope.ManagedMediaSource;
  const Source = scope.MediaSource ?? scope.ManagedMediaSource;
  if (!Source) return undefined;
  if (Source.isTypeSupported(mime)) return { Source, managed, type: mime, wrap: false };
  // Firefox takes MP3 only inside MP4: the same frames, wrapped in the page.
  if (MP3_TYPES.has(mime.split(';')[0]!.trim().toLowerCase()) && Source.isTypeSupported(FMP4_MP3_MIME)) return { Source, managed, type: FMP4_MP3_MIME, wrap: true };
  return undefined;
}

/** True when this browser can stream the mime type through Media Source Extensions in some form. */
export function canStream(mime: string): boolean {
  return streamRoute(mime) !== undefined;
}

/**
 * Plays one utterance on the element and settles when it has finished, failed or been stopped.
 * Streams through a SourceBuffer while bytes still arrive; otherwise waits for the last byte
 * and plays the whole Blob.
 */
export function playUtterance(audio: HTMLAudioElement, utterance: Utterance, signal: AbortSignal, hooks: PlaybackHooks): Promise<PlaybackOutcome> {
  const route = streamRoute(utterance.info.mime);
  return route ? playStreaming(audio, utterance, route, signal, hooks) : playWhole(audio, utterance, signal, hooks);
}

/** Turns the utterance's bytes into what the SourceBuffer takes, and says how many MP3 bytes that was. */
interface Feed {
  next(bytes: Uint8Array): { data: Uint8Array; counted: number } | undefined;
}

function rawFeed(): Feed {
  return { next: (bytes) => ({ data: bytes, counted: bytes.byteLength }) };
}

function fmp4Feed(): Feed {
  const framer = new Mp3Framer();
  let muxer: Fmp4Muxer | undefined;
  return {
    next(bytes) {
      const batch = framer.push(bytes);
      if (!batch) return undefined;
      const init = muxer ? undefined : (muxer = new Fmp4Muxer(batch.format)).init();
      const fragment = muxer.fragment(batch);
      return { data: init ? concat([init, fragment]) : fragment, counted: batch.consumed };
    },
  };
}

async function playStreaming(audio: HTMLAudioElement, utterance: Utterance, route: StreamRoute, signal: AbortSignal, hooks: PlaybackHooks): Promise<PlaybackOutcome> {
  const source = new route.Source();
  // A managed source only plays on an element that cannot be sent to AirPlay.
  if (route.managed) audio.disableRemotePlayback = true;
  const url = URL.createObjectURL(source);
  const scope = new AbortController();
  const wanted = streamingWanted(source, route.managed, scope.signal);
  try {
    audio.src = url;
    if (!(await settles(waitFor(source, 'sourceopen', scope.signal), signal))) return 'stopped';
    const buffer = source.addSourceBuffer(route.type);
    // Raw MP3 carries no timestamps the browser trusts; sequence mode lays chunks end to end.
    // Fragments carry their own decode times.
    if (!route.wrap) buffer.mode = 'sequence';
    const feed = route.wrap ? fmp4Feed() : rawFeed();
    let next = 0;
    let appended = 0;
    for (;;) {
      if (signal.aborted) return 'stopped';
      if (next < utterance.chunks.length) {
        const batch = feed.next(concat(utterance.chunks.slice(next)));
        next = utterance.chunks.length;
        if (!batch) continue;
        if (!(await settles(wanted(), signal))) return 'stopped';
        if (!(await append(buffer, batch.data, audio, signal))) return signal.aborted ? 'stopped' : 'failed';
        appended += batch.counted;
        hooks.appended(batch.counted);
        hooks.start();
      } else if (utterance.state === 'receiving') {
        await settles(utterance.changed(), signal);
      } else {
        break;
      }
    }
    if (utterance.state === 'stopped') return 'stopped';
    if (utterance.state === 'failed' || appended === 0) return 'failed';
    if (source.readyState === 'open') source.endOfStream();
    return await finished(audio, signal, scope.signal);
  } catch {
    return signal.aborted ? 'stopped' : 'failed';
  } finally {
    scope.abort();
    detach(audio);
    URL.revokeObjectURL(url);
  }
}

/**
 * A ManagedMediaSource fires `endstreaming` when it holds enough and `startstreaming` when it
 * wants more; appends wait in between. A plain MediaSource always wants data.
 */
function streamingWanted(source: MediaSource, managed: boolean, scope: AbortSignal): () => Promise<void> {
  if (!managed) return () => Promise.resolve();
  let streaming = true;
  let resume: (() => void) | undefined;
  source.addEventListener('endstreaming', () => (streaming = false), { signal: scope });
  source.addEventListener('startstreaming', () => {
    streaming = true;
    resume?.();
    resume = undefined;
  }, { signal: scope });
  return () => (streaming ? Promise.resolve() : new Promise((resolve) => (resume = resolve)));
}

async function playWhole(audio: HTMLAudioElement, utterance: Utterance, signal: AbortSignal, hooks: PlaybackHooks): Promise<PlaybackOutcome> {
  while (!utterance.settled) {
    if (!(await settles(utterance.changed(), signal))) return 'stopped';
  }
  if (utterance.state === 'stopped') return 'stopped';
  if (utterance.state === 'failed' || utterance.bytes === 0) return 'failed';
  const url = URL.createObjectURL(utterance.blob());
  const scope = new AbortController();
  try {
    audio.src = url;
    hooks.appended(utterance.bytes);
    hooks.start();
    return await finished(audio, signal, scope.signal);
  } finally {
    scope.abort();
    detach(audio);
    URL.revokeObjectURL(url);
  }
}

/** Appends one batch, making room by dropping already-played audio if the buffer is full. */
async function append(buffer: SourceBuffer, bytes: Uint8Array, audio: HTMLAudioElement, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      buffer.appendBuffer(bytes as Uint8Array<ArrayBuffer>);
      return await updated(buffer, signal);
    } catch (error) {
      if (!(error instanceof DOMException) || error.name !== 'QuotaExceededError') return false;
      const played = audio.currentTime - 5;
      if (played > 0) {
        buffer.remove(0, played);
        if (!(await updated(buffer, signal))) return false;
      } else if (!(await settles(delay(1_000), signal))) {
        return false;
      }
    }
  }
  return false;
}

function updated(buffer: SourceBuffer, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const scope = new AbortController();
    const done = (ok: boolean): void => {
      scope.abort();
      resolve(ok);
    };
    buffer.addEventListener('updateend', () => done(true), { signal: scope.signal });
    buffer.addEventListener('error', () => done(false), { signal: scope.signal });
    signal.addEventListener('abort', () => done(false), { signal: scope.signal });
  });
}

/** Waits for the element to reach the end. Settles on errors, stops, and stalls that never recover. */
function finished(audio: HTMLAudioElement, signal: AbortSignal, scope: AbortSignal): Promise<PlaybackOutcome> {
  return new Promise((resolve) => {
    let lastTime = -1;
    let still = 0;
    const watchdog = setInterval(() => {
      const moving = audio.paused || audio.currentTime !== lastTime;
      lastTime = audio.currentTime;
      still = moving ? 0 : still + 1_000;
      if (still >= STALL_LIMIT_MS) settle(audio.currentTime > 0 ? 'played' : 'failed');
    }, 1_000);
    const settle = (outcome: PlaybackOutcome): void => {
      clearInterval(watchdog);
      resolve(outcome);
    };
    audio.addEventListener('ended', () => settle('played'), { signal: scope });
    audio.addEventListener('error', () => settle('failed'), { signal: scope });
    signal.addEventListener('abort', () => settle('stopped'), { signal: scope });
    scope.addEventListener('abort', () => clearInterval(watchdog));
    if (audio.ended) settle('played');
  });
}

function detach(audio: HTMLAudioElement): void {
  audio.pause();
  audio.removeAttribute('src');
  audio.load();
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function waitFor(target: EventTarget, type: string, scope: AbortSignal): Promise<void> {
  return new Promise((resolve) => target.addEventListener(type, () => resolve(), { once: true, signal: scope }));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true when the promise settles first, false when the signal aborts first. */
function settles(promise: Promise<unknown>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    });
  });
}
