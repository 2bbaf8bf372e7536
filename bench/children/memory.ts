import { createServer, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '../lib/serve.js';

/**
 * The floor of a cached answer: a bare `node:http` server that reads the request body whole,
 * then answers with audio it holds in memory — the same bytes, headers and framing as Jessica's
 * cached `POST /tts/stream` (chunked, one HTTP chunk per cached piece, no content-length) — and
 * nothing else: no routing, no auth check, no JSON parsing, no cache lookup. What Jessica's
 * cached repeat takes beyond this is its own work.
 */

interface Answer {
  headers: OutgoingHttpHeaders;
  pieces: Buffer[];
}

let answer: Answer | undefined;

const server = createServer((req, res) => {
  const body: Buffer[] = [];
  req.on('data', (chunk: Buffer) => body.push(chunk));
  req.on('end', () => {
    // Like any server, it has the whole request before it answers (and wants one).
    if (Buffer.concat(body).length === 0 || !answer) {
      res.writeHead(answer ? 400 : 503).end();
      return;
    }
    res.writeHead(200, answer.headers);
    for (const piece of answer.pieces) res.write(piece);
    res.end();
  });
});
// Jessica keeps idle connections this long too; the measuring client reuses one.
server.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

serve(
  {
    /** What to answer: the audio (base64) cut into `pieceSize`-byte HTTP chunks, with these headers. */
    load: ({ audio, pieceSize, headers }: { audio: string; pieceSize: number; headers: Record<string, string> }) => {
      const bytes = Buffer.from(audio, 'base64');
      const pieces: Buffer[] = [];
      for (let offset = 0; offset < bytes.length; offset += pieceSize) pieces.push(bytes.subarray(offset, offset + pieceSize));
      answer = { headers, pieces };
      return { bytes: bytes.length, pieces: pieces.length };
    },
  },
  { url: `http://127.0.0.1:${port}` },
);
