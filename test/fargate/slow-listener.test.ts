import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LISTENER_BUFFER } from '../../fargate/server.js';
import { TestListener, wsUrl, type Frame } from '../support/listener.js';
import { deadline, pausedPeerCapacity } from '../support/socket-buffers.js';
import { startStack, type Stack } from '../support/stack.js';

const TEST_TIMEOUT_MS = 60_000;

describe('slow listeners', () => {
  let stack: Stack;
  // Twice what a peer that stops reading can hold before the server's cap is crossed, so the drop always comes mid-utterance.
  const audio = randomBytes(2 * (pausedPeerCapacity() + MAX_LISTENER_BUFFER));

  beforeAll(async () => {
    stack = await startStack({}, { audio, chunkSize: 64 * 1024 });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('drops a listener that stops reading while a fast one receives every byte', { timeout: TEST_TIMEOUT_MS }, async () => {
    const left = deadline(TEST_TIMEOUT_MS - 5_000);
    const url = wsUrl(stack.server.url, '/ws');
    const fast = await TestListener.connect(url);
    const slow = await TestListener.connect(url);
    const slowSocket = (slow.ws as unknown as { _socket: Socket })._socket;
    slowSocket.pause();

    const response = await stack.request('/api/v1/speak', { body: { text: 'A very long recording.' } });
    const { utterance_id } = (await response.json()) as { utterance_id: string };
    const end = await fast.next('audio.end', () => true, left());
    expect(end['bytes']).toBe(audio.length);
    expect(fast.audioOf(utterance_id).equals(audio)).toBe(true);
    expect(await stack.server.hub.listenerCount('local')).toBe(1);

    // What the slow one had been sent before it was dropped stays in its buffers; then the close.
    slowSocket.resume();
    const closed = await slow.waitClosed(left());
    expect(closed.code).toBe(1013);
    expect(slow.json('audio.end')).toHaveLength(0);
    expect(bytesOf(slow.frames)).toBeLessThan(audio.length);
    fast.close();
  });
});

function bytesOf(frames: Frame[]): number {
  return frames.reduce((sum, frame) => sum + (frame.kind === 'binary' ? frame.value.length : 0), 0);
}
