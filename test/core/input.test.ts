import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { parseInput, parseSpeechInput } from '../../core/input.js';
import { rejectionOf } from './support/fakes.js';

describe('parseSpeechInput', () => {
  it('reads the synthesis body, with voice_id and model_id as aliases', () => {
    expect(parseSpeechInput({ text: 'Hi', voice_id: 'v', model_id: 'm', output_format: 'pcm_16000', voice_settings: { speed: 1.1 } })).toEqual({
      text: 'Hi',
      voice: 'v',
      model: 'm',
      output_format: 'pcm_16000',
      voice_settings: { speed: 1.1 },
    });
  });

  it('prefers voice and model over their aliases, and trims them', () => {
    expect(parseSpeechInput({ text: 'Hi', voice: ' a ', voice_id: 'b', model: 'c', model_id: 'd' })).toMatchObject({ voice: 'a', model: 'c' });
  });

  it('names the problem fields in an invalid_request, at most five of them', async () => {
    const error = await rejectionOf(Promise.resolve().then(() => parseSpeechInput({ text: 1, voice: '', model: 'x'.repeat(101), output_format: 'wav', voice_settings: { speed: 9, loud: true } })));
    expect(error).toMatchObject({ code: 'invalid_request' });
    const message = (error as Error).message;
    expect(message).toMatch(/^Invalid speech request: /);
    expect(message).toContain('text: text is required and must be a string');
    expect(message.split('; ')).toHaveLength(5);
  });

  it('refuses anything but a JSON object', () => {
    for (const input of [null, undefined, 'text', 5, ['text']]) {
      expect(() => parseSpeechInput(input)).toThrow('The speech request must be a JSON object.');
    }
  });
});

describe('parseInput', () => {
  it('reports an issue without a path by its message alone', () => {
    const schema = z.object({ a: z.number() }).refine((value) => value.a > 1, 'a must be above one');
    expect(() => parseInput(schema, { a: 0 }, 'thing')).toThrow('Invalid thing: a must be above one');
    expect(parseInput(schema, { a: 2 })).toEqual({ a: 2 });
  });
});
