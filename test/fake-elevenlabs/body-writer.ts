import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { HoldGate } from './hold-gate.js';

/**
 * Writes a response body piece by piece: each piece is one write (one HTTP chunk when the
 * body is chunked), with optional pauses, a hold before the last piece, and injected cuts.
 */

export interface Piece {
  data: Buffer;
  /** The audio this piece carries, credited to SentAudio once the piece is written. */
  audio: Buffer;
  /** True when `data` is the audio itself, so a part of it is also a part of the audio. */
  raw: boolean;
}

/** Send the first `afterBytes` body bytes, then go silent (`stall`) or drop the connection (`reset`). */
export interface Cut {
  mode: 'stall' | 'reset';
  afterBytes: number | undefined;
}

export interface WriteOptions {
  pieces: Piece[];
  delayMs: number;
  gate: HoldGate | undefined;
  cut: Cut | undefined;
  signal: AbortSignal;
  onWritten: (audio: Buffer) => void;
}

export type WriteOutcome = 'completed' | 'cut' | 'aborted';

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export function totalLength(pieces: readonly Piece[]): number {
  return pieces.reduce((sum, piece) => sum + piece.data.length, 0);
}

/**
 * The first `limit` bytes of the body as pieces. A split raw piece keeps its audio head; a split
 * JSON piece carries no audio, since half a JSON line decodes to nothing.
 */
function truncate(pieces: readonly Piece[], limit: number): Piece[] {
  const kept: Piece[] = [];
  let left = limit;
  for (const piece of pieces) {
    if (left <= 0) break;
    if (piece.data.length <= left) {
      kept.push(piece);
      left -= piece.data.length;
    } else {
      const data = piece.data.subarray(0, left);
      kept.push({ data, audio: piece.raw ? data : Buffer.alloc(0), raw: piece.raw });
      left = 0;
    }
  }
  return kept;
}

/** Default cut point: one piece in, and always short of the whole body. */
function cutPoint(pieces: readonly Piece[], cut: Cut): number {
  const total = totalLength(pieces);
  const wanted = cut.afterBytes ?? Math.min(pieces[0]?.data.length ?? 0, Math.floor(total / 2));
  return Math.max(0, Math.min(wanted, total - 1));
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Sends what was written, then closes the socket without ending the HTTP message. */
function dropConnection(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket) return;
  socket.once('finish', () => socket.destroy());
  socket.end();
}

/** Headers must already be set. They go out at once, even when the first piece then waits (hold, cut at 0). */
export async function writeBody(res: ServerResponse, options: WriteOptions): Promise<WriteOutcome> {
  const { delayMs, gate, cut, signal, onWritten } = options;
  const pieces = cut ? truncate(options.pieces, cutPoint(options.pieces, cut)) : options.pieces;
  res.flushHeaders();
  for (const [index, piece] of pieces.entries()) {
    if (index > 0 && !(await sleep(delayMs, signal))) return 'aborted';
    if (!cut && gate && index === pieces.length - 1) await gate.wait(signal);
    if (signal.aborted) return 'aborted';
    if (!res.write(piece.data)) await drained(res, signal);
    onWritten(piece.audio);
  }
  if (signal.aborted) return 'aborted';
  if (!cut) {
    res.end();
    return 'completed';
  }
  if (cut.mode === 'reset') dropConnection(res);
  else await untilAborted(signal);
  return 'cut';
}
