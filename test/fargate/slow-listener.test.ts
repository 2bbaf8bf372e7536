import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestListener, wsUrl } from '../support/listener.js';
import { startStack, type Stack } from '../support/stack.js';

describe('slow listeners', () => {
  let stack: Stack;
  // Larger than loopback socket buffers on both sides, so a peer that stops reading backs up.
  const audio = randomBytes(24 * 1024 * 1024);

  beforeAll(async () => {
    stack = await startStack({}, { audio, chunkSize: 64 * 1024 });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('drops a listener that stops reading while a fast one receives every byte', async () => {
    const url = wsUrl(stack.server.url, '/ws');
    const fast = await TestListener.connect(url);
    const slow = await TestListener.connect(url);
    (slow.ws as unknown as { _socket: Socket })._socket.pause();

    const response = await stack.request('/api/v1/speak', { body: { text: 'A very long recording.' } });
    const { utterance_id } = (await response.json()) as { utterance_id: string };
    const end = await fast.next('audio.end', () => true, 60_000);
    expect(end['bytes']).toBe(audio.length);
    expect(fast.audioOf(utterance_id).equals(audio)).toBe(true);

    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    const closed = await slow.waitClosed(30_000);
    expect(closed.code).toBe(1013);
    expect(await stack.server.hub.listenerCount('local')).toBe(1);
    fast.close();
  });
});
