/** Text frames the server sends on the WebSocket (SPEC §5): the core's own type. Audio arrives as binary frames. */
export type { ServerMessage } from '../../core/live/messages.js';
import type { ServerMessage } from '../../core/live/messages.js';

export type ClientMessage =
  | { type: 'speak'; text: string; voice?: string; model?: string }
  | { type: 'stop' }
  | { type: 'played'; id: string }
  | { type: 'ping' };

const KNOWN_TYPES = new Set(['hello', 'audio.start', 'audio.words', 'audio.end', 'audio.error', 'stopped', 'settings', 'error', 'pong']);

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
