import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RedisServer } from '../test/scale/support/redis.js';
import { buildAudio } from './lib/audio.js';
import type { BenchChild } from './lib/child.js';
import { HttpClient, WsProbe } from './lib/clients.js';
import { describeMachine } from './lib/machine.js';
import { ms, signedMs, type GoalRow, type SuiteContext, type SuiteResult } from './lib/result.js';
import { startFake, startJessica, TOKEN, type FakeOptions, type JessicaReady } from './lib/stack.js';
import { summarize, type Summary } from './lib/stats.js';

/**
 * Cross-task fan-out: what Redis pub/sub adds when the `POST /speak` lands on one task and the
 * page listens on another. Three paths, timed per round in a rotating order:
 * - single: one task, no Redis (the in-process hub) — the baseline;
 * - cross: speak on task A, listener on task B, both on `JESSICA_PUBSUB`;
 * - shared, same task: speak and listener on task A with `JESSICA_PUBSUB` (the publisher also
 *   hears its own speech through Redis).
 *
 * Standalone: `node --import tsx bench/crosstask.ts [--quick]`; in `npm run bench` as the
 * `crosstask` suite (`run(ctx)`).
 */

export const FAKE: FakeOptions = { ttfbMs: 30, chunkDelayMs: 10, chunkSize: 4096, audio: { fixture: 'hello' } };
const SOLO_TOKEN = 'bench-solo-token-0123456789';
const TOKENS = `bench:${TOKEN},solo:${SOLO_TOKEN}`;
type PathName = 'single' | 'cross' | 'same';
const PATHS: PathName[] = ['single', 'cross', 'same'];
const LABELS: Record<PathName, string> = {
  single: 'one task, in-process hub (baseline)',
  cross: 'speak on task A → listener on task B (Redis)',
  same: 'speak and listener on task A (Redis)',
};
/** Goals for the cross-task path over the single task, at the same percentile. */
const GOAL_P50 = 5;
const GOAL_P95 = 15;

