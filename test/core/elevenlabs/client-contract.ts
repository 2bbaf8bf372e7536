import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ElevenLabsClient, userAgentFor, type ElevenLabsClientOptions } from '../../../core/elevenlabs/client.js';
import type { UpstreamTransport } from '../../../core/ports.js';
import { UpstreamError } from '../../../core/errors.js';
import { LocalSemaphore } from '../../../core/limiter.js';
import type { SynthesisRequest } from '../../../core/types.js';
import { AUDIO_FIXTURES, FAKE_MODELS, FAKE_VOICES, startFakeElevenLabs, type FakeElevenLabs, type Fault } from '../../fake-elevenlabs/index.js';
import { clientFor as baseClientFor, collect, JESSICA_ID, RACHEL_ID, recordingLogger, recordingMetrics, rejectionOf } from '../support/fakes.js';

const TEXT = 'Hello from the client tests, spoken in full.';

function synthesis(overrides: Partial<SynthesisRequest> = {}): SynthesisRequest {
  return {
    text: TEXT,
    voiceId: JESSICA_ID,
    modelId: 'eleven_flash_v2_5',
    outputFormat: 'mp3_44100_128',
    voiceSettings: { stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1 },
    ...overrides,
  };
}

async function upstreamErrorOf(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

/**
 * The client's whole contract against the fake upstream, over one transport. The core's own
 * default (`fetch`) runs it here; each adapter's transport runs it in its own test folder.
 */
export function describeClientOver(transportName: string, transport: UpstreamTransport): void {
  const clientFor = (upstream: FakeElevenLabs, options: Partial<ElevenLabsClientOptions> = {}) => baseClientFor(upstream, { transport, ...options });

  describe(`over ${transportName}`, () => {
    let fake: FakeElevenLabs;

    beforeAll(async () => {
      fake = await startFakeElevenLabs();
    });
    afterEach(() => fake.reset());
    afterAll(() => fake.close());

    describe('userAgentFor', () => {
      it('names Jessica and its version, and the project address when there is one', () => {
        expect(userAgentFor('0.1.0')).toBe('jessica/0.1.0');
        expect(userAgentFor('0.1.0', 'https://example.org/jessica')).toBe('jessica/0.1.0 (+https://example.org/jessica)');
      });
    });

    describe('ElevenLabsClient.getVoiceSettings', () => {
      it("returns the settings stored with the voice", async () => {
        const client = clientFor(fake);
        expect(await client.getVoiceSettings('kP3nWq8RzT1vLm6sXy0D')).toEqual({ stability: 0.6, similarity_boost: 0.8, style: 0, use_speaker_boost: true, speed: 1 });
        expect(fake.requests.at(-1)?.path).toBe('/v1/voices/kP3nWq8RzT1vLm6sXy0D/settings');
      });

      it('answers unknown_voice for a voice the upstream does not know', async () => {
        const error = await upstreamErrorOf(clientFor(fake).getVoiceSettings('nope-not-a-voice'));
        expect(error.code).toBe('unknown_voice');
      });
    });

    describe('ElevenLabsClient.stream', () => {
      it('posts the request to the streaming endpoint with the key, format and voice settings', async () => {
        const client = clientFor(fake);
        const audio = await client.stream(synthesis({ outputFormat: 'mp3_22050_32' }));
        await collect(audio.chunks);
        const [recorded] = fake.ttsRequests();
        expect(recorded).toMatchObject({
          method: 'POST',
          path: `/v1/text-to-speech/${JESSICA_ID}/stream`,
          query: { output_format: 'mp3_22050_32' },
          headers: { 'xi-api-key': fake.apiKey, 'content-type': 'application/json' },
          body: { text: TEXT, model_id: 'eleven_flash_v2_5', voice_settings: synthesis().voiceSettings },
        });
        expect(recorded?.body).not.toHaveProperty('previous_request_ids');
        expect(recorded?.body).not.toHaveProperty('previous_text');
        expect(recorded?.body).not.toHaveProperty('next_text');
      });

      it('sends no voice_settings when none are set, so the voice speaks with its stored settings', async () => {
        const client = clientFor(fake);
        await collect((await client.stream(synthesis({ voiceSettings: undefined }))).chunks);
        await collect((await client.stream(synthesis({ voiceSettings: {} }))).chunks);
        for (const recorded of fake.ttsRequests()) expect(Object.keys(recorded.body as object).sort()).toEqual(['model_id', 'text']);
      });

      it('sends exactly the voice settings that were set, no field added', async () => {
        const client = clientFor(fake);
        await collect((await client.stream(synthesis({ voiceSettings: { speed: 1.1 } }))).chunks);
        expect((fake.ttsRequests()[0]?.body as { voice_settings?: unknown }).voice_settings).toEqual({ speed: 1.1 });
      });

      it('names itself in the User-Agent of every upstream request', async () => {
        const client = clientFor(fake, { userAgent: userAgentFor('1.2.3') });
        await collect((await client.stream(synthesis())).chunks);
        await client.listVoices();
        await client.listModels();
        await client.getUsage();
        await client.getVoiceSettings(JESSICA_ID);
        await client.getVoice(JESSICA_ID);
        expect(fake.requests.length).toBeGreaterThanOrEqual(6);
        for (const recorded of fake.requests) expect(recorded.headers['user-agent']).toBe('jessica/1.2.3');
      });

      it('yields the first chunk before the fake has sent its last one', async () => {
        const held = fake.hold();
        const client = clientFor(fake);
        const audio = await client.stream(synthesis());
        const iterator = audio.chunks[Symbol.asyncIterator]();
        const first = await iterator.next();
        expect(first.done).toBe(false);
        expect(first.value.byteLength).toBeGreaterThan(0);
        const sent = fake.sentAudio[0]!;
        expect(sent.completed).toBe(false);
        expect(sent.bytes.length).toBeLessThan(AUDIO_FIXTURES.hello.length);
        held.release();
        const rest: Uint8Array[] = [first.value];
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next.value);
        expect(Buffer.concat(rest).equals(AUDIO_FIXTURES.hello)).toBe(true);
      });

      it('returns exactly the bytes the fake sent, with its request id and content type', async () => {
        const client = clientFor(fake);
        const audio = await client.stream(synthesis());
        const bytes = await collect(audio.chunks);
        const sent = fake.sentAudio[0]!;
        expect(sent.completed).toBe(true);
        expect(bytes.equals(sent.bytes)).toBe(true);
        expect(audio.requestId).toBe(sent.requestId);
        expect(audio.contentType).toBe('audio/mpeg');
      });

      it('sends stitching fields, keeping only the last three request ids', async () => {
        const client = clientFor(fake);
        const audio = await client.stream(
          synthesis({ modelId: 'eleven_multilingual_v2', previousRequestIds: ['a1', 'b2', 'c3', 'd4'], previousText: 'Before.', nextText: 'After.' }),
        );
        await collect(audio.chunks);
        expect(fake.ttsRequests()[0]?.body).toMatchObject({ previous_request_ids: ['b2', 'c3', 'd4'], previous_text: 'Before.', next_text: 'After.' });
      });

      describe('maps each upstream failure to its code', () => {
        const cases: Array<{ fault: Fault; code: string; status: number; requests: number }> = [
          { fault: { kind: 'invalid_key' }, code: 'upstream_auth_failed', status: 502, requests: 1 },
          { fault: { kind: 'invalid_key_legacy' }, code: 'upstream_auth_failed', status: 502, requests: 1 },
          { fault: { kind: 'quota_exceeded' }, code: 'upstream_quota_exceeded', status: 502, requests: 1 },
          { fault: { kind: 'unusual_activity' }, code: 'upstream_auth_failed', status: 502, requests: 1 },
          { fault: { kind: 'voice_not_found' }, code: 'unknown_voice', status: 400, requests: 1 },
          { fault: { kind: 'validation' }, code: 'invalid_request', status: 400, requests: 1 },
          { fault: { kind: 'max_characters' }, code: 'invalid_request', status: 400, requests: 1 },
          { fault: { kind: 'busy' }, code: 'upstream_busy', status: 503, requests: 3 },
          { fault: { kind: 'too_many_concurrent' }, code: 'upstream_busy', status: 503, requests: 3 },
          { fault: { kind: 'server_error' }, code: 'upstream_error', status: 502, requests: 3 },
          { fault: { kind: 'server_error', status: 503 }, code: 'upstream_error', status: 502, requests: 3 },
        ];
        for (const { fault, code, status, requests } of cases) {
          it(`answers ${code} (${status}) after ${requests} request(s) when the upstream keeps failing with ${fault.kind}${'status' in fault ? ` ${fault.status}` : ''}`, async () => {
            fake.inject(fault);
            const client = clientFor(fake, { retries: 2 });
            const error = await upstreamErrorOf(client.stream(synthesis()));
            expect(error.code).toBe(code);
            expect(error.status).toBe(status);
            expect(fake.ttsRequests()).toHaveLength(requests);
            expect(error.message).not.toContain(fake.apiKey);
          });
        }
      });

      it('names unusual activity in its message, unlike a rejected key', async () => {
        fake.inject({ kind: 'unusual_activity' }, { times: 1 });
        fake.inject({ kind: 'invalid_key' }, { times: 1 });
        const client = clientFor(fake);
        const blocked = await upstreamErrorOf(client.stream(synthesis()));
        const rejected = await upstreamErrorOf(client.stream(synthesis()));
        expect(blocked.message).toMatch(/unusual activity/);
        expect(rejected.message).toMatch(/rejected the configured API key/);
      });

      it('passes the validation detail of a 422 on to the caller', async () => {
        fake.inject({ kind: 'validation' });
        const error = await upstreamErrorOf(clientFor(fake).stream(synthesis()));
        expect(error.message).toContain('text: Field required');
        expect(error.upstreamStatus).toBe(422);
      });

      it('answers upstream_auth_failed for a wrong key without retrying', async () => {
        const client = clientFor(fake, { apiKey: 'not-the-right-key' });
        const error = await upstreamErrorOf(client.stream(synthesis()));
        expect(error.code).toBe('upstream_auth_failed');
        expect(error.upstreamCode).toBe('unauthorized');
        expect(fake.ttsRequests()).toHaveLength(1);
      });

      it('answers unknown_voice for a voice the upstream does not have, without retrying', async () => {
        const error = await upstreamErrorOf(clientFor(fake).stream(synthesis({ voiceId: 'NoSuchVoice000000000' })));
        expect(error.code).toBe('unknown_voice');
        expect(fake.ttsRequests()).toHaveLength(1);
      });

      it('retries a 429 and succeeds with the second request', async () => {
        fake.inject({ kind: 'busy' }, { times: 1 });
        const client = clientFor(fake);
        const bytes = await collect((await client.stream(synthesis())).chunks);
        expect(bytes.equals(AUDIO_FIXTURES.hello)).toBe(true);
        expect(fake.ttsRequests()).toHaveLength(2);
      });

      it('retries a 5xx and succeeds with the next request', async () => {
        fake.inject({ kind: 'server_error', status: 502 }, { times: 2 });
        const client = clientFor(fake, { retries: 2 });
        await collect((await client.stream(synthesis())).chunks);
        expect(fake.ttsRequests()).toHaveLength(3);
      });

      it('makes exactly one request when retries are off', async () => {
        fake.inject({ kind: 'server_error' });
        const error = await upstreamErrorOf(clientFor(fake, { retries: 0 }).stream(synthesis()));
        expect(error.code).toBe('upstream_error');
        expect(fake.ttsRequests()).toHaveLength(1);
      });

      it('honours a retry-after it can wait for', async () => {
        fake.inject({ kind: 'retry_after', seconds: 0 }, { times: 1 });
        const client = clientFor(fake, { retryMaxMs: 50 });
        await collect((await client.stream(synthesis())).chunks);
        expect(fake.ttsRequests()).toHaveLength(2);
      });

      it('gives up at once when retry-after asks for longer than it may wait, and passes the wait on', async () => {
        fake.inject({ kind: 'retry_after', seconds: 3 });
        const client = clientFor(fake, { retryMaxMs: 50 });
        const error = await upstreamErrorOf(client.stream(synthesis()));
        expect(error.code).toBe('upstream_busy');
        expect(error.retryAfterSeconds).toBe(3);
        expect(fake.ttsRequests()).toHaveLength(1);
      });

      it('answers upstream_timeout (504) when the upstream never answers, without retrying', async () => {
        fake.inject({ kind: 'stall' });
        const client = clientFor(fake, { timeoutMs: 300 });
        const error = await upstreamErrorOf(client.stream(synthesis()));
        expect(error.code).toBe('upstream_timeout');
        expect(error.status).toBe(504);
        expect(fake.ttsRequests()).toHaveLength(1);
        await vi.waitFor(() => expect(fake.inFlightTts).toBe(0));
      });

      it('throws upstream_timeout from the iterator when the stream stalls after its first bytes', async () => {
        fake.inject({ kind: 'stall_mid_stream', afterBytes: 1000 });
        const client = clientFor(fake, { timeoutMs: 300 });
        const audio = await client.stream(synthesis());
        const received: Uint8Array[] = [];
        const error = await rejectionOf(
          (async () => {
            for await (const chunk of audio.chunks) received.push(chunk);
          })(),
        );
        expect(error).toBeInstanceOf(UpstreamError);
        expect((error as UpstreamError).code).toBe('upstream_timeout');
        expect(Buffer.concat(received).equals(AUDIO_FIXTURES.hello.subarray(0, 1000))).toBe(true);
        expect(fake.ttsRequests()).toHaveLength(1);
      });

      it('throws upstream_error from the iterator when the connection drops mid-stream, and never retries after audio', async () => {
        fake.inject({ kind: 'reset_mid_stream', afterBytes: 5000 });
        const client = clientFor(fake, { retries: 3 });
        const audio = await client.stream(synthesis());
        const received: Uint8Array[] = [];
        const error = await rejectionOf(
          (async () => {
            for await (const chunk of audio.chunks) received.push(chunk);
          })(),
        );
        expect(error).toBeInstanceOf(UpstreamError);
        expect((error as UpstreamError).code).toBe('upstream_error');
        expect(Buffer.concat(received).length).toBeLessThan(AUDIO_FIXTURES.hello.length);
        expect(fake.sentAudio[0]?.completed).toBe(false);
        expect(fake.ttsRequests()).toHaveLength(1);
      });

      it('answers upstream_error when nothing listens at the base URL', async () => {
        const port = await closedPort();
        const client = new ElevenLabsClient({
          baseUrl: `http://127.0.0.1:${port}`,
          apiKey: 'any-key',
          timeoutMs: 2_000,
          retries: 1,
          retryBaseMs: 1,
          limiter: new LocalSemaphore(1),
          userAgent: 'jessica/9.9.9-test',
          logger: recordingLogger(),
          metrics: recordingMetrics(),
        });
        const error = await upstreamErrorOf(client.stream(synthesis()));
        expect(error.code).toBe('upstream_error');
        expect(error.upstreamStatus).toBe(0);
        expect(error.status).toBe(502);
      });

      it('answers upstream_not_configured (503) without calling the upstream when there is no key', async () => {
        const client = clientFor(fake, { apiKey: undefined });
        for (const call of [client.stream(synthesis()), client.listVoices(), client.listModels(), client.getUsage()]) {
          const error = await rejectionOf(call);
          expect(error).toMatchObject({ code: 'upstream_not_configured', status: 503 });
        }
        expect(fake.requests).toHaveLength(0);
      });

      it('counts and logs each failed attempt without the key', async () => {
        fake.inject({ kind: 'busy' }, { times: 1 });
        const logger = recordingLogger();
        const metrics = recordingMetrics();
        await collect((await clientFor(fake, { logger, metrics }).stream(synthesis())).chunks);
        expect(metrics.counts.get('UpstreamErrors')).toBe(1);
        expect(logger.entries).toHaveLength(1);
        expect(logger.entries[0]?.extra[0]).toMatchObject({ attempt: 0, code: 'upstream_busy', upstreamStatus: 429 });
        expect(JSON.stringify(logger.entries)).not.toContain(fake.apiKey);
      });
    });

    describe('ElevenLabsClient cancellation', () => {
      it('aborts the upstream request and frees the limiter slot when the caller aborts mid-stream', async () => {
        const held = fake.hold();
        const limiter = new LocalSemaphore(1);
        const client = clientFor(fake, { limiter });
        const caller = new AbortController();
        const audio = await client.stream(synthesis(), caller.signal);
        const iterator = audio.chunks[Symbol.asyncIterator]();
        expect((await iterator.next()).done).toBe(false);
        expect(limiter.active).toBe(1);
        caller.abort();
        expect(limiter.active).toBe(0);
        await vi.waitFor(() => expect(fake.inFlightTts).toBe(0));
        expect(fake.sentAudio[0]?.completed).toBe(false);
        held.release();
        // The slot is really free: the next stream starts at once.
        await collect((await client.stream(synthesis())).chunks);
        expect(fake.sentAudio[1]?.completed).toBe(true);
      });

      it('rejects with the caller’s reason, not a timeout, when aborted before the upstream answers', async () => {
        fake.inject({ kind: 'stall' });
        const limiter = new LocalSemaphore(1);
        const client = clientFor(fake, { limiter, timeoutMs: 5_000 });
        const caller = new AbortController();
        const pending = client.stream(synthesis(), caller.signal);
        await vi.waitFor(() => expect(fake.ttsRequests()).toHaveLength(1));
        const reason = new Error('caller went away');
        caller.abort(reason);
        expect(await rejectionOf(pending)).toBe(reason);
        expect(limiter.active).toBe(0);
        await vi.waitFor(() => expect(fake.inFlightTts).toBe(0));
      });

      it('frees the slot when the caller aborts before reading the stream at all', async () => {
        const held = fake.hold();
        const limiter = new LocalSemaphore(1);
        const client = clientFor(fake, { limiter });
        const caller = new AbortController();
        await client.stream(synthesis(), caller.signal);
        expect(limiter.active).toBe(1);
        caller.abort();
        await vi.waitFor(() => expect(fake.inFlightTts).toBe(0));
        expect(limiter.active).toBe(0);
        held.release();
      });

      it('frees the slot when the consumer stops reading early', async () => {
        const limiter = new LocalSemaphore(1);
        const client = clientFor(fake, { limiter, retries: 0 });
        const audio = await client.stream(synthesis());
        for await (const _chunk of audio.chunks) break;
        expect(limiter.active).toBe(0);
        await vi.waitFor(() => expect(fake.inFlightTts).toBe(0));
      });

      it('stops waiting for a slot when the caller aborts, without calling the upstream', async () => {
        const limiter = new LocalSemaphore(1);
        const release = await limiter.acquire();
        const client = clientFor(fake, { limiter });
        const caller = new AbortController();
        const pending = client.stream(synthesis(), caller.signal);
        expect(limiter.waiting).toBe(1);
        caller.abort(new Error('gone'));
        expect(await rejectionOf(pending)).toMatchObject({ message: 'gone' });
        expect(limiter.waiting).toBe(0);
        release();
        expect(fake.ttsRequests()).toHaveLength(0);
      });

      it('stops a retry backoff when the caller aborts', async () => {
        fake.inject({ kind: 'busy' });
        const client = clientFor(fake, { retries: 5, retryBaseMs: 60_000, retryMaxMs: 60_000 });
        const caller = new AbortController();
        const pending = client.stream(synthesis(), caller.signal);
        await vi.waitFor(() => expect(fake.ttsRequests()).toHaveLength(1));
        caller.abort(new Error('no more waiting'));
        expect(await rejectionOf(pending)).toMatchObject({ message: 'no more waiting' });
        expect(fake.ttsRequests()).toHaveLength(1);
      });
    });

    describe('ElevenLabsClient with LocalSemaphore', () => {
      it('never has more requests in flight than the limit, and finishes them all', async () => {
        const limiter = new LocalSemaphore(2);
        const client = clientFor(fake, { limiter });
        const held = fake.hold();
        const runs = Array.from({ length: 6 }, (_, index) =>
          client.stream(synthesis({ text: `Parallel stream number ${index + 1}.` })).then((audio) => collect(audio.chunks)),
        );
        await vi.waitFor(() => expect(fake.sentAudio).toHaveLength(2));
        expect(fake.inFlightTts).toBe(2);
        expect(limiter.waiting).toBe(4);
        held.release();
        const results = await Promise.all(runs);
        expect(results).toHaveLength(6);
        expect(fake.maxConcurrentTts).toBe(2);
        expect(fake.sentAudio).toHaveLength(6);
        expect(fake.sentAudio.every((sent) => sent.completed)).toBe(true);
        for (const [index, bytes] of results.entries()) {
          const sent = fake.sentAudio.find((entry) => entry.text === `Parallel stream number ${index + 1}.`);
          expect(bytes.equals(sent!.bytes)).toBe(true);
        }
        expect(limiter.active).toBe(0);
      });
    });

    describe('ElevenLabsClient catalogue calls', () => {
      it('lists the account’s voices from /v2/voices in one page of 100', async () => {
        const voices = await clientFor(fake).listVoices();
        const expected = FAKE_VOICES.filter((voice) => !voice.is_legacy);
        expect(voices.map((voice) => voice.voice_id)).toEqual(expected.map((voice) => voice.voice_id));
        expect(voices[0]).toEqual({
          voice_id: expected[0]!.voice_id,
          name: expected[0]!.name,
          category: expected[0]!.category,
          labels: expected[0]!.labels,
          preview_url: expected[0]!['preview_url'] ?? null,
        });
        const requests = fake.requests.filter((request) => request.path === '/v2/voices');
        expect(requests).toHaveLength(1);
        expect(requests[0]?.query).toMatchObject({ page_size: '100' });
      });

      it('passes a search term to the upstream', async () => {
        const voices = await clientFor(fake).listVoices('british');
        expect(voices.length).toBeGreaterThan(0);
        expect(voices.every((voice) => voice.labels['accent'] === 'british')).toBe(true);
        expect(fake.requests[0]?.query).toMatchObject({ search: 'british' });
      });

      it('follows next_page_token until has_more is false', async () => {
        // A proxy that shrinks each page to 3 voices, so the fake's real pagination is exercised.
        const proxy = await startPageShrinkingProxy(fake.url, 3);
        try {
          const voices = await clientFor(fake, { baseUrl: proxy.url }).listVoices();
          const expected = FAKE_VOICES.filter((voice) => !voice.is_legacy).map((voice) => voice.voice_id);
          expect(voices.map((voice) => voice.voice_id)).toEqual(expected);
          const pages = fake.requests.filter((request) => request.path === '/v2/voices');
          expect(pages).toHaveLength(Math.ceil(expected.length / 3));
          expect(pages[0]?.query['next_page_token']).toBeUndefined();
          for (const page of pages.slice(1)) expect(page.query['next_page_token']).toEqual(expect.any(String));
        } finally {
          await proxy.close();
        }
      });

      it('gets one voice by id, including one not in the account list', async () => {
        const voice = await clientFor(fake).getVoice(RACHEL_ID);
        expect(voice).toMatchObject({ voice_id: RACHEL_ID, name: 'Rachel' });
      });

      it('answers undefined for a voice the upstream does not know', async () => {
        expect(await clientFor(fake).getVoice('NoSuchVoice000000000')).toBeUndefined();
      });

      it('still throws other failures when getting a voice', async () => {
        fake.inject({ kind: 'invalid_key' }, { path: /^\/v1\/voices\// });
        const error = await upstreamErrorOf(clientFor(fake).getVoice(JESSICA_ID));
        expect(error.code).toBe('upstream_auth_failed');
      });

      it('lists only text-to-speech models, with the per-request limit and language codes', async () => {
        const models = await clientFor(fake).listModels();
        const capable = FAKE_MODELS.filter((model) => model.can_do_text_to_speech);
        expect(models.map((model) => model.model_id)).toEqual(capable.map((model) => model.model_id));
        for (const model of models) {
          const raw = capable.find((candidate) => candidate.model_id === model.model_id)!;
          expect(model.max_characters).toBe(raw.maximum_text_length_per_request);
          expect(model.name).toBe(raw['name']);
          expect(model.languages).toEqual((raw['languages'] as Array<{ language_id: string }>).map((language) => language.language_id));
        }
      });

      it('reports usage from the subscription', async () => {
        const reset = 1_900_000_000;
        fake.setSubscription({ character_count: 1_234, character_limit: 5_000, next_character_count_reset_unix: reset });
        expect(await clientFor(fake).getUsage()).toEqual({
          character_count: 1_234,
          character_limit: 5_000,
          remaining: 5_000 - 1_234,
          resets_at: new Date(reset * 1000).toISOString(),
        });
      });

      it('retries a busy catalogue call', async () => {
        fake.inject({ kind: 'busy' }, { path: /^\/v1\/models$/, times: 1 });
        const models = await clientFor(fake).listModels();
        expect(models.length).toBeGreaterThan(0);
        expect(fake.requests.filter((request) => request.path === '/v1/models')).toHaveLength(2);
      });

      it('answers upstream_error when a JSON body breaks off', async () => {
        fake.inject({ kind: 'reset_mid_stream', afterBytes: 20 }, { path: /^\/v1\/models$/ });
        const error = await upstreamErrorOf(clientFor(fake).listModels());
        expect(error.code).toBe('upstream_error');
      });

      it('answers upstream_timeout when a JSON body stalls', { timeout: 3_000 }, async () => {
        fake.inject({ kind: 'stall_mid_stream', afterBytes: 20 }, { path: /^\/v2\/voices$/ });
        const error = await upstreamErrorOf(clientFor(fake, { timeoutMs: 300 }).listVoices());
        expect(error.code).toBe('upstream_timeout');
      });

      it('answers upstream_timeout when a catalogue call never answers', async () => {
        fake.inject({ kind: 'stall' }, { path: /^\/v1\/user\/subscription$/ });
        const error = await upstreamErrorOf(clientFor(fake, { timeoutMs: 300 }).getUsage());
        expect(error.code).toBe('upstream_timeout');
      });

      it('rejects with the caller’s reason when a catalogue call is aborted', async () => {
        fake.inject({ kind: 'stall' }, { path: /^\/v1\/models$/ });
        const caller = new AbortController();
        const pending = clientFor(fake, { timeoutMs: 5_000 }).listModels(caller.signal);
        await vi.waitFor(() => expect(fake.requests).toHaveLength(1));
        caller.abort(new Error('stop listing'));
        expect(await rejectionOf(pending)).toMatchObject({ message: 'stop listing' });
      });
    });

    /** A port nothing listens on: bound once, then closed. */
    async function closedPort(): Promise<number> {
      const server = createNetServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }

    /** Forwards to `target`, rewriting `page_size` on /v2/voices so pagination needs several pages. */
    async function startPageShrinkingProxy(target: string, pageSize: number): Promise<{ url: string; close(): Promise<void> }> {
      const server: Server = createHttpServer((req, res) => {
        const url = new URL(req.url ?? '/', target);
        if (url.pathname === '/v2/voices') url.searchParams.set('page_size', String(pageSize));
        const upstream = httpRequest(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      };
    }
  });
}
