import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { payloadOf, serve } from '../lib/serve.js';

/**
 * The floor of any proxy: a bare `node:http` pass-through in front of the fake (request body
 * read whole, one keep-alive upstream request, response chunks piped back). Jessica's added
 * time cannot be lower than what this extra hop costs on the same machine.
 */

const { upstream } = payloadOf<{ upstream: string }>();
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'accept', 'xi-api-key']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    headers['content-length'] = String(body.length);
    const forward = request(`${upstream}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'application/octet-stream' });
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    forward.end(body);
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

serve({}, { url: `http://127.0.0.1:${port}` });