interface Sample {
  firstMs: number;
  lastMs: number;
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const rounds = ctx.quick ? 30 : 200;
  const warmup = ctx.quick ? 5 : 20;
  const expectBytes = buildAudio(FAKE.audio!).length;
  const redis = await RedisServer.start();
  const children: Array<BenchChild<unknown>> = [];
  const probes: WsProbe[] = [];
  const http = new HttpClient();
  try {
    const fake = await startFake(FAKE);
    children.push(fake.child);
    const env = { JESSICA_TOKENS: TOKENS };
    const shared = { ...env, JESSICA_PUBSUB: redis.url };
    const [single, a, b] = await Promise.all([startJessica(fake.ready, env), startJessica(fake.ready, shared), startJessica(fake.ready, shared)]);
    children.push(single.child, a.child, b.child);
    const base = (ready: JessicaReady) => `${ready.url}${ready.rootPath}`;
    const ws = (ready: JessicaReady) => `${base(ready).replace(/^http/, 'ws')}/ws`;
    const listeners: Record<PathName, WsProbe> = {
      single: await WsProbe.connect(ws(single.ready), TOKEN),
      cross: await WsProbe.connect(ws(b.ready), TOKEN),
      same: await WsProbe.connect(ws(a.ready), SOLO_TOKEN),
    };
    probes.push(...Object.values(listeners));
    const speakAt: Record<PathName, { url: string; token: string }> = {
      single: { url: `${base(single.ready)}/api/v1/speak`, token: TOKEN },
      cross: { url: `${base(a.ready)}/api/v1/speak`, token: TOKEN },
      same: { url: `${base(a.ready)}/api/v1/speak`, token: SOLO_TOKEN },
    };
    await waitForShared(http, [base(a.ready), base(b.ready)]);

    const once = async (path: PathName, text: string): Promise<Sample> => {
      const utterance = listeners[path].expectUtterance();
      const started = performance.now();
      const response = http.send(speakAt[path].url, { headers: { authorization: `Bearer ${speakAt[path].token}` }, body: JSON.stringify({ text }) });
      const first = await utterance.firstAudio;
      const [{ status }, end] = await Promise.all([response, utterance.end]);
      const last = performance.now();
      if (status !== 202 || end.frame.type !== 'audio.end' || end.bytes !== expectBytes) {
        throw new Error(`${path}: unexpected answer (${status}, ${end.frame.type}, ${end.bytes} of ${expectBytes} bytes)`);
      }
      return { firstMs: first - started, lastMs: last - started };
    };

    const samples: Record<PathName, Sample[]> = { single: [], cross: [], same: [] };
    for (let round = -warmup; round < rounds; round += 1) {
      const rotated = PATHS.map((_, index) => PATHS[(index + Math.max(0, round)) % PATHS.length]!);
      for (const path of rotated) {
        // A new text every time: the cache would otherwise answer without the upstream.
        const sample = await once(path, `Cross-task round ${round + warmup} on ${path}: the quick brown fox jumps over the lazy dog.`);
        if (round >= 0) samples[path].push(sample);
      }
      if (round > 0 && round % 50 === 0) ctx.log(`crosstask: ${round}/${rounds} rounds`);
    }

    const first = Object.fromEntries(PATHS.map((path) => [path, summarize(samples[path].map((s) => s.firstMs))])) as Record<PathName, Summary>;
    const last = Object.fromEntries(PATHS.map((path) => [path, summarize(samples[path].map((s) => s.lastMs))])) as Record<PathName, Summary>;
    const added = (path: PathName, of: Record<PathName, Summary>) => ({ p50: of[path].p50 - of.single.p50, p95: of[path].p95 - of.single.p95 });
    const goals: GoalRow[] = [];
    for (const path of ['cross', 'same'] as const) {
      const delta = added(path, first);
      goals.push(
        {
          measure: `first audio, ${LABELS[path]}, median`,
          baseline: ms(first.single.p50),
          jessica: ms(first[path].p50),
          delta: signedMs(delta.p50),
          goal: path === 'cross' ? `added ≤ ${GOAL_P50} ms` : '—',
          met: path === 'cross' ? delta.p50 <= GOAL_P50 : null,
        },
        {
          measure: `first audio, ${LABELS[path]}, p95`,
          baseline: ms(first.single.p95),
          jessica: ms(first[path].p95),
          delta: signedMs(delta.p95),
          goal: path === 'cross' ? `added ≤ ${GOAL_P95} ms` : '—',
          met: path === 'cross' ? delta.p95 <= GOAL_P95 : null,
        },
      );
    }
    const row = (name: string, s: Summary) => [name, s.n, ms(s.min), ms(s.p50), ms(s.p90), ms(s.p95), ms(s.p99), ms(s.max)];
    const columns = ['Path', 'n', 'min', 'median', 'p90', 'p95', 'p99', 'max'];
    return {
      name: 'crosstask',
      title: 'Cross-task fan-out (Redis pub/sub)',
      setup:
        `redis-server ${'(Debian package)'} on loopback, no persistence; fake ElevenLabs in its own process (time to first byte ${FAKE.ttfbMs} ms, ` +
        `${FAKE.chunkSize}-byte chunks ${FAKE.chunkDelayMs} ms apart, hello.mp3, ${expectBytes} bytes); three Jessica processes: one without ` +
        `JESSICA_PUBSUB (baseline) and two sharing Redis. ${rounds} rounds after ${warmup} warm-up rounds, each sending one new text along every ` +
        'path in a rotating order and waiting for audio.end. Times from just before POST /speak is written to the first binary frame (first audio) ' +
        'and to audio.end (last audio) at the listener. Added = path − single task at the same percentile.',
      goals,
      tables: [
        { title: 'Time to first audio byte at the listener', columns, rows: PATHS.map((path) => row(LABELS[path], first[path])) },
        { title: 'Time to audio.end at the listener', columns, rows: PATHS.map((path) => row(LABELS[path], last[path])) },
        {
          title: 'Added over one task (same percentile)',
          columns: ['Path', 'first audio, median', 'first audio, p95', 'audio.end, median', 'audio.end, p95'],
          rows: (['cross', 'same'] as const).map((path) => [
            LABELS[path],
            signedMs(added(path, first).p50),
            signedMs(added(path, first).p95),
            signedMs(added(path, last).p50),
            signedMs(added(path, last).p95),
          ]),
        },
      ],
      notes: [
        'Every utterance crosses Redis once per chunk (EVALSHA that checks the utterance was not stopped, then PUBLISH), and the listening task plays it through its own hub.',
        'Loopback Redis: in AWS add the round trip to ElastiCache (same AZ, typically well under 1 ms) per hop.',
      ],
      data: { fake: FAKE, rounds, warmup, first, last, added: { cross: { first: added('cross', first), last: added('cross', last) }, same: { first: added('same', first), last: added('same', last) } }, samples },
    };
  } finally {
    for (const probe of probes) probe.close();
    http.close();
    await Promise.all(children.map((child) => child.stop()));
    await redis.kill();
  }
}

/** Both tasks report `ok` (Redis connected) and the listeners are present in Redis. */
async function waitForShared(http: HttpClient, bases: string[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const statuses = await Promise.all(
      bases.map(async (base) => {
        const result = await http.send(`${base}/health`, { keepBody: true });
        return (JSON.parse(result.body?.toString('utf8') ?? '{}') as { status?: string }).status;
      }),
    );
    if (statuses.every((status) => status === 'ok')) {
      // Presence is written right after each hello; give it a moment on a loaded machine.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return;
    }
    if (Date.now() > deadline) throw new Error(`the shared tasks did not report ok: ${statuses.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(entry).href) {
  const quick = process.argv.includes('--quick');
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const started = performance.now();
  const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);
  const result = await run({ quick, profile: false, resultsDir, log });
  writeFileSync(`${resultsDir}crosstask.json`, `${JSON.stringify({ ...result, machine: describeMachine(), durationSeconds: Math.round((performance.now() - started) / 100) / 10 }, null, 2)}\n`);
  for (const goal of result.goals) log(`${goal.met === null ? '  ' : goal.met ? 'ok' : 'NO'} ${goal.measure}: ${goal.jessica} (baseline ${goal.baseline}, ${goal.delta}; goal ${goal.goal})`);
  for (const table of result.tables.slice(2)) for (const row of table.rows) log(`added ${row.join(' | ')}`);
}
