import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

describe('live server smoke', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.close();
  });

  it('reports ok health with the upstream configured', async () => {
    const response = await stack.request('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', target: 'fargate', upstream: { configured: true } });
  });

  it('returns the bytes the upstream sent for POST /tts', async () => {
    const response = await stack.request('/api/v1/tts', { body: { text: 'Hello there, this is a test.' } });
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.equals(stack.fake.sentAudio.at(-1)!.bytes)).toBe(true);
  });
});
