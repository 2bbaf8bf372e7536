import { describe, expect, it } from 'vitest';
import { collectBytes, MAX_BUFFERED_RESPONSE_BYTES, toGatewayBody } from '../../handlers/lib/gateway-body.js';

const mp3Header = new Uint8Array([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0xff, 0xfb, 0x90, 0x64]);

async function* chunksOf(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

describe('toGatewayBody', () => {
  it('encodes audio as base64 and flags it, so API Gateway returns the original bytes', () => {
    const { body, isBase64Encoded } = toGatewayBody(mp3Header, 'audio/mpeg');
    expect(isBase64Encoded).toBe(true);
    expect(Buffer.from(body, 'base64').equals(Buffer.from(mp3Header))).toBe(true);
  });

  it('encodes a view into a larger buffer without its neighbours', () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const { body } = toGatewayBody(backing.subarray(2, 4), 'application/octet-stream');
    expect([...Buffer.from(body, 'base64')]).toEqual([3, 4]);
  });

  it.each(['application/json', 'application/json; charset=utf-8', 'text/event-stream', 'application/problem+json', 'text/plain'])('keeps %s as text', (type) => {
    expect(toGatewayBody(new TextEncoder().encode('{"ok":"grüße"}'), type)).toEqual({ body: '{"ok":"grüße"}', isBase64Encoded: false });
  });

  it('falls back to base64 for text-labelled bytes that are not UTF-8', () => {
    expect(toGatewayBody(mp3Header, 'application/json').isBase64Encoded).toBe(true);
  });

  it.each([undefined, 'audio/ogg', 'audio/L16;rate=24000;channels=1'])('treats %s as binary', (type) => {
    expect(toGatewayBody(new TextEncoder().encode('abc'), type).isBase64Encoded).toBe(true);
  });

  it('refuses bytes a 6 MB Lambda response cannot carry with 413 payload_too_large', () => {
    expect(() => toGatewayBody(new Uint8Array(MAX_BUFFERED_RESPONSE_BYTES + 1), 'audio/mpeg')).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
    const fits = toGatewayBody(new Uint8Array(MAX_BUFFERED_RESPONSE_BYTES), 'audio/mpeg');
    expect(fits.body.length).toBeLessThan(6 * 1024 * 1024 - 60 * 1024);
  });
});

describe('collectBytes', () => {
  it('joins the chunks in order', async () => {
    const bytes = await collectBytes(chunksOf(new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4, 5])));
    expect([...bytes]).toEqual([1, 2, 3, 4, 5]);
  });

  it('stops reading and releases the source once past the limit', async () => {
    let finished = false;
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) yield new Uint8Array(10);
      } finally {
        finished = true;
      }
    }
    await expect(collectBytes(endless(), 25)).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(finished).toBe(true);
  });
});
