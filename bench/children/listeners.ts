import { createHash, type Hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { serve } from '../lib/serve.js';

/**
 * A group of WebSocket listeners in one process, like many open pages. Times are wall-clock
 * milliseconds with sub-millisecond resolution (`timeOrigin + now()`), comparable across
 * processes on one machine.
 */

const now = () => performance.timeOrigin + performance.now();

interface Listener {
  ws: WebSocket;
  open: boolean;
  closeCode: number | undefined;
  startAt: number;
  firstByteAt: number;
  lastByteAt: number;
  bytes: number;
  hash: Hash;
  digest: string | undefined;
  ended: boolean;
}

const listeners: Listener[] = [];
let onProgress: (() => void) | undefined;

function connectOne(url: string, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    const listener: Listener = {
      ws,
      open: false,
      closeCode: undefined,
      startAt: 0,
      firstByteAt: 0,
      lastByteAt: 0,
      bytes: 0,
      hash: createHash('sha256'),
      digest: undefined,
      ended: false,
    };
    let settled = false;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      if (ok) listeners.push(listener);
      resolve(ok);
    };
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const buffer = data as Buffer;
        const at = now();
        if (listener.bytes === 0) listener.firstByteAt = at;
        listener.lastByteAt = at;
        listener.bytes += buffer.length;
        listener.hash.update(buffer);
        return;
      }
      const message = JSON.parse((data as Buffer).toString('utf8')) as { type: string };
      if (message.type === 'audio.start') {
        listener.startAt = now();
      } else if (message.type === 'hello') {
        listener.open = true;
        settle(true);
      } else if (message.type === 'audio.end' || message.type === 'audio.error') {
        listener.ended = true;
        listener.digest = listener.hash.digest('hex');
        onProgress?.();
      }
    });
    ws.on('error', () => settle(false));
    ws.on('close', (code) => {
      listener.open = false;
      listener.closeCode = code;
      settle(false);
      onProgress?.();
    });
  });
}

serve(
  {
    async connect({ url, token, count, concurrency }: { url: string; token: string; count: number; concurrency: number }) {
      const started = now();
      let connected = 0;
      let failed = 0;
      let next = 0;
      const worker = async () => {
        while (next < count) {
          next += 1;
          if (await connectOne(url, token)) connected += 1;
          else failed += 1;
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
      return { connected, failed, ms: now() - started };
    },
    arm() {
      for (const listener of listeners) {
        listener.startAt = 0;
        listener.firstByteAt = 0;
        listener.lastByteAt = 0;
        listener.bytes = 0;
        listener.hash = createHash('sha256');
        listener.digest = undefined;
        listener.ended = false;
      }
      return listeners.length;
    },
    /** Waits until every listener has seen the end of the utterance (or was closed), then reports. */
    async collect({ sha256, timeoutMs }: { sha256: string; timeoutMs: number }) {
      const done = () => listeners.every((listener) => listener.ended || !listener.open);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, timeoutMs);
        function finish() {
          clearTimeout(timer);
          onProgress = undefined;
          resolve();
        }
        onProgress = () => {
          if (done()) finish();
        };
        onProgress();
      });
      const closeCodes: Record<string, number> = {};
      for (const listener of listeners) {
        if (listener.closeCode !== undefined) closeCodes[listener.closeCode] = (closeCodes[listener.closeCode] ?? 0) + 1;
      }
      return {
        listeners: listeners.length,
        ended: listeners.filter((listener) => listener.ended).length,
        complete: listeners.filter((listener) => listener.digest === sha256).length,
        closeCodes,
        startAt: listeners.map((listener) => listener.startAt),
        firstByteAt: listeners.map((listener) => listener.firstByteAt),
        lastByteAt: listeners.map((listener) => listener.lastByteAt),
        bytes: listeners.map((listener) => listener.bytes),
      };
    },
    open: () => listeners.filter((listener) => listener.open).length,
    async close() {
      await Promise.all(
        listeners.map(
          (listener) =>
            new Promise<void>((resolve) => {
              if (listener.ws.readyState === WebSocket.CLOSED) return resolve();
              listener.ws.once('close', () => resolve());
              listener.ws.terminate();
            }),
        ),
      );
      listeners.length = 0;
      return true;
    },
  },
  {},
);
