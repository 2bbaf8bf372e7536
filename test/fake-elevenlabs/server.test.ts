import { readFileSync, statSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FakeElevenLabs, Fault } from './index.js';
import { AUDIO_FIXTURES, mp3DurationSeconds, startFakeElevenLabs, startsLikeMp3 } from './index.js';

const JESSICA = 'cgSgspJ2msm6clMCkdW9';
const GEORGE = 'JBFqnCBsd6RMkjVDRZzb';
const RACHEL = '21m00Tcm4TlvDq8ikWAM';
const TEXT = 'Hello from the test suite.';

let fake: FakeElevenLabs;

beforeAll(async () => {
  fake = await startFakeElevenLabs();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

interface CallOptions {
  key?: string | null;
  query?: string;
  body?: unknown;
  rawBody?: string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

function tts(suffix: '' | '/stream' | '/with-timestamps' | '/stream/with-timestamps', options: CallOptions = {}, voiceId = JESSICA): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const key = options.key === undefined ? fake.apiKey : options.key;
  if (key !== null) headers['xi-api-key'] = key;
  const query = options.query ? `?${options.query}` : '';
  return fetch(`${fake.url}/v1/text-to-speech/${voiceId}${suffix}${query}`, {
    method: 'POST',
    headers,
    body: options.rawBody ?? JSON.stringify(options.body ?? { text: TEXT }),
    signal: options.signal,
  });
}

function get(path: string, key: string | null = fake.apiKey): Promise<Response> {
  return fetch(`${fake.url}${path}`, { headers: key === null ? {} : { 'xi-api-key': key } });
}

async function detailOf(response: Response): Promise<Record<string, unknown>> {
  const body = (await response.json()) as { detail: Record<string, unknown> };
  return body.detail;
}

/** Resolves with whether `promise` is still pending after `ms`. */
async function stillPendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const pending = Symbol('pending');
  const winner = await Promise.race([promise.then(() => 'settled', () => 'settled'), new Promise((resolve) => setTimeout(() => resolve(pending), ms))]);
  return winner === pending;
}

async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<{ bytes: Buffer; reads: number }> {
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(parts), reads: parts.length };
    parts.push(value);
  }
}

describe('audio fixtures', () => {
  const files = ['hello', 'short', 'long'].map((name) => new URL(`../fixtures/audio/${name}.mp3`, import.meta.url));

  it('start with an MPEG frame sync or an ID3 header', () => {
    for (const file of files) expect(startsLikeMp3(readFileSync(file))).toBe(true);
  });

  it('are 44.1 kHz, 128 kbit/s MPEG-1 Layer III, as mp3_44100_128 is', () => {
    const [b0, b1, b2] = AUDIO_FIXTURES.hello;
    expect(b0).toBe(0xff);
    expect(b1! & 0xfe).toBe(0xfa); // MPEG-1, Layer III
    expect(b2! >> 4).toBe(9); // 128 kbit/s
    expect((b2! >> 2) & 0x03).toBe(0); // 44.1 kHz
  });

  it('last about 1.7 s (hello), under 1 s (short) and 6 to 8.5 s (long), under 300 KB in all', () => {
    expect(mp3DurationSeconds(AUDIO_FIXTURES.hello)).toBeGreaterThan(1.5);
    expect(mp3DurationSeconds(AUDIO_FIXTURES.hello)).toBeLessThan(2);
    expect(mp3DurationSeconds(AUDIO_FIXTURES.short)).toBeLessThan(1);
    expect(mp3DurationSeconds(AUDIO_FIXTURES.long)).toBeGreaterThan(6);
    expect(mp3DurationSeconds(AUDIO_FIXTURES.long)).toBeLessThan(8.5);
    expect(files.reduce((sum, file) => sum + statSync(file).size, 0)).toBeLessThan(300_000);
  });
});

