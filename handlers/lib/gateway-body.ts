import { JessicaError } from '../../core/errors.js';

/**
 * Lambda refuses a synchronous response over 6 MB (the whole JSON document, body included),
 * and a base64 body is 4/3 the size of its bytes. What is left after headers and JSON framing
 * bounds the bytes one buffered response can carry.
 */
export const MAX_BUFFERED_RESPONSE_BYTES = Math.floor((6 * 1024 * 1024 - 64 * 1024) / 4) * 3;

/** Content types whose bytes API Gateway may carry as plain text. */
const TEXTUAL = /^(text\/|application\/(json|[\w.+-]+\+json|javascript|xml|x-www-form-urlencoded)\b)/i;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export interface GatewayBody {
  body: string;
  isBase64Encoded: boolean;
}

/**
 * The body of an API Gateway (payload 2.0) or buffered Function URL result. Audio and other
 * binary content goes out as base64 with `isBase64Encoded: true`, which API Gateway decodes back
 * into the original bytes; text (JSON, MCP answers) stays readable.
 *
 * @example
 * const { body, isBase64Encoded } = toGatewayBody(audio, 'audio/mpeg');
 * return { statusCode: 200, headers, body, isBase64Encoded };
 */
export function toGatewayBody(bytes: Uint8Array, contentType: string | undefined): GatewayBody {
  if (bytes.byteLength > MAX_BUFFERED_RESPONSE_BYTES) {
    throw responseTooLarge();
  }
  if (contentType !== undefined && TEXTUAL.test(contentType.trim())) {
    try {
      return { body: strictUtf8.decode(bytes), isBase64Encoded: false };
    } catch {
      // Mislabelled bytes still arrive intact as base64.
    }
  }
  return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), isBase64Encoded: true };
}

/** Reads a stream into one buffer, giving up (and cancelling the source) past the buffered limit. */
export async function collectBytes(chunks: AsyncIterable<Uint8Array>, limit = MAX_BUFFERED_RESPONSE_BYTES): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.byteLength;
    if (total > limit) throw responseTooLarge();
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}

function responseTooLarge(): JessicaError {
  return new JessicaError(
    'payload_too_large',
    'The audio is larger than a buffered response can carry (about 4.5 MB); use POST /api/v1/tts/stream on the streaming endpoint, or send shorter text.',
  );
}
