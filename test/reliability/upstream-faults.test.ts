import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../fargate/server.js';
import { startFakeElevenLabs, type Fault } from '../fake-elevenlabs/index.js';
import { TestListener, wsUrl } from '../support/listener.js';
import { startStack, type Stack } from '../support/stack.js';
import { callTool, errorCodeOf, eventually, viaMcp, viaRestStream, viaRestTts, viaWebSocket, type Outcome } from './helpers.js';

const ALICE = 'alice-reliability-token';
const BOB = 'bob-reliability-token-2';
const CAROL = 'carol-reliability-token';
const TOKENS = `alice:${ALICE},bob:${BOB},carol:${CAROL}`;
const RETRIES = 1;
const TIMEOUT_MS = 1_500;

/** Every text is new, so the audio cache never answers in place of the upstream. */
let serial = 0;
const fresh = (what: string) => `${what}, case ${(serial += 1)}.`;

type Surface = 'POST /tts' | 'POST /tts/stream' | 'WebSocket speak' | 'MCP text_to_speech';
const SURFACES: Surface[] = ['POST /tts', 'POST /tts/stream', 'WebSocket speak', 'MCP text_to_speech'];

interface FailingCase {
  name: string;
  fault: Fault;
  status: number;
  code: string;
  /** Upstream requests one synthesis makes before it gives up. */
  attempts: number;
}

const BEFORE_FIRST_BYTE: FailingCase[] = [
  { name: 'an invalid key', fault: { kind: 'invalid_key' }, status: 502, code: 'upstream_auth_failed', attempts: 1 },
  { name: 'an invalid key (legacy body)', fault: { kind: 'invalid_key_legacy' }, status: 502, code: 'upstream_auth_failed', attempts: 1 },
  { name: 'a blocked account', fault: { kind: 'unusual_activity' }, status: 502, code: 'upstream_auth_failed', attempts: 1 },
  { name: 'an exhausted quota', fault: { kind: 'quota_exceeded' }, status: 502, code: 'upstream_quota_exceeded', attempts: 1 },
  { name: 'persistent 500s', fault: { kind: 'server_error', status: 500 }, status: 502, code: 'upstream_error', attempts: RETRIES + 1 },
  { name: 'persistent 503s', fault: { kind: 'server_error', status: 503 }, status: 502, code: 'upstream_error', attempts: RETRIES + 1 },
  { name: 'a persistently busy upstream', fault: { kind: 'busy' }, status: 503, code: 'upstream_busy', attempts: RETRIES + 1 },
  { name: 'a stall before the headers', fault: { kind: 'stall' }, status: 504, code: 'upstream_timeout', attempts: 1 },
];

const TRANSIENT: Array<{ name: string; fault: Fault }> = [
  { name: 'one 429 system_busy', fault: { kind: 'busy' } },
  { name: 'one 429 too_many_concurrent_requests', fault: { kind: 'too_many_concurrent' } },
  { name: 'one 500', fault: { kind: 'server_error', status: 500 } },
  { name: 'one 429 with Retry-After: 1', fault: { kind: 'retry_after', seconds: 1 } },
];

/** One stack per surface, so the four paths run side by side without sharing a fault queue. */
interface Lanes {
  through(surface: Surface, text: string): Promise<Outcome>;
  stack(surface: Surface): Stack;
  listener(surface: Surface): TestListener | undefined;
  onEverySurface(check: (surface: Surface, stack: Stack) => Promise<void>): Promise<void>;
  /** A normal utterance right after a fault plays in full: nothing (a limiter slot, a queue) was left behind. */
  expectHealthy(surface: Surface): Promise<void>;
  close(): Promise<void>;
}

async function openLanes(): Promise<Lanes> {
  const lanes = new Map<Surface, { stack: Stack; listener?: TestListener }>();
  await Promise.all(
    SURFACES.map(async (surface) => {
      // One upstream slot: a slot leaked by any failure would hang the very next request.
      const stack = await startStack({
        JESSICA_TOKENS: TOKENS,
        JESSICA_UPSTREAM_CONCURRENCY: '1',
        JESSICA_UPSTREAM_RETRIES: String(RETRIES),
        JESSICA_UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
        JESSICA_RATE_LIMIT: '100000',
      });
      const listener = surface === 'WebSocket speak' ? await TestListener.connect(wsUrl(stack.server.url, '/ws'), { token: ALICE }) : undefined;
      lanes.set(surface, { stack, ...(listener ? { listener } : {}) });
    }),
  );
  const lane = (surface: Surface) => lanes.get(surface)!;
  const through = (surface: Surface, text: string): Promise<Outcome> => {
    const { stack, listener } = lane(surface);
    switch (surface) {
      case 'POST /tts':
        return viaRestTts(stack, text, ALICE);
      case 'POST /tts/stream':
        return viaRestStream(stack, text, ALICE);
      case 'WebSocket speak':
        return viaWebSocket(listener!, text);
      case 'MCP text_to_speech':
        return viaMcp(stack, text, ALICE);
    }
  };
  return {
    through,
    stack: (surface) => lane(surface).stack,
    listener: (surface) => lane(surface).listener,
    async onEverySurface(check) {
      await Promise.all(SURFACES.map((surface) => check(surface, lane(surface).stack)));
    },
    async expectHealthy(surface) {
      const outcome = await through(surface, fresh('Back to normal'));
      expect(outcome, surface).toMatchObject({ ok: true });
      expect(outcome.ok && outcome.bytes.equals(lane(surface).stack.fake.sentAudio.at(-1)!.bytes), surface).toBe(true);
    },
    async close() {
      for (const { stack, listener } of lanes.values()) {
        listener?.close();
        await stack.close();
      }
    },
  };
}

