import type { LevelMeter } from '../level.js';
import type { Player } from '../player.js';
import type { TimedWord, Utterance } from '../utterance.js';
import { byId } from './dom.js';
import { bytesPerSecond, formatSeconds } from './format.js';

/** Typical speaking rate, for guessing an utterance's length before its last byte arrives. */
const CHARS_PER_SECOND = 14;
const BAR_WEIGHTS = [0.55, 0.85, 1, 0.75, 0.5];

export interface Names {
  voice(id: string): string;
  model(id: string): string;
}

/**
 * The "now speaking" card: the words being spoken, shaded as they are heard, a thin progress
 * line, a level indicator, the queue length, and the Stop and Enable audio buttons.
 */
export class NowSpeaking {
  readonly #player: Player;
  readonly #level: LevelMeter;
  readonly #names: Names;
  readonly #root = byId('now');
  readonly #spoken = byId('now-spoken');
  readonly #rest = byId('now-rest');
  readonly #meta = byId('now-meta');
  readonly #queue = byId('now-queue');
  readonly #time = byId('now-time');
  readonly #progress = byId('now-progress');
  readonly #stop = byId<HTMLButtonElement>('stop');
  readonly #foot = byId('now-foot');
  readonly #unlock = byId('unlock');
  readonly #notice = byId('now-notice');
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #bars = [...this.#root.querySelectorAll<HTMLElement>('.level span')];
  #shown: Utterance | undefined;
  #split = -1;
  #frame = 0;
  /** The shown utterance's timed words as elements, once its first `audio.words` arrived. */
  #words: HTMLElement[] = [];
  /** How far into the text the word elements (in `#spoken`) reach; the rest is plain text in `#tail` (in `#rest`). */
  #cursor = 0;
  #tail: Text | undefined;
  #lit = -1;

  constructor(player: Player, level: LevelMeter, names: Names, onStop: () => void, onUnlock: () => void) {
    this.#player = player;
    this.#level = level;
    this.#names = names;
    this.#stop.addEventListener('click', onStop);
    byId('unlock-button').addEventListener('click', onUnlock);
  }

