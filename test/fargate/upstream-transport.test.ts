import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeTransport } from '../../fargate/upstream-transport.js';
import { describeClientOver } from '../core/elevenlabs/client-contract.js';

describeClientOver('node:http (the live server)', nodeTransport);

describe('nodeTransport', () => {
  const seen: Array<{ url: string | undefined; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    res.end('ok');
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the path and query of every URL as given, below a base path, with the credentials of its origin', async () => {
    const signal = new AbortController().signal;
    for (const path of ['/base/v1/voices?page_size=100', '/base/v1/text-to-speech/a%20b/stream?output_format=mp3_44100_128']) {
      const answer = await nodeTransport(`http://user:p%40ss@127.0.0.1:${port}${path}`, { method: 'GET', headers: {}, signal });
      expect(answer.status).toBe(200);
      for await (const _chunk of answer.body) {
        // Read to the end, so the socket goes back to the pool.
      }
    }
    expect(seen.map((request) => request.url)).toEqual(['/base/v1/voices?page_size=100', '/base/v1/text-to-speech/a%20b/stream?output_format=mp3_44100_128']);
    expect(seen.map((request) => request.headers.authorization)).toEqual([`Basic ${Buffer.from('user:p@ss').toString('base64')}`, `Basic ${Buffer.from('user:p@ss').toString('base64')}`]);
  });
});