describe('authentication', () => {
  it('returns 401 needs_authorization in the current error format when the key is missing', async () => {
    const response = await tts('', { key: null });
    expect(response.status).toBe(401);
    const detail = await detailOf(response);
    expect(detail).toMatchObject({ type: 'authentication_error', code: 'unauthorized', status: 'needs_authorization' });
    expect(detail.request_id).toBe(response.headers.get('x-trace-id'));
  });

  it('returns 401 invalid_api_key in the current error format when the key is wrong', async () => {
    const response = await tts('', { key: 'wrong-key' });
    expect(response.status).toBe(401);
    expect(Object.keys(await detailOf(response)).sort()).toEqual(['code', 'message', 'request_id', 'status', 'type']);
  });

  it('returns 401 invalid_authorization_header when the key comes as a bearer token', async () => {
    const response = await tts('', { key: null, headers: { authorization: `Bearer ${fake.apiKey}` } });
    expect(response.status).toBe(401);
    expect((await detailOf(response)).status).toBe('invalid_authorization_header');
  });

  it('sends errors as JSON with x-trace-id, server uvicorn and no request-id', async () => {
    const response = await tts('', { key: 'wrong-key' });
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(response.headers.get('server')).toBe('uvicorn');
    expect(response.headers.get('request-id')).toBeNull();
  });

  it('checks the key on every endpoint, not only text-to-speech', async () => {
    for (const path of ['/v1/voices', '/v2/voices', '/v1/models', '/v1/user', '/v1/user/subscription', `/v1/voices/${JESSICA}`]) {
      expect((await get(path, 'wrong-key')).status).toBe(401);
      expect((await get(path, null)).status).toBe(401);
    }
  });
});

describe('request validation', () => {
  it('returns 422 before checking the key when text is missing', async () => {
    const response = await tts('', { key: 'wrong-key', body: { model_id: 'eleven_flash_v2_5' } });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ detail: [{ type: 'missing', loc: ['body', 'text'], msg: 'Field required', input: null }] });
  });

  it('returns 422 json_invalid in the FastAPI list shape for malformed JSON', async () => {
    const response = await tts('', { rawBody: '{"text": ' });
    expect(response.status).toBe(422);
    const [item] = (await detailOf(response)) as unknown as { type: string; loc: unknown[] }[];
    expect(item?.type).toBe('json_invalid');
    expect(item?.loc[0]).toBe('body');
  });

  it('returns 422 when stability or similarity_boost is outside 0..1', async () => {
    const response = await tts('', { body: { text: TEXT, voice_settings: { stability: 1.5, similarity_boost: -0.1, speed: 3 } } });
    expect(response.status).toBe(422);
    const items = (await detailOf(response)) as unknown as { type: string; loc: unknown[] }[];
    expect(items.map((item) => [item.type, item.loc.join('.')])).toEqual([
      ['less_than_equal', 'body.voice_settings.stability'],
      ['greater_than_equal', 'body.voice_settings.similarity_boost'],
    ]);
  });

  it('rejects wav output on /stream with 422 but serves it on the whole-file endpoint', async () => {
    const streamed = await tts('/stream', { query: 'output_format=wav_44100' });
    expect(streamed.status).toBe(422);
    expect(((await detailOf(streamed)) as unknown as { loc: unknown[] }[])[0]?.loc).toEqual(['query', 'output_format']);
    const whole = await tts('', { query: 'output_format=wav_44100' });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('application/octet-stream');
  });

  it('returns 422 for an output_format outside the documented list', async () => {
    expect((await tts('', { query: 'output_format=mp3_44100_999' })).status).toBe(422);
  });

  it('returns 404 voice_not_found in the legacy shape for an unknown voice', async () => {
    const response = await tts('', {}, 'doesNotExist000000');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      detail: { status: 'voice_not_found', message: 'A voice with the voice_id doesNotExist000000 was not found.' },
    });
  });

  it('returns 400 for an unknown model and for a model that cannot do text-to-speech', async () => {
    const unknown = await tts('', { body: { text: TEXT, model_id: 'eleven_imaginary_v9' } });
    expect(unknown.status).toBe(400);
    expect((await detailOf(unknown)).status).toBe('model_not_found');
    const speechToSpeech = await tts('', { body: { text: TEXT, model_id: 'eleven_multilingual_sts_v2' } });
    expect(speechToSpeech.status).toBe(400);
  });

  it("returns 400 max_character_limit_exceeded above the model's maximum_text_length_per_request", async () => {
    const tooLong = await tts('', { body: { text: 'a'.repeat(5001), model_id: 'eleven_v3' } });
    expect(tooLong.status).toBe(400);
    expect(await detailOf(tooLong)).toEqual({
      status: 'max_character_limit_exceeded',
      message: "This request's text has 5001 characters and exceeds the character limit of 5000 characters.",
    });
    expect((await tts('', { body: { text: 'a'.repeat(5000), model_id: 'eleven_v3' } })).status).toBe(200);
    expect((await tts('', { body: { text: 'a'.repeat(5001), model_id: 'eleven_flash_v2_5' } })).status).toBe(200);
  });

  it('returns 400 invalid_parameters when eleven_v3 gets previous_text', async () => {
    const response = await tts('', { body: { text: TEXT, model_id: 'eleven_v3', previous_text: 'Before.' } });
    expect(response.status).toBe(400);
    expect((await detailOf(response)).status).toBe('invalid_parameters');
  });

  it('returns 400 for more than 3 previous_request_ids and records the stitching fields as sent', async () => {
    const ids = ['aaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbb', 'cccccccccccccccccccc'];
    const tooMany = await tts('', { body: { text: TEXT, previous_request_ids: [...ids, 'dddddddddddddddddddd'] } });
    expect(tooMany.status).toBe(400);
    expect(await detailOf(tooMany)).toMatchObject({ code: 'invalid_parameters', param: 'previous_request_ids' });

    const body = { text: TEXT, previous_request_ids: ids, previous_text: 'Before.', next_text: 'After.' };
    expect((await tts('', { body })).status).toBe(200);
    expect(fake.ttsRequests().at(-1)?.body).toEqual(body);
  });
});