  /** A short-lived message in the card, e.g. why an utterance was skipped. */
  notice(message: string): void {
    this.#notice.textContent = message;
    this.#notice.hidden = false;
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => {
      this.#notice.hidden = true;
      this.#notice.textContent = '';
    }, 10_000);
  }

  render(): void {
    const current = this.#player.current;
    const waiting = this.#player.queued.length;
    this.#root.dataset.state = this.#player.needsGesture ? 'blocked' : current ? 'speaking' : 'idle';
    this.#unlock.hidden = !this.#player.needsGesture;
    this.#stop.disabled = !current && waiting === 0;
    this.#foot.hidden = this.#stop.disabled;
    this.#queue.textContent = waiting ? `${waiting} more waiting` : '';
    if (current !== this.#shown) {
      this.#shown = current;
      this.#split = -1;
      this.#words = [];
      this.#cursor = 0;
      this.#tail = undefined;
      this.#lit = -1;
      if (current) {
        const { voiceId, modelId, source } = current.info;
        const parts = [this.#names.voice(voiceId), this.#names.model(modelId)];
        if (source === 'replay') parts.push('replay');
        this.#meta.textContent = parts.filter(Boolean).join(' · ');
      } else {
        this.#spoken.textContent = '';
        this.#rest.textContent = 'Quiet for now.';
        this.#meta.textContent = 'When your assistant speaks, the words appear here as you hear them.';
        this.#time.textContent = '';
        this.#root.style.setProperty('--progress', '0');
      }
    }
    if (current && !this.#frame) this.#frame = requestAnimationFrame(() => this.#tick());
  }

  #tick(): void {
    this.#frame = 0;
    const current = this.#shown;
    if (!current) {
      for (const bar of this.#bars) bar.style.setProperty('--h', '0');
      return;
    }
    const audio = this.#player.audio;
    const position = audio.currentTime;
    const total = estimateSeconds(current, audio);
    const fraction = total > 0 ? Math.min(1, position / total) : 0;
    this.#root.style.setProperty('--progress', fraction.toFixed(4));
    this.#progress.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
    this.#time.textContent = current.settled ? `${formatSeconds(position)} / ${formatSeconds(total, 'up')}` : formatSeconds(position);
    if (current.words.length > 0) this.#follow(current, position);
    else this.#shade(current.info.text, fraction);
    const level = audio.paused ? 0 : this.#level.level();
    const now = performance.now() / 1000;
    this.#bars.forEach((bar, index) => {
      // A little independent motion per bar keeps the indicator from looking like one block.
      const wobble = 0.75 + 0.25 * Math.sin(now * 7 + index * 1.7);
      bar.style.setProperty('--h', (level * (BAR_WEIGHTS[index] ?? 1) * wobble).toFixed(3));
    });
    this.#frame = requestAnimationFrame(() => this.#tick());
  }

  /**
   * Lights the word being heard, by the audio element's own clock: it stops when playback
   * pauses and jumps when playback jumps. Words heard before it are darkened.
   */
  #follow(utterance: Utterance, seconds: number): void {
    if (this.#words.length < utterance.words.length) this.#addWords(utterance.info.text, utterance.words.slice(this.#words.length));
    const now = seconds * 1000;
    let lit = -1;
    // Before the first sample plays (a page waiting for its click, say) nothing has been heard.
    for (const [index, word] of utterance.words.entries()) {
      if (now <= 0 || word.start_ms > now) break;
      lit = index;
    }
    if (lit === this.#lit) return;
    this.#lit = lit;
    for (const [index, element] of this.#words.entries()) {
      element.classList.toggle('heard', index < lit);
      element.classList.toggle('current', index === lit);
      if (index === lit) element.setAttribute('aria-current', 'true');
      else element.removeAttribute('aria-current');
    }
  }

  /** Turns the next stretch of the text into word elements, keeping the text's own spacing and punctuation. */
  #addWords(text: string, words: readonly TimedWord[]): void {
    if (!this.#tail) {
      this.#spoken.textContent = '';
      this.#tail = document.createTextNode(text);
      this.#rest.replaceChildren(this.#tail);
    }
    for (const word of words) {
      const at = text.indexOf(word.text, this.#cursor);
      const element = document.createElement('span');
      element.className = 'word';
      element.textContent = word.text;
      // A word that is not in the text as written (a normalised number, say) goes after what is shown.
      const before = at === -1 ? ' ' : text.slice(this.#cursor, at);
      this.#spoken.append(before, element);
      this.#cursor = at === -1 ? this.#cursor : at + word.text.length;
      this.#words.push(element);
    }
    this.#tail.data = text.slice(this.#cursor);
  }

  /** Darkens the words already heard; the split is approximate, as timing is by proportion. */
  #shade(text: string, fraction: number): void {
    // Whole words only: the word being spoken counts as heard.
    let split = Math.round(text.length * fraction);
    if (fraction >= 1) split = text.length;
    else if (split > 0) split = text.indexOf(' ', split) === -1 ? text.length : text.indexOf(' ', split);
    if (split === this.#split) return;
    this.#split = split;
    this.#spoken.textContent = text.slice(0, split);
    this.#rest.textContent = text.slice(split);
  }
}

/** Seconds the utterance lasts: exact once the stream ended, estimated while it still arrives. */
function estimateSeconds(utterance: Utterance, audio: HTMLAudioElement): number {
  if (Number.isFinite(audio.duration) && utterance.settled) return audio.duration;
  const rate = utterance.info.format ? bytesPerSecond(utterance.info.format) : undefined;
  const fromBytes = rate ? utterance.bytes / rate : 0;
  if (utterance.settled && fromBytes > 0) return fromBytes;
  return Math.max(fromBytes, utterance.info.text.length / CHARS_PER_SECOND, audio.currentTime);
}
