import type { Settings } from './types.js';

/** Text frames the server sends on the WebSocket (SPEC §5). Audio arrives as binary frames. */
export type ServerMessage =
  | { type: 'hello'; version: string; target: string; settings: Settings; listener_id?: string }
  | { type: 'audio.start'; id: string; text: string; voice_id: string; model_id: string; format: string; mime: string }
  | { type: 'audio.end'; id: string; bytes: number }
  | { type: 'audio.error'; id: string; code: string; message: string }
  | { type: 'stopped' }
  | { type: 'settings'; settings: Settings }
  | { type: 'error'; code: string; message: string }
  | { type: 'pong' };

export type ClientMessage =
  | { type: 'speak'; text: string; voice?: string; model?: string }
  | { type: 'stop' }
  | { type: 'played'; id: string }
  | { type: 'ping' };

const KNOWN_TYPES = new Set(['hello', 'audio.start', 'audio.end', 'audio.error', 'stopped', 'settings', 'error', 'pong']);

/**
 * Parses one text frame. Returns undefined for anything the page does not understand, so a
 * newer server can add frame types without breaking older pages.
 */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const type = (data as { type?: unknown }).type;
  return typeof type === 'string' && KNOWN_TYPES.has(type) ? (data as ServerMessage) : undefined;
}
