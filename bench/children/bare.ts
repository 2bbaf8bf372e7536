import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { payloadOf, serve } from '../lib/serve.js';

/**
 * The throughput baseline: plain `node:http` answering with the same JSON documents Jessica
 * serves, serialised per request as any server would, and nothing else: no routing library, no
 * auth. Each route carries the headers it is given: Jessica's own (security headers,
 * cache-control), so that both send the same response, or none but the content type.
 */

interface Route {
  document: unknown;
  headers: Record<string, string>;
}

const { routes } = payloadOf<{ routes: Record<string, Route> }>();
const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const route = routes[path];
  if (route === undefined) {
    res.writeHead(404).end();
    return;
  }
  const body = JSON.stringify(route.document);
  res.writeHead(200, { ...route.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

serve({}, { url: `http://127.0.0.1:${port}` });
