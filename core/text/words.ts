import type { WordTiming } from '../types.js';

/** Character timings as the upstream sends them (seconds), for one line of its stream. */
export interface CharacterAlignment {
  characters: readonly string[];
  character_start_times_seconds: readonly number[];
  character_end_times_seconds: readonly number[];
}

const SEPARATOR = /\s/u;
/** Dashes between words split them, as a reader sees "well—then" as two words. */
const DASH = /[\u2013\u2014]/u;
/** A token is a word only if it has something to say; a lone "-" or "…" is not highlighted. */
const SPEAKABLE = /[\p{L}\p{N}]/u;

interface Pending {
  text: string;
  start: number;
  end: number;
}

/**
 * Groups timed characters into timed words, line by line and part by part. Words are returned
 * once they are complete (a separator or the end of the part follows), so a word split across
 * lines is reported once, whole. Times are from the start of the utterance: each part's clock
 * restarts at zero upstream and is shifted here by the parts before it; within a part, times
 * may be absolute or restart with every line (the API leaves it open), and both read the same.
 */
export class WordClock {
  /** Where the current part starts in the utterance, in milliseconds. */
  #partOffsetMs = 0;
  /** Seconds added to the current line's times when its clock restarted. */
  #lineOffset = 0;
  /** How the current part's lines are timed, once a second line with timings has told. */
  #clock: 'unknown' | 'absolute' | 'per-line' = 'unknown';
  /** Latest end seen in the current part, in part seconds. */
  #partEnd = 0;
  #pending: Pending | undefined;
  #lastEndMs = 0;

  /**
   * The words this line completes. `lineStart` is where the line's audio starts in the part
   * (seconds), when the audio's byte rate tells; a line whose clock restarted is placed there.
   */
  push(alignment: CharacterAlignment, lineStart?: number): WordTiming[] {
    const { characters, character_start_times_seconds: starts, character_end_times_seconds: ends } = alignment;
    const words: WordTiming[] = [];
    const first = starts[0];
    if (first !== undefined && this.#partEnd > 0) {
      const restart = lineStart ?? this.#partEnd;
      if (this.#clock === 'unknown') {
        // Speech is continuous: the line's first character starts about where the last one ended.
        // Whichever reading puts it nearer to that is how this upstream times its lines.
        this.#clock = Math.abs(first + restart - this.#partEnd) < Math.abs(first - this.#partEnd) ? 'per-line' : 'absolute';
      }
      if (this.#clock === 'per-line') this.#lineOffset = restart;
    }
    for (const [index, character] of characters.entries()) {
      const start = (starts[index] ?? 0) + this.#lineOffset;
      const end = Math.max(start, (ends[index] ?? start) + this.#lineOffset);
      this.#partEnd = Math.max(this.#partEnd, end);
      if (SEPARATOR.test(character)) {
        this.#finish(words);
        continue;
      }
      if (this.#pending) {
        this.#pending.text += character;
        this.#pending.end = Math.max(this.#pending.end, end);
      } else {
        this.#pending = { text: character, start, end };
      }
      if (DASH.test(character)) this.#finish(words);
    }
    return words;
  }

  /**
   * Ends a part: returns its last word, and moves the clock on by the part's length, the
   * longer of its last character's end and `audioSeconds` (the length of its audio, if known).
   */
  endPart(audioSeconds?: number): WordTiming[] {
    const words: WordTiming[] = [];
    this.#finish(words);
    this.#partOffsetMs += Math.max(this.#partEnd, audioSeconds ?? 0) * 1000;
    this.#partEnd = 0;
    this.#lineOffset = 0;
    this.#clock = 'unknown';
    return words;
  }

  #finish(words: WordTiming[]): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending || !SPEAKABLE.test(pending.text)) return;
    // Rising times even when the upstream overlaps (pronunciation dictionaries can restart it).
    const startMs = Math.max(this.#lastEndMs, Math.round(this.#partOffsetMs + pending.start * 1000));
    const endMs = Math.max(startMs, Math.round(this.#partOffsetMs + pending.end * 1000));
    this.#lastEndMs = endMs;
    words.push({ text: pending.text, start_ms: startMs, end_ms: endMs });
  }
}