describe('text-to-speech success', () => {
  it('returns the default MP3 with ElevenLabs response headers', async () => {
    const response = await tts('');
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(AUDIO_FIXTURES.hello);
    const headers = response.headers;
    expect(headers.get('content-type')).toBe('audio/mpeg');
    expect(headers.get('request-id')).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(headers.get('history-item-id')).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(headers.get('character-cost')).toBe(String(TEXT.length));
    expect(headers.get('current-concurrent-requests')).toBe('1');
    expect(headers.get('maximum-concurrent-requests')).toBe('5');
    expect(headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(headers.get('x-region')).toBe('us-central1');
    expect(fake.sentAudio).toEqual([
      { requestId: headers.get('request-id'), path: `/v1/text-to-speech/${JESSICA}`, text: TEXT, bytes: AUDIO_FIXTURES.hello, completed: true },
    ]);
  });

  it('returns short.mp3 for texts of 8 characters or fewer', async () => {
    const response = await tts('', { body: { text: 'Done.' } });
    expect(Buffer.from(await response.arrayBuffer())).toEqual(AUDIO_FIXTURES.short);
  });

  it('serves the audio chosen by the audio option, which sees the text and the request', async () => {
    const seen: string[] = [];
    fake.configure({
      audio: (text, request) => {
        seen.push(`${text}|${request.path}`);
        return AUDIO_FIXTURES.long;
      },
    });
    const response = await tts('', {}, GEORGE);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(AUDIO_FIXTURES.long);
    expect(seen).toEqual([`${TEXT}|/v1/text-to-speech/${GEORGE}`]);
  });

  it('delays the response headers by ttfbMs', async () => {
    fake.configure({ ttfbMs: 150 });
    const started = performance.now();
    const response = await tts('');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await response.arrayBuffer();
  });

  it('streams /stream with chunked transfer encoding in several chunks', async () => {
    fake.configure({ chunkDelayMs: 15, chunkSize: 4096 });
    const response = await tts('/stream');
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('content-length')).toBeNull();
    const { bytes, reads } = await readAll(response.body!.getReader());
    expect(bytes).toEqual(AUDIO_FIXTURES.hello);
    expect(reads).toBeGreaterThan(1);
  });

  it('lets the client read the first chunk before the last is sent while held', async () => {
    const held = fake.hold();
    const response = await tts('/stream');
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.value?.length).toBeGreaterThan(0);
    const [sent] = fake.sentAudio;
    expect(sent?.completed).toBe(false);
    expect(sent?.bytes.length).toBeLessThan(AUDIO_FIXTURES.hello.length);

    held.release();
    const rest = await readAll(reader);
    expect(Buffer.concat([first.value!, rest.bytes])).toEqual(AUDIO_FIXTURES.hello);
    expect(sent?.completed).toBe(true);
  });

  it('returns audio_base64 with an even alignment from /with-timestamps', async () => {
    const response = await tts('/with-timestamps');
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as { audio_base64: string; alignment: Record<string, number[] | string[]> };
    expect(Buffer.from(body.audio_base64, 'base64')).toEqual(AUDIO_FIXTURES.hello);
    expect(body.alignment.characters).toEqual([...TEXT]);
    const ends = body.alignment.character_end_times_seconds as number[];
    expect(ends).toHaveLength(TEXT.length);
    expect(ends.at(-1)).toBeCloseTo(mp3DurationSeconds(AUDIO_FIXTURES.hello)!, 2);
  });

  it('returns newline-delimited JSON chunks with absolute times from /stream/with-timestamps', async () => {
    const response = await tts('/stream/with-timestamps');
    const lines = (await response.text()).split('\n').filter((line) => line !== '');
    const chunks = lines.map((line) => JSON.parse(line) as { audio_base64: string; alignment: { characters: string[]; character_start_times_seconds: number[] } | null });
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks.map((chunk) => Buffer.from(chunk.audio_base64, 'base64')))).toEqual(AUDIO_FIXTURES.hello);
    expect(chunks.flatMap((chunk) => chunk.alignment?.characters ?? []).join('')).toBe(TEXT);
    const starts = chunks.flatMap((chunk) => chunk.alignment?.character_start_times_seconds ?? []);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(fake.sentAudio[0]?.bytes).toEqual(AUDIO_FIXTURES.hello);
  });
});

