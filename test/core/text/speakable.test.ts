import { describe, expect, it } from 'vitest';
import { toSpeakableText } from '../../../core/text/speakable.js';

describe('toSpeakableText', () => {
  it('leaves plain prose alone', () => {
    expect(toSpeakableText('Hello there, how are you?')).toBe('Hello there, how are you?');
  });

  it('reads headings as sentences', () => {
    expect(toSpeakableText('# Title\n\nSome text')).toBe('Title. Some text');
    expect(toSpeakableText('## Closed heading ##')).toBe('Closed heading.');
  });

  it('reads bullet, numbered and task list items as sentences', () => {
    expect(toSpeakableText('- one\n- two\n* three\n1. four\n2) five')).toBe('one. two. three. four. five.');
    expect(toSpeakableText('- [x] done\n- [ ] todo')).toBe('done. todo.');
  });

  it('keeps the pause between a paragraph and the list after it', () => {
    expect(toSpeakableText('Intro\n\n- one\n- two')).toBe('Intro. one. two.');
  });

  it('keeps the pause between a paragraph and the heading after it', () => {
    expect(toSpeakableText('Intro\n\n# Title\n\nBody')).toBe('Intro. Title. Body');
  });

  it('drops bold, italics and strikethrough markers but keeps their words', () => {
    expect(toSpeakableText('This is **bold** and __also__ and *it* and _em_ and ~~gone~~.')).toBe('This is bold and also and it and em and gone.');
  });

  it('does not mistake underscores or stars inside words and sums for emphasis', () => {
    expect(toSpeakableText('snake_case_name and 2*3*4')).toBe('snake_case_name and 2*3*4');
  });

  it('reads links and images by their text', () => {
    expect(toSpeakableText('See [the docs](https://example.com/docs) now.')).toBe('See the docs now.');
    expect(toSpeakableText('An image ![a cat](cat.png) here.')).toBe('An image a cat here.');
    expect(toSpeakableText('Ref [text][1].\n\n[1]: https://x.example')).toBe('Ref text.');
  });

  it('names bare URLs by their host, keeping the sentence end', () => {
    expect(toSpeakableText('Visit https://www.example.com/path?q=1. Then go.')).toBe('Visit a link to example.com. Then go.');
    expect(toSpeakableText('Or www.github.com/foo for more')).toBe('Or a link to github.com for more');
    expect(toSpeakableText('Broken http://[bad link')).toBe('Broken a link to a website link');
  });

  it('announces fenced code instead of reading it, naming the language when known', () => {
    expect(toSpeakableText('```ts\nconst a = 1;\n```\nAfter.')).toBe('(TypeScript code omitted.) After.');
    expect(toSpeakableText('~~~python\nprint(1)\n~~~')).toBe('(Python code omitted.)');
    expect(toSpeakableText('```\ncode\n```')).toBe('(Code omitted.)');
    expect(toSpeakableText('```weird-lang\nx\n```')).toBe('(weird-lang code omitted.)');
  });

  it('announces an unclosed fence too, hiding everything after it', () => {
    expect(toSpeakableText('Look:\n```rust\nfn main() {}\nstill code')).toBe('Look: (Rust code omitted.)');
  });

  it('reads inline code as its text', () => {
    expect(toSpeakableText('Use `npm test` to run.')).toBe('Use npm test to run.');
  });

  it('reads table rows as sentences of their cells', () => {
    expect(toSpeakableText('| a | b |\n| 1 | 2 |')).toBe('a, b. 1, 2.');
  });

  it('keeps each row of a table with a header separator its own sentence', () => {
    expect(toSpeakableText('Text before\n\n| Name | Age |\n| --- | --- |\n| Ann | 30 |\n| Bob | 40 |\n\nAfter the table')).toBe(
      'Text before. Name, Age. Ann, 30. Bob, 40. After the table',
    );
  });

  it('drops HTML tags, block quote markers and horizontal rules', () => {
    expect(toSpeakableText('Hello <b>world</b><br/>!')).toBe('Hello world !');
    expect(toSpeakableText('> quoted line')).toBe('quoted line');
    expect(toSpeakableText('Before\n\n---\n\nAfter')).toBe('Before. After');
  });

  it('joins lines of a paragraph and ends paragraphs with a full stop', () => {
    expect(toSpeakableText('line one\nline two')).toBe('line one line two');
    expect(toSpeakableText('Para one\r\n\r\nPara two!\r\rPara three')).toBe('Para one. Para two! Para three');
  });

  it('answers an empty string when nothing speakable is left', () => {
    for (const input of ['', '   ', '\n\n', '**  **', '---', '<br/>']) expect(toSpeakableText(input)).toBe('');
  });
});
