import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitText } from '../../../core/text/split.js';

const words = (text: string) => text.split(/\s+/).filter(Boolean);

describe('splitText', () => {
  it('keeps a text within the limit whole, trimmed', () => {
    expect(splitText('  Short text.  ', 100)).toEqual(['Short text.']);
  });

  it('answers no parts for blank text', () => {
    expect(splitText('   ', 10)).toEqual([]);
    expect(splitText('', 10)).toEqual([]);
  });

  it('refuses a limit below one', () => {
    expect(() => splitText('text', 0)).toThrow(RangeError);
  });

  it('splits at sentence ends, packing as many sentences as fit', () => {
    expect(splitText('One is here. Two is here! Three is here? Four.', 26)).toEqual(['One is here. Two is here!', 'Three is here? Four.']);
  });

  it('keeps closing quotes and brackets with their sentence', () => {
    const text = 'He said "stop." Then (he left.) Fine.';
    const parts = splitText(text, 21);
    expect(parts).toEqual(['He said "stop."', 'Then (he left.) Fine.']);
    expect(parts.join(' ')).toBe(text);
  });

  it('falls back to clause boundaries inside a long sentence', () => {
    expect(splitText('first clause here, second clause here; third clause here', 25)).toEqual([
      'first clause here,',
      'second clause here;',
      'third clause here',
    ]);
  });

  it('falls back to spaces inside a long clause', () => {
    const parts = splitText('alpha beta gamma delta epsilon zeta eta theta', 12);
    expect(parts.every((part) => part.length <= 12)).toBe(true);
    expect(parts.join(' ')).toBe('alpha beta gamma delta epsilon zeta eta theta');
  });

  it('cuts an unbroken run hard at the limit', () => {
    const run = 'x'.repeat(25);
    expect(splitText(run, 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });

  it('splits a long text into parts under the limit that keep every word, in order', () => {
    const text = Array.from({ length: 300 }, (_, index) => `Sentence ${index} has a few words, and a clause.`).join(' ');
    const parts = splitText(text, 1_000);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(1_000);
      expect(part).toMatch(/\.$/);
    }
    expect(words(parts.join(' '))).toEqual(words(text));
  });

  // Speakable text has single-line paragraphs; words stay whole when the limit is at least twice the longest word.
  it('respects the limit, leaves no empty part and loses no word, whatever the text', () => {
    const word = fc.stringMatching(/^[a-z]{1,12}[.,;!?]?$/);
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 200 }), fc.array(fc.constantFrom(' ', '  '), { minLength: 200, maxLength: 200 }), fc.integer({ min: 26, max: 300 }), (list, gaps, limit) => {
        const text = list.map((item, index) => `${item}${gaps[index]}`).join('');
        const parts = splitText(text, limit);
        for (const part of parts) {
          expect(part.length).toBeGreaterThan(0);
          expect(part.length).toBeLessThanOrEqual(limit);
          expect(part).toBe(part.trim());
        }
        expect(words(parts.join(' '))).toEqual(words(text));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every character of unbroken runs when it has to cut them', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 400 }).filter((text) => !/\s/.test(text)), fc.integer({ min: 1, max: 50 }), (text, limit) => {
        const parts = splitText(text, limit);
        expect(parts.join('')).toBe(text);
        for (const part of parts) expect(part.length).toBeLessThanOrEqual(limit);
      }),
    );
  });
});