describe('injected faults', () => {
  const cases: { fault: Fault; status: number; detail: unknown }[] = [
    { fault: { kind: 'invalid_key' }, status: 401, detail: { type: 'authentication_error', code: 'unauthorized', status: 'invalid_api_key' } },
    { fault: { kind: 'invalid_key_legacy' }, status: 401, detail: { status: 'invalid_api_key', message: 'Invalid API key' } },
    { fault: { kind: 'quota_exceeded' }, status: 401, detail: { status: 'quota_exceeded' } },
    { fault: { kind: 'unusual_activity' }, status: 401, detail: { status: 'detected_unusual_activity' } },
    { fault: { kind: 'voice_not_found' }, status: 404, detail: { status: 'voice_not_found' } },
    { fault: { kind: 'max_characters' }, status: 400, detail: { status: 'max_character_limit_exceeded' } },
    { fault: { kind: 'busy' }, status: 429, detail: { status: 'system_busy' } },
    { fault: { kind: 'too_many_concurrent' }, status: 429, detail: { code: 'concurrent_limit_exceeded', status: 'too_many_concurrent_requests' } },
    { fault: { kind: 'retry_after', seconds: 7 }, status: 429, detail: { status: 'system_busy' } },
  ];

  it.each(cases)('answers $status with the expected detail for a $fault.kind fault', async ({ fault, status, detail }) => {
    fake.inject(fault);
    const response = await tts('');
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json');
    const actual = await detailOf(response);
    expect(actual).toMatchObject(detail as Record<string, unknown>);
    const legacy = !('code' in actual);
    expect(Object.keys(actual).sort()).toEqual(legacy ? ['message', 'status'] : ['code', 'message', 'request_id', 'status', 'type']);
    expect(fake.sentAudio).toEqual([]);
  });

  it('sends a Retry-After header with the retry_after fault', async () => {
    fake.inject({ kind: 'retry_after', seconds: 7 });
    expect((await tts('')).headers.get('retry-after')).toBe('7');
  });

  it('answers the validation fault with the FastAPI list shape', async () => {
    fake.inject({ kind: 'validation' });
    const response = await tts('');
    expect(response.status).toBe(422);
    expect(Array.isArray(await detailOf(response))).toBe(true);
  });

  it.each([500, 502, 503] as const)('answers server_error with status %i and a plain detail string', async (status) => {
    fake.inject({ kind: 'server_error', status });
    const response = await tts('');
    expect(response.status).toBe(status);
    expect(typeof (await detailOf(response))).toBe('string');
  });

  it('lets a wrong key win over an injected fault and keeps the fault for the next request', async () => {
    fake.inject({ kind: 'busy' }, { times: 1 });
    expect((await tts('', { key: 'wrong-key' })).status).toBe(401);
    expect((await tts('', {}, 'doesNotExist000000')).status).toBe(404);
    expect((await tts('')).status).toBe(429);
    expect((await tts('')).status).toBe(200);
  });

  it('consumes faults in injection order, each the given number of times', async () => {
    fake.inject({ kind: 'busy' }, { times: 1 });
    fake.inject({ kind: 'server_error', status: 503 }, { times: 2 });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await tts('')).status);
    expect(statuses).toEqual([429, 503, 503, 200]);
  });

  it('applies faults to text-to-speech paths only unless a path is given', async () => {
    fake.inject({ kind: 'busy' });
    expect((await get('/v1/voices')).status).toBe(200);
    expect((await tts('/stream')).status).toBe(429);
    fake.clearFaults();
    fake.inject({ kind: 'server_error', status: 502 }, { path: /^\/v1\/models$/, times: 1 });
    expect((await tts('')).status).toBe(200);
    expect((await get('/v1/models')).status).toBe(502);
    expect((await get('/v1/models')).status).toBe(200);
  });

  it('stops failing after clearFaults', async () => {
    fake.inject({ kind: 'busy' });
    expect((await tts('')).status).toBe(429);
    fake.clearFaults();
    expect((await tts('')).status).toBe(200);
  });

  it('rejects a scope with times below 1', () => {
    expect(() => fake.inject({ kind: 'busy' }, { times: 0 })).toThrow(RangeError);
  });

  it('stalls without sending headers until the client aborts', async () => {
    fake.inject({ kind: 'stall' }, { times: 1 });
    const controller = new AbortController();
    const pending = tts('/stream', { signal: controller.signal });
    await vi.waitFor(() => expect(fake.ttsRequests()).toHaveLength(1));
    expect(await stillPendingAfter(pending, 100)).toBe(true);
    expect(fake.inFlightTts).toBe(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await vi.waitFor(() => expect(fake.inFlightTts).toBe(0));
  });

  it('sends headers and afterBytes bytes, then nothing, for stall_mid_stream', async () => {
    fake.inject({ kind: 'stall_mid_stream', afterBytes: 1000 }, { times: 1 });
    const controller = new AbortController();
    const response = await tts('/stream', { signal: controller.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let received = 0;
    while (received < 1000) received += (await reader.read()).value?.length ?? 0;
    expect(received).toBe(1000);
    expect(await stillPendingAfter(reader.read(), 100)).toBe(true);
    expect(fake.sentAudio[0]).toMatchObject({ completed: false, bytes: AUDIO_FIXTURES.hello.subarray(0, 1000) });
    controller.abort();
    await vi.waitFor(() => expect(fake.inFlightTts).toBe(0));
  });

  it('drops the connection after afterBytes bytes for reset_mid_stream', async () => {
    fake.inject({ kind: 'reset_mid_stream', afterBytes: 5000 }, { times: 1 });
    const response = await tts('/stream');
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let received = 0;
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          received += value.length;
        }
      })(),
    ).rejects.toThrow();
    expect(received).toBe(5000);
    expect(fake.sentAudio[0]?.completed).toBe(false);
    await vi.waitFor(() => expect(fake.inFlightTts).toBe(0));
  });

  it('truncates a whole-file response below its content-length for reset_mid_stream', async () => {
    fake.inject({ kind: 'reset_mid_stream' }, { times: 1 });
    const response = await tts('');
    expect(response.headers.get('content-length')).toBe(String(AUDIO_FIXTURES.hello.length));
    await expect(response.arrayBuffer()).rejects.toThrow();
  });

  it('can cut a JSON endpoint mid-body too', async () => {
    fake.inject({ kind: 'reset_mid_stream', afterBytes: 100 }, { path: /^\/v1\/models$/, times: 1 });
    const response = await get('/v1/models');
    await expect(response.json()).rejects.toThrow();
  });
});

