import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { ResponseStream } from 'lambda-stream';
import type { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStreamHandler, withResponseMetadata, writeApiResponse, type ResponseMetadata, type StreamHandler } from '../../handlers/stream.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { eventFor, functionUrlEvent, lambdaContext, lambdaEnv, quietObservability, TOKEN } from './helpers.js';

/** lambda-stream's ResponseStream that also records each write as it happens. */
class RecordingStream extends ResponseStream {
  readonly chunks: Buffer[] = [];
  #waiters: (() => void)[] = [];

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    for (const wake of this.#waiters.splice(0)) wake();
    super._write(chunk, encoding, callback);
  }

  firstWrite(): Promise<void> {
    return this.chunks.length > 0 ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Stands in for the Lambda runtime's global, capturing the prelude the handler sends. */
function stubAwsRuntime(): ResponseMetadata[] {
  const preludes: ResponseMetadata[] = [];
  vi.stubGlobal('awslambda', {
    streamifyResponse: (handler: unknown) => handler,
    HttpResponseStream: {
      from(stream: Writable, metadata: ResponseMetadata) {
        preludes.push(metadata);
        return stream;
      },
    },
  });
  return preludes;
}

const ttsStream = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): LambdaFunctionURLEvent =>
  eventFor(functionUrlEvent, 'POST', '/api/v1/tts/stream', { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('the Function URL streaming handler', () => {
  let fake: FakeElevenLabs;
  let handler: StreamHandler;

  beforeAll(async () => {
    fake = await startFakeElevenLabs({ chunkSize: 2048 });
    handler = createStreamHandler({ env: lambdaEnv(fake), observability: quietObservability() });
  });
  afterAll(() => fake.close());
  afterEach(() => {
    vi.unstubAllGlobals();
    fake.reset();
  });

  it('writes the first chunk before the upstream has sent its last', async () => {
    const preludes = stubAwsRuntime();
    const stream = new RecordingStream();
    const hold = fake.hold();
    const done = handler(ttsStream({ text: 'Streaming before the end arrives.' }), stream, lambdaContext());
    try {
      await stream.firstWrite();
      expect(fake.sentAudio).toHaveLength(1);
      expect(fake.sentAudio[0]?.completed).toBe(false);
      expect(stream.chunks.length).toBeGreaterThan(0);
    } finally {
      hold.release();
    }
    await done;
    expect(fake.sentAudio[0]?.completed).toBe(true);
    expect(Buffer.concat(stream.chunks).equals(fake.sentAudio[0]?.bytes ?? Buffer.alloc(0))).toBe(true);
    expect(stream.chunks.length).toBeGreaterThan(1);
    expect(preludes).toEqual([
      { statusCode: 200, headers: expect.objectContaining({ 'content-type': 'audio/mpeg', 'x-jessica-characters': expect.any(String), 'x-jessica-utterance-id': expect.any(String) }) },
    ]);
    expect(stream.writableFinished).toBe(true);
  });

  it('sends the status and JSON error body when the upstream fails before the first byte', async () => {
    const preludes = stubAwsRuntime();
    fake.inject({ kind: 'invalid_key' });
    const stream = new RecordingStream();
    await handler(ttsStream({ text: 'This will not be spoken.' }), stream, lambdaContext());
    expect(preludes[0]?.statusCode).toBe(502);
    expect(preludes[0]?.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(stream.text())).toEqual({ error: { code: 'upstream_auth_failed', message: expect.any(String) } });
    expect(stream.text()).not.toContain(fake.apiKey);
  });

  it.each([
    ['no token', {}, 401, 'unauthorized'],
    ['a wrong token', { authorization: 'Bearer nope-nope-nope' }, 401, 'unauthorized'],
  ])('answers a request with %s with 401 unauthorized', async (_case, headers, status, code) => {
    const preludes = stubAwsRuntime();
    const stream = new RecordingStream();
    await handler(ttsStream({ text: 'Hello.' }, headers), stream, lambdaContext());
    expect(preludes[0]?.statusCode).toBe(status);
    expect(JSON.parse(stream.text())).toMatchObject({ error: { code } });
    expect(fake.ttsRequests()).toHaveLength(0);
  });

  it('answers 400 empty_text before calling the upstream', async () => {
    const preludes = stubAwsRuntime();
    const stream = new RecordingStream();
    await handler(ttsStream({ text: '   ' }), stream, lambdaContext());
    expect(preludes[0]?.statusCode).toBe(400);
    expect(JSON.parse(stream.text())).toMatchObject({ error: { code: 'empty_text' } });
  });

  it('answers 404 not_found for routes that live on the HTTP API', async () => {
    const preludes = stubAwsRuntime();
    const stream = new RecordingStream();
    await handler(eventFor(functionUrlEvent, 'GET', '/api/v1/voices', { headers: { authorization: `Bearer ${TOKEN}` } }), stream, lambdaContext());
    expect(preludes[0]?.statusCode).toBe(404);
    expect(JSON.parse(stream.text())).toMatchObject({ error: { code: 'not_found' } });
  });

  it('accepts the path with the root path in front', async () => {
    const preludes = stubAwsRuntime();
    const stream = new RecordingStream();
    await handler(eventFor(functionUrlEvent, 'GET', '/jessica/health'), stream, lambdaContext());
    expect(preludes[0]?.statusCode).toBe(200);
    expect(JSON.parse(stream.text())).toMatchObject({ status: 'ok', target: 'lambda', version: '9.9.9-test' });
  });

  it('outside AWS flags audio as base64 for lambda-stream and keeps JSON as text', async () => {
    const audio = new RecordingStream();
    await handler(ttsStream({ text: 'Buffered locally.' }), audio);
    expect(audio._contentType).toBe('audio/mpeg');
    expect(audio._isBase64Encoded).toBe(true);
    const error = new RecordingStream();
    await handler(ttsStream({ text: '' }), error);
    expect(error._contentType).toMatch(/^application\/json/);
    expect(error._isBase64Encoded).toBeUndefined();
  });

  it('answers a CORS preflight from an allowed origin with 204 and no body', async () => {
    const preludes = stubAwsRuntime();
    const corsHandler = createStreamHandler({ env: lambdaEnv(fake, { JESSICA_ALLOWED_ORIGINS: 'https://page.example.io' }), observability: quietObservability() });
    const stream = new RecordingStream();
    await corsHandler(eventFor(functionUrlEvent, 'OPTIONS', '/api/v1/tts/stream', { headers: { origin: 'https://page.example.io' } }), stream, lambdaContext());
    expect(preludes[0]).toMatchObject({ statusCode: 204, headers: { 'access-control-allow-origin': 'https://page.example.io' } });
    expect(stream.chunks).toHaveLength(0);
    expect(stream.writableFinished).toBe(true);
  });

  it('answers 500 with the SPEC error body when the cold start fails', async () => {
    const preludes = stubAwsRuntime();
    const { JESSICA_TOKENS: _tokens, ...env } = lambdaEnv(fake);
    const broken = createStreamHandler({ env, observability: quietObservability() });
    const stream = new RecordingStream();
    await broken(ttsStream({ text: 'Nobody home.' }), stream, lambdaContext());
    expect(preludes[0]?.statusCode).toBe(500);
    expect(JSON.parse(stream.text())).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
  });

  it('cuts the body short when the upstream breaks off mid-stream', async () => {
    stubAwsRuntime();
    fake.inject({ kind: 'reset_mid_stream', afterBytes: 4096 });
    const stream = new RecordingStream();
    await handler(ttsStream({ text: 'This stream breaks.' }), stream, lambdaContext());
    expect(stream.destroyed).toBe(true);
    expect(fake.sentAudio[0]?.completed).toBe(false);
    expect(Buffer.concat(stream.chunks).length).toBeLessThanOrEqual(4096);
  });
});

describe('writeApiResponse', () => {
  it('writes a bytes body in one piece after the metadata', async () => {
    const stream = new RecordingStream();
    await writeApiResponse({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: { kind: 'bytes', value: new Uint8Array([1, 2, 3]) } }, stream);
    expect([...Buffer.concat(stream.chunks)]).toEqual([1, 2, 3]);
    expect(stream._isBase64Encoded).toBe(true);
  });
});

describe('withResponseMetadata', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends status and headers through the runtime prelude in AWS', () => {
    const preludes = stubAwsRuntime();
    const stream = new ResponseStream();
    expect(withResponseMetadata(stream, { statusCode: 418, headers: { 'content-type': 'text/plain' } })).toBe(stream);
    expect(preludes).toEqual([{ statusCode: 418, headers: { 'content-type': 'text/plain' } }]);
  });

  it('falls back to the content type of lambda-stream outside AWS', () => {
    const stream = new ResponseStream();
    withResponseMetadata(stream, { statusCode: 200, headers: { 'content-type': 'audio/ogg' } });
    expect(stream._contentType).toBe('audio/ogg');
    expect(stream._isBase64Encoded).toBe(true);
  });
});

describe('the exported streaming handler', () => {
  it('works through lambda-stream outside AWS, buffered with base64 audio', async () => {
    const fake = await startFakeElevenLabs();
    const saved = { ...process.env };
    Object.assign(process.env, lambdaEnv(fake), { POWERTOOLS_METRICS_DISABLED: 'true' });
    try {
      vi.resetModules();
      const { handler } = await import('../../handlers/stream.js');
      const invoke = handler as unknown as (event: LambdaFunctionURLEvent, context: unknown) => Promise<{ statusCode: number; body: string; isBase64Encoded?: boolean; headers: Record<string, string> }>;
      const result = await invoke(ttsStream({ text: 'Through the wrapper.' }), lambdaContext());
      expect(result.statusCode).toBe(200);
      expect(result.headers['content-type']).toBe('audio/mpeg');
      expect(result.isBase64Encoded).toBe(true);
      expect(Buffer.from(result.body, 'base64').equals(fake.sentAudio[0]?.bytes ?? Buffer.alloc(0))).toBe(true);
    } finally {
      process.env = saved;
      await fake.close();
    }
  });
});