/** Runs `body` on lanes of its own, so tests can run concurrently. */
const withLanes = (body: (lanes: Lanes) => Promise<void>) => async () => {
  const lanes = await openLanes();
  try {
    await body(lanes);
  } finally {
    await lanes.close();
  }
};

// Concurrent: most of the time here is retry backoff and stall deadlines, spent waiting.
describe.concurrent('upstream faults, end to end', () => {
  it.each(BEFORE_FIRST_BYTE)('answers $code after $name on REST, WebSocket and MCP, with $attempts upstream attempt(s)', ({ fault, status, code, attempts }) =>
    withLanes(async ({ onEverySurface, through, expectHealthy }) => {
      await onEverySurface(async (surface, stack) => {
        stack.fake.inject(fault);
        const started = Date.now();
        const outcome = await through(surface, fresh(`Failing on ${fault.kind}`));
        const elapsed = Date.now() - started;
        expect(outcome, surface).toMatchObject({ ok: false, code });
        if (surface === 'POST /tts' || surface === 'POST /tts/stream') expect(outcome, surface).toMatchObject({ status });
        expect(stack.fake.ttsRequests(), surface).toHaveLength(attempts);
        // The only timing check: a stall fails within the configured deadline (plus a generous margin).
        if (fault.kind === 'stall') expect(elapsed, surface).toBeLessThanOrEqual(TIMEOUT_MS + 2_500);
        stack.fake.clearFaults();
        await expectHealthy(surface);
      });
    })(),
  );

  it.each(TRANSIENT)('retries after $name with backoff and then succeeds, on REST, WebSocket and MCP', ({ fault }) =>
    withLanes(async ({ onEverySurface, through }) => {
      await onEverySurface(async (surface, stack) => {
        stack.fake.inject(fault, { times: 1 });
        const outcome = await through(surface, fresh(`Recovering from ${fault.kind}`));
        expect(outcome, surface).toMatchObject({ ok: true });
        const tts = stack.fake.ttsRequests();
        expect(tts, surface).toHaveLength(2);
        expect(outcome.ok && outcome.bytes.equals(stack.fake.sentAudio.at(-1)!.bytes), surface).toBe(true);
        // Backoff: the retry waited (a lower bound only) rather than hammering the upstream.
        expect(tts[1]!.at - tts[0]!.at, surface).toBeGreaterThanOrEqual(fault.kind === 'retry_after' ? 900 : 300);
      });
    })(),
  );

  it(
    'fails the utterance when the upstream resets mid-stream (REST stream aborted, never complete), and the next one plays normally',
    withLanes(async ({ onEverySurface, through, expectHealthy }) => {
      await onEverySurface(async (surface, stack) => {
        stack.fake.inject({ kind: 'reset_mid_stream', afterBytes: 2048 }, { times: 1 });
        const outcome = await through(surface, fresh('Broken mid-stream'));
        expect(outcome.ok, surface).toBe(false);
        if (surface === 'POST /tts/stream') expect(outcome).toMatchObject({ status: 200, aborted: true });
        else expect(outcome, surface).toMatchObject({ code: 'upstream_error' });
        if (surface === 'POST /tts') expect(outcome).toMatchObject({ status: 502 });
        expect(stack.fake.ttsRequests(), surface).toHaveLength(1);
        await expectHealthy(surface);
      });
    }),
  );

  it(
    'fails the utterance with upstream_timeout when the upstream stalls mid-stream, and the next one plays normally',
    withLanes(async ({ onEverySurface, through, expectHealthy }) => {
      await onEverySurface(async (surface, stack) => {
        stack.fake.inject({ kind: 'stall_mid_stream', afterBytes: 2048 }, { times: 1 });
        const started = Date.now();
        const outcome = await through(surface, fresh('Stalled mid-stream'));
        expect(Date.now() - started, surface).toBeLessThanOrEqual(TIMEOUT_MS + 2_500);
        expect(outcome.ok, surface).toBe(false);
        if (surface === 'POST /tts/stream') expect(outcome).toMatchObject({ status: 200, aborted: true });
        else expect(outcome, surface).toMatchObject({ code: 'upstream_timeout' });
        if (surface === 'POST /tts') expect(outcome).toMatchObject({ status: 504 });
        await expectHealthy(surface);
      });
    }),
  );

  it(
    'answers 504 upstream_timeout within the deadline when an account call stalls, before or after its headers, on REST and MCP',
    withLanes(async (lanes) => {
      const faults = [
        { surface: 'POST /tts', fault: { kind: 'stall' } },
        { surface: 'POST /tts/stream', fault: { kind: 'stall_mid_stream', afterBytes: 10 } },
      ] as const;
      await Promise.all(
        faults.map(async ({ surface, fault }) => {
          const stack = lanes.stack(surface);
          stack.fake.inject(fault, { path: /^\/v1\/user/ });
          const started = Date.now();
          const [response, tool] = await Promise.all([stack.request('/api/v1/usage', { token: ALICE }), callTool(stack, 'get_usage', {}, ALICE)]);
          expect(Date.now() - started, fault.kind).toBeLessThanOrEqual(TIMEOUT_MS + 2_500);
          expect(response.status, fault.kind).toBe(504);
          expect(await errorCodeOf(response), fault.kind).toBe('upstream_timeout');
          expect(tool, fault.kind).toMatchObject({ isError: true, code: 'upstream_timeout' });
        }),
      );
    }),
  );

  it(
    'passes a long upstream Retry-After on to the REST client instead of waiting it out',
    withLanes(async (lanes) => {
      const stack = lanes.stack('POST /tts');
      stack.fake.inject({ kind: 'retry_after', seconds: 30 }, { times: 1 });
      const outcome = await viaRestTts(stack, fresh('Come back later'), ALICE);
      expect(outcome).toMatchObject({ ok: false, status: 503, code: 'upstream_busy', retryAfter: '30' });
      expect(stack.fake.ttsRequests()).toHaveLength(1);
    }),
  );

  it(
    'sends audio.error to every listener of the principal when a POST /speak breaks mid-stream',
    withLanes(async (lanes) => {
      const stack = lanes.stack('WebSocket speak');
      const second = await TestListener.connect(wsUrl(stack.server.url, '/ws'), { token: ALICE });
      try {
        stack.fake.inject({ kind: 'reset_mid_stream', afterBytes: 1024 }, { times: 1 });
        const response = await stack.request('/api/v1/speak', { token: ALICE, body: { text: fresh('Heard by both tabs') } });
        const { utterance_id } = (await response.json()) as { utterance_id: string };
        for (const tab of [lanes.listener('WebSocket speak')!, second]) {
          const error = await tab.next('audio.error', (frame) => frame['id'] === utterance_id);
          expect(error['code']).toBe('upstream_error');
          expect(tab.json('audio.end').some((frame) => frame['id'] === utterance_id)).toBe(false);
        }
        await lanes.expectHealthy('WebSocket speak');
      } finally {
        second.close();
      }
    }),
  );
});