describe('concurrency and aborts', () => {
  it('counts TTS requests in flight and remembers the highest count', async () => {
    const held = fake.hold();
    const responses = await Promise.all([1, 2, 3, 4].map(() => tts('/stream')));
    expect(fake.inFlightTts).toBe(4);
    expect(fake.maxConcurrentTts).toBe(4);
    held.release();
    await Promise.all(responses.map((response) => response.arrayBuffer()));
    await vi.waitFor(() => expect(fake.inFlightTts).toBe(0));
    expect(fake.maxConcurrentTts).toBe(4);
  });

  it('stops writing and marks the audio incomplete when the client aborts mid-stream', async () => {
    const held = fake.hold();
    const controller = new AbortController();
    const response = await tts('/stream', { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await vi.waitFor(() => expect(fake.inFlightTts).toBe(0));
    held.release();
    expect(fake.sentAudio[0]?.completed).toBe(false);
    expect(fake.sentAudio[0]?.bytes.length).toBeLessThan(AUDIO_FIXTURES.hello.length);
    expect((await tts('')).status).toBe(200);
  });

  it('closes even while a request is stalled', async () => {
    const own = await startFakeElevenLabs();
    own.inject({ kind: 'stall' });
    const pending = fetch(`${own.url}/v1/text-to-speech/${JESSICA}`, {
      method: 'POST',
      headers: { 'xi-api-key': own.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ text: TEXT }),
    });
    const outcome = pending.then(
      () => 'answered',
      () => 'failed',
    );
    await vi.waitFor(() => expect(own.inFlightTts).toBe(1));
    await own.close();
    expect(own.inFlightTts).toBe(0);
    expect(await outcome).toBe('failed');
  });
});

describe('voices', () => {
  it('lists non-legacy voices on /v1/voices and adds legacy ones with show_legacy=true', async () => {
    const names = async (path: string): Promise<string[]> =>
      ((await (await get(path)).json()) as { voices: { name: string }[] }).voices.map((voice) => voice.name);
    const current = await names('/v1/voices');
    expect(current).toEqual(expect.arrayContaining(['Jessica', 'George', 'Sarah', 'Brian', 'Lily', 'Daniel', 'My Narrator']));
    expect(current).not.toContain('Rachel');
    expect(await names('/v1/voices?show_legacy=true')).toContain('Rachel');
  });

  it('pages through /v2/voices with an opaque next_page_token', async () => {
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const query: string = token ? `page_size=3&next_page_token=${encodeURIComponent(token)}` : 'page_size=3';
      const page = (await (await get(`/v2/voices?${query}`)).json()) as {
        voices: { voice_id: string }[];
        has_more: boolean;
        total_count: number;
        next_page_token: string | null;
      };
      expect(page.voices.length).toBeLessThanOrEqual(3);
      expect(page.total_count).toBe(7);
      expect(page.has_more).toBe(page.next_page_token !== null);
      seen.push(...page.voices.map((voice) => voice.voice_id));
      token = page.next_page_token;
      pages += 1;
    } while (token !== null);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
  });

  it('filters /v2/voices by a case-insensitive search, category and voice_type', async () => {
    const names = async (query: string): Promise<string[]> =>
      ((await (await get(`/v2/voices?${query}`)).json()) as { voices: { name: string }[] }).voices.map((voice) => voice.name);
    expect(await names('search=BRITISH')).toEqual(['George', 'Lily', 'Daniel']);
    expect(await names('search=jess')).toEqual(['Jessica']);
    expect(await names('category=cloned')).toEqual(['My Narrator']);
    expect(await names('voice_type=default')).not.toContain('My Narrator');
    expect(await names('voice_type=personal')).toEqual(['My Narrator']);
  });

  it('returns 422 for page_size above 100 and 400 for a forged page token', async () => {
    expect((await get('/v2/voices?page_size=101')).status).toBe(422);
    expect((await get('/v2/voices?next_page_token=not-a-token')).status).toBe(400);
  });

  it('returns one voice with its labels and preview_url, or 404 voice_not_found', async () => {
    const jessica = (await (await get(`/v1/voices/${JESSICA}`)).json()) as Record<string, unknown>;
    expect(jessica).toMatchObject({ voice_id: JESSICA, name: 'Jessica', category: 'premade', labels: { gender: 'female', accent: 'american' } });
    expect(jessica.preview_url).toMatch(/^https:\/\/.+\.mp3$/);
    expect((await get(`/v1/voices/${RACHEL}`)).status).toBe(200);
    const missing = await get('/v1/voices/doesNotExist000000');
    expect(missing.status).toBe(404);
    expect((await detailOf(missing)).status).toBe('voice_not_found');
  });

  it('returns default voice settings and per-voice settings', async () => {
    const defaults = { stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1 };
    expect(await (await get('/v1/voices/settings/default')).json()).toEqual(defaults);
    expect(await (await get(`/v1/voices/${JESSICA}/settings`)).json()).toEqual(defaults);
    expect((await get('/v1/voices/nope/settings')).status).toBe(404);
  });
});

