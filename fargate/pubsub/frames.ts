import type { Settings, SpeechPlan, WordTiming } from '../../core/index.js';

/**
 * The messages tasks exchange over Redis pub/sub, one binary-safe frame each:
 * `[1 byte type][4 bytes header length, big-endian][header JSON, UTF-8][payload bytes]`.
 * Only `chunk` has a payload (raw audio, its words in the header); every other type is all header.
 */

/** Plan fields a listening task needs to announce and play an utterance it did not synthesise (the text parts stay with the synthesising task). */
export type WirePlan = Omit<SpeechPlan, 'parts'>;

export type Frame =
  /** An utterance begins; `origin` is the task that synthesises it (where `played` acks go). */
  | { type: 'start'; origin: string; plan: WirePlan }
  /** `seq` counts chunks from 0, so a receiver notices a gap (lost messages) instead of playing around it. */
  | { type: 'chunk'; id: string; seq: number; bytes: Uint8Array; words?: readonly WordTiming[] }
  | { type: 'end'; id: string; chunks: number; bytes: number }
  | { type: 'error'; id: string; code: string; message: string }
  /** Stops the principal's listeners everywhere; `ids` are the utterances it cancelled. */
  | { type: 'stop'; ids: string[] }
  | { type: 'settings'; settings: Settings }
  /** A listener on some task finished playing `id` (sent to the origin task's channel). */
  | { type: 'played'; id: string }
  /** The task sending `id` is still there (sent with each renewal of its speaker lease, also before the first chunk). */
  | { type: 'alive'; id: string }
  /**
   * Flow control, to the origin task's channel: `task`'s hub has taken `bytes` of `id` from its
   * feed (0 when the feed opens); -1 when it is done with it.
   */
  | { type: 'consumed'; id: string; task: string; bytes: number };

const TYPE_CODES = { start: 1, chunk: 2, end: 3, error: 4, stop: 5, settings: 6, played: 7, alive: 8, consumed: 9 } as const satisfies Record<Frame['type'], number>;
const TYPES = new Map<number, Frame['type']>(Object.entries(TYPE_CODES).map(([type, code]) => [code, type as Frame['type']]));
const PREFIX = 5;

/** A frame that cannot be decoded (another version of Jessica, or a stray publisher on the channel). */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export function frameToBuffer(frame: Frame): Buffer {
  const { type, ...fields } = frame;
  let payload: Uint8Array | undefined;
  let header: object = fields;
  if (frame.type === 'chunk') {
    payload = frame.bytes;
    header = { id: frame.id, seq: frame.seq, ...(frame.words?.length ? { words: frame.words } : {}) };
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(PREFIX + json.length + (payload?.byteLength ?? 0));
  out.writeUInt8(TYPE_CODES[type], 0);
  out.writeUInt32BE(json.length, 1);
  json.copy(out, PREFIX);
  if (payload) out.set(payload, PREFIX + json.length);
  return out;
}

export function bufferToFrame(buffer: Buffer): Frame {
  if (buffer.length < PREFIX) throw new FrameError('frame too short');
  const type = TYPES.get(buffer.readUInt8(0));
  if (!type) throw new FrameError(`unknown frame type ${buffer.readUInt8(0)}`);
  const headerLength = buffer.readUInt32BE(1);
  if (PREFIX + headerLength > buffer.length) throw new FrameError('header longer than the frame');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buffer.subarray(PREFIX, PREFIX + headerLength).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new FrameError('header is not JSON');
  }
  if (typeof header !== 'object' || header === null) throw new FrameError('header is not an object');
  if (type === 'chunk') {
    if (typeof header['id'] !== 'string' || typeof header['seq'] !== 'number') throw new FrameError('chunk without id or seq');
    const words = header['words'];
    if (words !== undefined && !isWordList(words)) throw new FrameError('chunk with malformed words');
    // A copy: the subscriber's buffer is reused by nothing, but a view would pin the whole message.
    const bytes = Uint8Array.prototype.slice.call(buffer, PREFIX + headerLength);
    return { type, id: header['id'], seq: header['seq'], bytes, ...(words ? { words } : {}) };
  }
  const frame = { ...header, type } as Frame;
  if (!isWellFormed(frame)) throw new FrameError(`malformed ${type} frame`);
  return frame;
}

function isWordList(value: unknown): value is WordTiming[] {
  return (
    Array.isArray(value) &&
    value.every((word: unknown) => {
      const { text, start_ms: start, end_ms: end } = (typeof word === 'object' && word !== null ? word : {}) as Record<string, unknown>;
      return typeof text === 'string' && typeof start === 'number' && typeof end === 'number';
    })
  );
}

function isWellFormed(frame: Frame): boolean {
  switch (frame.type) {
    case 'start':
      return typeof frame.origin === 'string' && typeof frame.plan === 'object' && frame.plan !== null && typeof frame.plan.utteranceId === 'string';
    case 'end':
      return typeof frame.id === 'string' && typeof frame.bytes === 'number' && typeof frame.chunks === 'number';
    case 'error':
      return typeof frame.id === 'string' && typeof frame.code === 'string' && typeof frame.message === 'string';
    case 'stop':
      return Array.isArray(frame.ids);
    case 'settings':
      return typeof frame.settings === 'object' && frame.settings !== null;
    case 'played':
    case 'alive':
      return typeof frame.id === 'string';
    case 'consumed':
      return typeof frame.id === 'string' && typeof frame.task === 'string' && typeof frame.bytes === 'number';
    case 'chunk':
      return true;
  }
}
