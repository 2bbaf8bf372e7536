import { describe, expect, it } from 'vitest';
import { JessicaError } from '../../../core/errors.js';
import { ClientFrameError, parseClientMessage, speechInputSchema } from '../../../core/live/messages.js';

function frameError(text: string): ClientFrameError {
  try {
    parseClientMessage(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ClientFrameError);
    return error as ClientFrameError;
  }
  throw new Error('expected the frame to be refused');
}

describe('parseClientMessage', () => {
  it('reads a speak frame, keeping the synthesis fields as input', () => {
    expect(parseClientMessage(JSON.stringify({ type: 'speak', text: 'Hi', voice: 'george', voice_settings: { speed: 1.1 } }))).toEqual({
      type: 'speak',
      input: { text: 'Hi', voice: 'george', voice_settings: { speed: 1.1 } },
    });
  });

  it('reads stop, ping and played frames', () => {
    expect(parseClientMessage('{"type":"stop"}')).toEqual({ type: 'stop' });
    expect(parseClientMessage('{"type":"ping","extra":1}')).toEqual({ type: 'ping' });
    expect(parseClientMessage('{"type":"played","id":"utt_abc"}')).toEqual({ type: 'played', id: 'utt_abc' });
  });

  it('refuses text that is not JSON', () => {
    expect(frameError('not json').message).toBe('Frames must be JSON text.');
  });

  it('refuses JSON that is not an object', () => {
    for (const text of ['[]', 'null', '"speak"', '42']) expect(frameError(text).message).toBe('Frames must be JSON objects.');
  });

  it('refuses unknown or missing types, quoting at most 40 characters of the type', () => {
    expect(frameError('{"type":"dance"}').message).toBe('Unknown frame type "dance".');
    expect(frameError(JSON.stringify({ type: 'x'.repeat(100) })).message).toBe(`Unknown frame type "${'x'.repeat(40)}".`);
    expect(frameError('{"text":"hi"}').message).toMatch(/need a "type"/);
    expect(frameError('{"type":7}').message).toMatch(/need a "type"/);
  });

  it('refuses played without a usable id', () => {
    for (const frame of [{ type: 'played' }, { type: 'played', id: '' }, { type: 'played', id: 7 }, { type: 'played', id: 'x'.repeat(101) }]) {
      expect(frameError(JSON.stringify(frame)).message).toBe('played needs the utterance id.');
    }
  });

  it('refuses with an invalid_request error, the code an error frame carries', () => {
    const error = frameError('nope');
    expect(error).toBeInstanceOf(JessicaError);
    expect(error.code).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.name).toBe('ClientFrameError');
  });

  it('re-exports the REST synthesis schema for speak frames', () => {
    const input = parseClientMessage('{"type":"speak","text":"Hi","voice_id":"george"}');
    expect(input.type).toBe('speak');
    if (input.type === 'speak') expect(speechInputSchema.parse(input.input)).toMatchObject({ text: 'Hi', voice: 'george' });
  });
});