describe('models, user and subscription', () => {
  it('returns models as a bare array with per-model text limits and languages', async () => {
    const models = (await (await get('/v1/models')).json()) as {
      model_id: string;
      can_do_text_to_speech: boolean;
      maximum_text_length_per_request: number;
      languages: { language_id: string; name: string }[];
    }[];
    const limits = Object.fromEntries(models.map((model) => [model.model_id, model.maximum_text_length_per_request]));
    expect(limits).toMatchObject({
      eleven_v3: 5000,
      eleven_multilingual_v2: 10000,
      eleven_flash_v2_5: 40000,
      eleven_turbo_v2_5: 40000,
      eleven_flash_v2: 30000,
      eleven_turbo_v2: 30000,
      eleven_monolingual_v1: 10000,
    });
    expect(models.find((model) => model.model_id === 'eleven_multilingual_sts_v2')?.can_do_text_to_speech).toBe(false);
    for (const model of models) expect(model.languages[0]).toEqual({ language_id: 'en', name: 'English' });
  });

  it('serves the patched subscription on both endpoints and adds spoken characters to character_count', async () => {
    fake.setSubscription({ character_count: 1000, tier: 'pro' });
    await (await tts('')).arrayBuffer();
    const subscription = (await (await get('/v1/user/subscription')).json()) as Record<string, unknown>;
    expect(subscription).toMatchObject({ character_count: 1000 + TEXT.length, tier: 'pro', status: 'active' });
    const user = (await (await get('/v1/user')).json()) as { subscription: Record<string, unknown>; subscription_extras: { concurrency: number } };
    expect(user.subscription).toMatchObject({ character_count: 1000 + TEXT.length, tier: 'pro' });
    expect(user.subscription).not.toHaveProperty('next_invoice');
    expect(user.subscription_extras.concurrency).toBe(5);
  });
});

