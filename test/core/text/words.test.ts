import { describe, expect, it } from 'vitest';
import { WordClock, type CharacterAlignment } from '../../../core/text/words.js';

/** The two lines of a recorded `/stream/with-timestamps` answer for "Hi there." (times in seconds, absolute). */
const RECORDED: CharacterAlignment[] = [
  { characters: ['H', 'i', ' ', 't', 'h'], character_start_times_seconds: [0, 0.081, 0.151, 0.186, 0.232], character_end_times_seconds: [0.081, 0.151, 0.186, 0.232, 0.279] },
  { characters: ['e', 'r', 'e', '.'], character_start_times_seconds: [0.279, 0.337, 0.395, 0.441], character_end_times_seconds: [0.337, 0.395, 0.441, 0.569] },
];

/** Evenly timed characters from `from` seconds, `step` apart. */
function even(text: string, from: number, step = 0.05): CharacterAlignment {
  const characters = [...text];
  return {
    characters,
    character_start_times_seconds: characters.map((_, index) => from + index * step),
    character_end_times_seconds: characters.map((_, index) => from + (index + 1) * step),
  };
}

function relative(alignment: CharacterAlignment, from: number): CharacterAlignment {
  return {
    characters: alignment.characters,
    character_start_times_seconds: alignment.character_start_times_seconds.map((seconds) => seconds - from),
    character_end_times_seconds: alignment.character_end_times_seconds.map((seconds) => seconds - from),
  };
}

describe('WordClock', () => {
  it('groups the recorded lines into words, a word split across lines reported once and whole', () => {
    const clock = new WordClock();
    expect(clock.push(RECORDED[0]!)).toEqual([{ text: 'Hi', start_ms: 0, end_ms: 151 }]);
    expect(clock.push(RECORDED[1]!)).toEqual([]);
    expect(clock.endPart()).toEqual([{ text: 'there.', start_ms: 186, end_ms: 569 }]);
  });

  it('reads times that restart with every line the same as absolute ones', () => {
    const absolute = new WordClock();
    const perLine = new WordClock();
    const lines = [even('Once upon a ti', 0), even('me there was ', 0.7), even('a reader.', 1.35)];
    const a = [...lines.flatMap((line) => absolute.push(line)), ...absolute.endPart()];
    const starts = [0, 0.7, 1.35];
    const b = [...lines.flatMap((line, index) => perLine.push(relative(line, starts[index]!))), ...perLine.endPart()];
    expect(a.map((word) => word.text)).toEqual(['Once', 'upon', 'a', 'time', 'there', 'was', 'a', 'reader.']);
    expect(b).toEqual(a);
  });

  it('continues the times across parts: each part’s clock restarts upstream, not in the utterance', () => {
    const clock = new WordClock();
    const first = [...clock.push(even('One two.', 0)), ...clock.endPart(0.5)];
    const second = [...clock.push(even('Three four.', 0)), ...clock.endPart()];
    expect(first.map((word) => word.text)).toEqual(['One', 'two.']);
    // The first part's audio (0.5 s) is longer than its last character's end (0.4 s): the second part starts after it.
    expect(second).toEqual([
      { text: 'Three', start_ms: 500, end_ms: 750 },
      { text: 'four.', start_ms: 800, end_ms: 1050 },
    ]);
  });

  it('keeps punctuation with its word, splits at dashes and skips tokens with nothing to say', () => {
    const clock = new WordClock();
    const words = [...clock.push(even(' "Well—then," she said - quietly… ', 0)), ...clock.endPart()];
    expect(words.map((word) => word.text)).toEqual(['"Well—', 'then,"', 'she', 'said', 'quietly…']);
  });

  it('never lets times fall back, even when the upstream overlaps itself', () => {
    const clock = new WordClock();
    const words = [...clock.push(even('alpha beta ', 0)), ...clock.push(even('gamma', 0.49)), ...clock.endPart()];
    for (const [index, word] of words.entries()) {
      expect(word.end_ms).toBeGreaterThanOrEqual(word.start_ms);
      if (index > 0) expect(word.start_ms).toBeGreaterThanOrEqual(words[index - 1]!.start_ms);
    }
    expect(words.map((word) => word.text)).toEqual(['alpha', 'beta', 'gamma']);
  });
});
