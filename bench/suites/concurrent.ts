import { buildAudio, sha256 } from '../lib/audio.js';
import { cpuMsOf, sampleRss } from '../lib/child.js';
import { HttpClient } from '../lib/clients.js';
import { int, mib, ms, type GoalRow, type SuiteContext, type SuiteResult } from '../lib/result.js';
import { startStack, TOKEN, type FakeOptions } from '../lib/stack.js';
import { median, summarize, type Summary } from '../lib/stats.js';

/**
 * (5) 50 concurrent `POST /tts/stream` requests of a long utterance. The upstream answers
 * faster than the clients read, so a server that buffered whole responses (or ignored
 * backpressure) would grow by about 50 × the utterance; one that streams grows by its socket
 * and stream buffers only. Peak RSS depends on when the garbage collector runs, so each round
 * gets a fresh server and the median round counts.
 */

const CONCURRENT = 50;
/**
 * ~2 min of 128 kbit/s audio, just under the size Jessica still caches (2 MiB): a server that
 * held every response whole, for streaming or for its cache, would grow by ~100 MB.
 */
const AUDIO_BYTES = 2_000_000;
const GOAL_GROWTH = 50 * 1024 * 1024;
/** Each client reads at 1 MB/s (8× real time), about half what the upstream sends. */
const READ_BYTES_PER_SECOND = 1_000_000;
const FAKE: FakeOptions = { ttfbMs: 30, chunkDelayMs: 8, chunkSize: 16_384, audio: { bytes: AUDIO_BYTES } };
const CACHE_BYTES = 32 * 1024 * 1024;

interface Round {
  correct: number;
  baseline: number;
  peak: number;
  after: number;
  growth: number;
  maxConcurrentTts: number;
  ttfb: Summary;
  total: Summary;
  wallMs: number;
  cpuMs: number;
}

async function round(concurrent: number, expected: string): Promise<Round> {
  // Every request may go upstream at once (the default allows 4 per key; the rest would wait in line).
  const stack = await startStack(FAKE, { JESSICA_UPSTREAM_CONCURRENCY: String(concurrent) });
  const http = new HttpClient();
  const tts = (text: string, readBytesPerSecond?: number) =>
    http.send(`${stack.base}/api/v1/tts/stream`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ text }),
      ...(readBytesPerSecond ? { readBytesPerSecond } : {}),
    });
  try {
    // Warm-up that also fills the utterance cache to its capacity with other texts (three at a
    // time, so each is collected whole), so that what grows below is streaming state and not a
    // cache that was still empty.
    const fill = Math.ceil(CACHE_BYTES / AUDIO_BYTES) + 2;
    for (let next = 0; next < fill; next += 3) {
      await Promise.all(Array.from({ length: Math.min(3, fill - next) }, (_, i) => tts(`Warm-up reading number ${next + i}.`)));
    }
    await stack.fake.call('forget');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      before.push(stack.jessica.rss());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const baseline = median(before);

    const sampler = sampleRss(stack.jessica.pid, 20);
    const cpuBefore = cpuMsOf(stack.jessica.pid);
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: concurrent }, (_, i) => tts(`Concurrent reading number ${i}, long enough to matter.`, READ_BYTES_PER_SECOND)));
    const wallMs = performance.now() - started;
    const cpuMs = cpuMsOf(stack.jessica.pid) - cpuBefore;
    const { peak } = sampler.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = stack.jessica.rss();
    const { maxConcurrentTts } = await stack.fake.call<{ maxConcurrentTts: number }>('stats');
    return {
      correct: results.filter((result) => result.status === 200 && result.bytes === AUDIO_BYTES && result.sha256 === expected).length,
      baseline,
      peak,
      after,
      growth: peak - baseline,
      maxConcurrentTts,
      ttfb: summarize(results.map((result) => result.ttfbMs)),
      total: summarize(results.map((result) => result.totalMs)),
      wallMs,
      cpuMs,
    };
  } finally {
    http.close();
    await stack.stop();
  }
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const concurrent = ctx.quick ? 20 : CONCURRENT;
  const rounds = ctx.quick ? 1 : 3;
  const expected = sha256(buildAudio(FAKE.audio!));
  const results: Round[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const result = await round(concurrent, expected);
    results.push(result);
    ctx.log(`concurrent: round ${i + 1}: ${result.correct}/${concurrent} correct, RSS +${mib(result.growth)}`);
  }
  const growth = median(results.map((result) => result.growth));
  const correct = Math.min(...results.map((result) => result.correct));
  const middle = [...results].sort((a, b) => a.growth - b.growth)[Math.floor(results.length / 2)]!;
  const wholeBuffering = concurrent * AUDIO_BYTES;
  const goals: GoalRow[] = [
    {
      measure: `responses with the right bytes (sha-256), of ${concurrent} (worst round)`,
      baseline: int(concurrent),
      jessica: int(correct),
      delta: '–',
      goal: 'all',
      met: correct === concurrent,
    },
    {
      measure: `server RSS growth, peak − before (median of ${rounds} rounds)`,
      baseline: `${mib(wholeBuffering)} if held whole`,
      jessica: mib(growth),
      delta: `${((growth / wholeBuffering) * 100).toFixed(0)} % of holding every response whole`,
      goal: `≤ ${mib(GOAL_GROWTH)}`,
      met: growth <= GOAL_GROWTH,
    },
  ];
  return {
    name: 'concurrent',
    title: '5. Concurrent streams',
    setup:
      `${concurrent} concurrent POST /tts/stream, each a different text answered with ${int(AUDIO_BYTES)} bytes (~${Math.round(AUDIO_BYTES / 16_000)} s ` +
      `of 128 kbit/s audio); the fake sends ${FAKE.chunkSize}-byte chunks every ${FAKE.chunkDelayMs} ms (~2 MB/s per stream) and each client reads at ` +
      `${READ_BYTES_PER_SECOND / 1e6} MB/s, so Jessica has to hold the upstream back. JESSICA_UPSTREAM_CONCURRENCY=${concurrent} lets all of them go upstream at once. ` +
      `Each of ${rounds} rounds starts a fresh server and first fills its utterance cache to capacity (32 MiB) with other readings; ` +
      'RSS (VmRSS) is sampled every 20 ms. There is deliberately no warm-up batch of the same load: the allocator keeps what a first ' +
      'batch took, so a second batch would show no growth even for a server that held every response whole.',
    goals,
    tables: [
      {
        title: 'Rounds',
        columns: ['Round', 'correct', 'RSS before', 'RSS peak', 'growth', 'RSS 1 s after', 'upstream in flight', 'first byte p50 / p95', 'last byte p50 / max', 'server CPU'],
        rows: results.map((result, index) => [
          index + 1,
          result.correct,
          mib(result.baseline),
          mib(result.peak),
          mib(result.growth),
          mib(result.after),
          result.maxConcurrentTts,
          `${ms(result.ttfb.p50, 0)} / ${ms(result.ttfb.p95, 0)}`,
          `${ms(result.total.p50, 0)} / ${ms(result.total.max, 0)}`,
          `${int(result.cpuMs)} ms`,
        ]),
      },
    ],
    notes: [],
    data: { concurrent, audioBytes: AUDIO_BYTES, fake: FAKE, readBytesPerSecond: READ_BYTES_PER_SECOND, rounds: results, growth, median: middle },
  };
}
