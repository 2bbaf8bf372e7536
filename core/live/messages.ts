import { z } from 'zod';
import { JessicaError } from '../errors.js';
import { speechInputSchema } from '../input.js';
import type { Settings, WordTiming } from '../types.js';

/** Frames the server sends to a listener (SPEC §5). Audio bytes travel as binary frames. */
export type ServerMessage =
  | { type: 'hello'; version: string; target: string; settings: Settings; listener_id: string }
  | { type: 'audio.start'; id: string; text: string; voice_id: string; model_id: string; format: string; mime: string }
  | { type: 'audio.words'; id: string; words: readonly WordTiming[] }
  | { type: 'audio.end'; id: string; bytes: number }
  | { type: 'audio.error'; id: string; code: string; message: string }
  | { type: 'stopped' }
  | { type: 'settings'; settings: Settings }
  | { type: 'error'; code: string; message: string }
  | { type: 'pong' };

const speakFrame = z.object({ type: z.literal('speak') }).passthrough();

/** Frames a listener may send. `speak` carries the synthesis fields of the REST body. */
export type ClientMessage =
  | { type: 'speak'; input: unknown }
  | { type: 'stop' }
  | { type: 'played'; id: string }
  | { type: 'ping' };

/** A frame a client should not have sent; answered with an `error` frame, connection kept. */
export class ClientFrameError extends JessicaError {
  constructor(message: string) {
    super('invalid_request', message);
    this.name = 'ClientFrameError';
  }
}

/** Parses one text frame. Throws ClientFrameError with a message fit for an `error` frame. */
export function parseClientMessage(text: string): ClientMessage {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ClientFrameError('Frames must be JSON text.');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ClientFrameError('Frames must be JSON objects.');
  const type = (data as { type?: unknown }).type;
  switch (type) {
    case 'speak': {
      const { type: _type, ...input } = speakFrame.parse(data);
      return { type: 'speak', input };
    }
    case 'stop':
      return { type: 'stop' };
    case 'ping':
      return { type: 'ping' };
    case 'played': {
      const id = (data as { id?: unknown }).id;
      if (typeof id !== 'string' || id.length === 0 || id.length > 100) throw new ClientFrameError('played needs the utterance id.');
      return { type: 'played', id };
    }
    default:
      throw new ClientFrameError(
        typeof type === 'string' ? `Unknown frame type "${type.slice(0, 40)}".` : 'Frames need a "type": speak, stop, played or ping.',
      );
  }
}

/** Re-exported so adapters can validate `speak` frames with the same schema as REST bodies. */
export { speechInputSchema };
