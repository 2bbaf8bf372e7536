import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A small stand-in for the live server, speaking SPEC §4–5, for page behaviour the real
 * server cannot be made to show on demand (a token requirement, a synthesis failure
 * mid-utterance). Audio is the committed fixture MP3, sent in chunks.
 */

const DIST = new URL('../../../web/dist/', import.meta.url);
const FIXTURES = new URL('../../fake-elevenlabs/fixtures/', import.meta.url);
const AUDIO = new URL('../../fixtures/audio/', import.meta.url);
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.map': 'application/json' };

export interface StubOptions {
  /** When set, every API call and the WebSocket need this bearer token. */
  token?: string;
  /** Refuse WebSocket upgrades outright, as a server in the middle of shutting down would. */
  refuseUpgrades?: boolean;
  target?: 'fargate' | 'lambda';
}

export interface StubServer {
  url: string;
  /** Frames each connected page sent, parsed. */
  received: Array<Record<string, unknown>>;
  /** Streams the fixture to every page; `failAfterBytes` ends it with audio.error instead of audio.end. */
  speak(text: string, options?: { failAfterBytes?: number; chunkSize?: number; chunkDelayMs?: number }): Promise<{ id: string; bytes: Buffer }>;
  listeners(): number;
  close(): Promise<void>;
}

interface Settings {
  default_voice_id: string;
  default_model_id: string;
  output_format: string;
  voice_settings: Record<string, number | boolean>;
  auto_play: boolean;
}

export async function startStubServer(options: StubOptions = {}): Promise<StubServer> {
  const voices = (JSON.parse(await readFile(new URL('voices.json', FIXTURES), 'utf8')) as Array<Record<string, unknown>>).map((voice) => ({
    voice_id: voice.voice_id,
    name: voice.name,
    category: voice.category,
    labels: voice.labels ?? {},
    preview_url: voice.preview_url ?? null,
  }));
  const models = (JSON.parse(await readFile(new URL('models.json', FIXTURES), 'utf8')) as Array<Record<string, unknown>>)
    .filter((model) => model.can_do_text_to_speech)
    .map((model) => ({
      model_id: model.model_id,
      name: model.name,
      max_characters: model.maximum_text_length_per_request,
      languages: ((model.languages as Array<{ language_id: string }>) ?? []).map((language) => language.language_id),
    }));
  const audio = await readFile(new URL('hello.mp3', AUDIO));
  let settings: Settings = {
    default_voice_id: 'cgSgspJ2msm6clMCkdW9',
    default_model_id: 'eleven_flash_v2_5',
    output_format: 'mp3_44100_128',
    voice_settings: { stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1 },
    auto_play: true,
  };
  const sockets = new Set<WebSocket>();
  const received: Array<Record<string, unknown>> = [];
  let counter = 0;

  const authorized = (request: IncomingMessage, url: URL): boolean =>
    !options.token || request.headers.authorization === `Bearer ${options.token}` || url.searchParams.get('token') === options.token;

  const json = (response: ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  const fail = (response: ServerResponse, status: number, code: string, message: string): void => json(response, status, { error: { code, message } });

  const readBody = async (request: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  };

  async function send(socket: WebSocket, text: string, speakOptions: { failAfterBytes?: number; chunkSize?: number; chunkDelayMs?: number } = {}): Promise<string> {
    const id = `utt_${(counter += 1)}`;
    const { chunkSize = 4096, chunkDelayMs = 20, failAfterBytes } = speakOptions;
    socket.send(JSON.stringify({ type: 'audio.start', id, text, voice_id: settings.default_voice_id, model_id: settings.default_model_id, format: 'mp3_44100_128', mime: 'audio/mpeg' }));
    let sent = 0;
    for (let offset = 0; offset < audio.length; offset += chunkSize) {
      if (failAfterBytes !== undefined && sent >= failAfterBytes) {
        socket.send(JSON.stringify({ type: 'audio.error', id, code: 'upstream_error', message: 'ElevenLabs stopped answering.' }));
        return id;
      }
      const chunk = audio.subarray(offset, offset + chunkSize);
      socket.send(chunk);
      sent += chunk.length;
      await new Promise((resolve) => setTimeout(resolve, chunkDelayMs));
    }
    socket.send(JSON.stringify({ type: 'audio.end', id, bytes: sent }));
    return id;
  }

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://stub');
      const path = url.pathname;
      if (path === '/health') return json(response, 200, { status: 'ok', version: '0.1.0', target: options.target ?? 'fargate', upstream: { configured: true } });
      if (path === '/config.json') return json(response, 200, { apiBase: './api/v1', wsUrl: './ws', healthUrl: './health' });
      if (path.startsWith('/api/v1/')) {
        if (!authorized(request, url)) return fail(response, 401, 'unauthorized', 'A valid token is required.');
        const route = `${request.method} ${path.slice('/api/v1'.length)}`;
        switch (route) {
          case 'GET /voices':
            return json(response, 200, { voices });
          case 'GET /models':
            return json(response, 200, { models });
          case 'GET /settings':
            return json(response, 200, settings);
          case 'PATCH /settings': {
            const patch = (await readBody(request)) as Partial<Settings>;
            settings = { ...settings, ...patch, voice_settings: { ...settings.voice_settings, ...patch.voice_settings } };
            for (const socket of sockets) socket.send(JSON.stringify({ type: 'settings', settings }));
            return json(response, 200, settings);
          }
          case 'GET /usage':
            return json(response, 200, { character_count: 23480, character_limit: 100000, remaining: 76520, resets_at: '2026-01-01T00:00:00.000Z' });
          case 'POST /tts':
            await readBody(request);
            response.writeHead(200, { 'Content-Type': 'audio/mpeg', 'X-Jessica-Utterance-Id': `utt_${(counter += 1)}` }).end(audio);
            return undefined;
          default:
            return fail(response, 404, 'not_found', 'No such route.');
        }
      }
      const file = path === '/' ? 'index.html' : path.slice(1);
      try {
        const body = await readFile(new URL(file, DIST));
        response.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
      } catch {
        fail(response, 404, 'not_found', 'No such file.');
      }
      return undefined;
    })();
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://stub');
    if (url.pathname !== '/ws' || options.refuseUpgrades) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (!authorized(request, url)) {
        ws.close(4401, 'unauthorized');
        return;
      }
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const frame = JSON.parse(data.toString()) as Record<string, unknown>;
        received.push(frame);
        if (frame.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
        if (frame.type === 'stop') ws.send(JSON.stringify({ type: 'stopped' }));
        if (frame.type === 'speak') void send(ws, String(frame.text));
      });
      ws.send(JSON.stringify({ type: 'hello', version: '0.1.0', target: 'fargate', settings, listener_id: `l_${sockets.size}` }));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    listeners: () => sockets.size,
    async speak(text, speakOptions) {
      const [socket] = sockets;
      if (!socket) throw new Error('no page is connected');
      const id = await send(socket, text, speakOptions);
      return { id, bytes: audio };
    },
    async close() {
      for (const socket of sockets) socket.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