describe('routing and bookkeeping', () => {
  it('returns 404 {"detail":"Not Found"} for an unknown route and 405 for a wrong method', async () => {
    const missing = await get('/v1/nothing-here', null);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Not Found' });
    const wrongMethod = await fetch(`${fake.url}/v1/text-to-speech/${JESSICA}`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(await wrongMethod.json()).toEqual({ detail: 'Method Not Allowed' });
  });

  it('records method, path, first query values, lower-case headers and the parsed body', async () => {
    const before = Date.now();
    await get('/v2/voices?search=a&search=b&page_size=2');
    await tts('/stream', { query: 'output_format=mp3_22050_32', headers: { 'X-Custom': 'yes' } });
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/v2/voices', query: { search: 'a', page_size: '2' }, body: undefined });
    const [recorded] = fake.ttsRequests();
    expect(recorded).toMatchObject({
      method: 'POST',
      path: `/v1/text-to-speech/${JESSICA}/stream`,
      query: { output_format: 'mp3_22050_32' },
      headers: { 'x-custom': 'yes', 'xi-api-key': fake.apiKey },
      body: { text: TEXT },
    });
    expect(recorded?.at).toBeGreaterThanOrEqual(before);
  });

  it('reset clears requests, audio, faults, holds and options', async () => {
    fake.configure({ ttfbMs: 5000 });
    fake.inject({ kind: 'busy' });
    fake.hold();
    await get('/v1/models');
    fake.reset();
    expect(fake.requests).toHaveLength(0);
    expect(fake.maxConcurrentTts).toBe(0);
    const response = await tts('/stream');
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(AUDIO_FIXTURES.hello);
  });
});
