import { JessicaError } from '../errors.js';

/** Largest JSON body accepted: a maximal text (20 000 characters, up to 4 bytes each) with room to spare. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Parses a request body that must be JSON. Empty bodies are allowed (they parse to undefined)
 * so routes decide whether they need one.
 */
export function parseJsonBody(contentType: string | undefined, raw: Uint8Array | string | undefined, limit = MAX_BODY_BYTES): unknown {
  const size = raw === undefined ? 0 : typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size === 0) return undefined;
  if (size > limit) throw new JessicaError('payload_too_large', `The body is larger than ${limit} bytes.`);
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json' && !type?.endsWith('+json')) {
    throw new JessicaError('unsupported_media_type', 'Send the body as application/json.');
  }
  const text = typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: false }).decode(raw);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new JessicaError('invalid_request', 'The body is not valid JSON.');
  }
}