describe('the per-key upstream concurrency limit', () => {
  let stack: Stack;
  const LIMIT = 2;

  beforeAll(async () => {
    stack = await startStack(
      { JESSICA_TOKENS: TOKENS, JESSICA_UPSTREAM_CONCURRENCY: String(LIMIT), JESSICA_RATE_LIMIT: '100000' },
      { chunkDelayMs: 15, chunkSize: 2048 },
    );
  });
  afterAll(async () => {
    await stack.close();
  });

  it('never lets the upstream see more requests in flight than configured, across REST, WebSocket and MCP', async () => {
    const listeners = await Promise.all([ALICE, BOB, CAROL].map((token) => TestListener.connect(wsUrl(stack.server.url, '/ws'), { token })));
    try {
      const work: Array<Promise<Outcome>> = [];
      for (let i = 0; i < 4; i += 1) work.push(viaRestTts(stack, fresh('Concurrent REST'), ALICE));
      for (let i = 0; i < 3; i += 1) work.push(viaRestStream(stack, fresh('Concurrent stream'), BOB));
      for (const tab of listeners) work.push(viaWebSocket(tab, fresh('Concurrent listener'), 30_000));
      for (let i = 0; i < 3; i += 1) work.push(viaMcp(stack, fresh('Concurrent MCP'), CAROL));
      const outcomes = await Promise.all(work);
      expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
      expect(stack.fake.ttsRequests()).toHaveLength(work.length);
      expect(stack.fake.maxConcurrentTts).toBe(LIMIT);
    } finally {
      for (const tab of listeners) tab.close();
    }
  });

  it('frees the slots of clients that go away while queued or streaming', async () => {
    stack.fake.reset();
    stack.fake.configure({ chunkDelayMs: 30, chunkSize: 512 });
    const controllers = Array.from({ length: 6 }, () => new AbortController());
    const started = controllers.map((controller) =>
      fetch(stack.url('/api/v1/tts/stream'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` },
        body: JSON.stringify({ text: fresh('Abandoned') }),
        signal: controller.signal,
      }).catch(() => undefined),
    );
    await eventually(() => stack.fake.inFlightTts >= LIMIT);
    for (const controller of controllers) controller.abort();
    await Promise.all(started);
    // Slots go back when Jessica cancels; the fake notices the closed sockets a moment later.
    await eventually(() => stack.fake.inFlightTts === 0);
    stack.fake.reset();
    stack.fake.configure({ chunkDelayMs: 15, chunkSize: 2048 });
    const after = await Promise.all([1, 2, 3, 4].map(() => viaRestTts(stack, fresh('After the aborts'), ALICE)));
    expect(after.every((outcome) => outcome.ok)).toBe(true);
    // Exactly the limit: a leaked slot would lower it, a double release would raise it.
    expect(stack.fake.maxConcurrentTts).toBe(LIMIT);
  });
});

describe.concurrent('an unreachable upstream', () => {
  it('answers 502 upstream_error on REST, WebSocket and MCP when the upstream was never reachable', async () => {
    // A port that was just free: nothing listens there.
    const gone = await startFakeElevenLabs();
    const url = gone.url;
    await gone.close();
    let server: RunningServer | undefined;
    try {
      server = await startServer({
        env: { ELEVENLABS_BASE_URL: url, ELEVENLABS_API_KEY: 'sk_unreachable_0000', PORT: '0', JESSICA_SETTINGS: 'memory:', LOG_LEVEL: 'silent', JESSICA_UPSTREAM_RETRIES: '1' },
      });
      const stack = { request: (path: string, init: { body?: unknown; method?: string; headers?: Record<string, string> } = {}) =>
        fetch(`${server!.url}${path}`, {
          method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
          headers: { 'content-type': 'application/json', ...init.headers },
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        }) } as unknown as Stack;
      const listener = await TestListener.connect(wsUrl(server.url, '/ws'));
      const [catalogue, tts, streamed, spoken, tool] = await Promise.all([
        Promise.all(['/api/v1/voices', '/api/v1/models', '/api/v1/usage'].map(async (path) => {
          const response = await stack.request(path);
          return `${path} ${response.status} ${await errorCodeOf(response)}`;
        })),
        viaRestTts(stack, 'Nobody home.'),
        viaRestStream(stack, 'Nobody home.'),
        viaWebSocket(listener, 'Nobody home.'),
        callTool(stack, 'text_to_speech', { text: 'Nobody home.' }),
      ]);
      listener.close();
      expect(catalogue).toEqual(['/api/v1/voices 502 upstream_error', '/api/v1/models 502 upstream_error', '/api/v1/usage 502 upstream_error']);
      expect(tts).toMatchObject({ ok: false, status: 502, code: 'upstream_error' });
      expect(streamed).toMatchObject({ ok: false, status: 502, code: 'upstream_error' });
      expect(spoken).toMatchObject({ ok: false, code: 'upstream_error' });
      expect(tool).toMatchObject({ status: 200, isError: true, code: 'upstream_error' });
      expect((await stack.request('/health')).status).toBe(200);
    } finally {
      await server?.close();
    }
  });

  it('answers 502 upstream_error when the upstream goes away after the catalogue was cached', async () => {
    const stack = await startStack({ JESSICA_UPSTREAM_RETRIES: '1' });
    const listener = await TestListener.connect(wsUrl(stack.server.url, '/ws'));
    try {
      expect(await viaRestTts(stack, 'Warming the catalogue.')).toMatchObject({ ok: true });
      await stack.fake.close();
      const outcomes = await Promise.all([
        viaRestTts(stack, 'The upstream is gone.'),
        viaRestStream(stack, 'The upstream is gone.'),
        viaWebSocket(listener, 'The upstream is gone.'),
        viaMcp(stack, 'The upstream is gone.'),
      ]);
      expect(outcomes).toEqual([
        { ok: false, status: 502, code: 'upstream_error', retryAfter: null },
        { ok: false, status: 502, code: 'upstream_error', retryAfter: null },
        { ok: false, status: undefined, code: 'upstream_error' },
        { ok: false, status: 200, code: 'upstream_error' },
      ]);
      // Cached audio still plays: the cache answers without the upstream.
      expect(await viaRestTts(stack, 'Warming the catalogue.')).toMatchObject({ ok: true });
    } finally {
      listener.close();
      await stack.close();
    }
  });
});
