import { join } from 'node:path';
import { buildAudio } from '../lib/audio.js';
import { SpeechPaths, type PathName } from '../lib/paths.js';
import { ms, signedMs, type GoalRow, type SuiteContext, type SuiteResult } from '../lib/result.js';
import { BenchChild } from '../lib/child.js';
import { startStack, type FakeOptions } from '../lib/stack.js';
import { summarize, type Summary } from '../lib/stats.js';

/**
 * (1) Added time to first audio. Every round times one fresh utterance along each path — the
 * fake directly, `POST /tts/stream`, `POST /speak` → WebSocket listener, MCP `speak_text` →
 * listener — in a rotating order, so drift on a noisy machine hits all four alike.
 */

export const FAKE: FakeOptions = { ttfbMs: 30, chunkDelayMs: 10, chunkSize: 4096, audio: { fixture: 'short' } };
type ViaPath = 'stream' | 'ws' | 'mcp' | 'mcpModern';
const VIA: ViaPath[] = ['stream', 'ws', 'mcp', 'mcpModern'];
const LABELS: Record<ViaPath, string> = {
  stream: 'POST /tts/stream (HTTP client)',
  ws: 'POST /speak → WebSocket listener',
  mcp: 'MCP speak_text (2025-11-25) → WebSocket listener',
  mcpModern: 'MCP speak_text (2026-07-28) → WebSocket listener',
};
const GOAL_P50 = 3;
const GOAL_P95 = 10;

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const rounds = ctx.quick ? 40 : 220;
  const warmup = ctx.quick ? 5 : 20;
  const expectBytes = buildAudio(FAKE.audio!).length;
  const stack = await startStack(FAKE);
  const proxy = await BenchChild.start<{ url: string }>('proxy', { upstream: stack.fakeUrl });
  const paths = new SpeechPaths(stack, (await proxy.ready).url);
  const samples: Record<PathName, number[]> = { direct: [], proxy: [], stream: [], ws: [], mcp: [], mcpModern: [] };
  try {
    await paths.open();
    const order: PathName[] = ['direct', 'proxy', 'stream', 'ws', 'mcp', 'mcpModern'];
    for (let round = -warmup; round < rounds; round += 1) {
      if (round === 0 && ctx.profile) await stack.jessica.call('profileStart');
      const rotated = order.map((_, index) => order[(index + Math.max(0, round)) % order.length]!);
      for (const path of rotated) {
        const text = `Utterance ${round + warmup} along ${path}: the quick brown fox jumps over the lazy dog.`;
        const ttfb = await paths.run(path, text, expectBytes);
        if (round >= 0) samples[path].push(ttfb);
      }
      if (round > 0 && round % 50 === 0) ctx.log(`ttfb: ${round}/${rounds} rounds`);
    }
    let profile: unknown;
    if (ctx.profile) profile = await stack.jessica.call('profileStop', join(ctx.resultsDir, 'ttfb.profile.json'));

    const direct = summarize(samples.direct);
    const bare = summarize(samples.proxy);
    const via = Object.fromEntries(VIA.map((path) => [path, summarize(samples[path])])) as Record<ViaPath, Summary>;
    const paired = Object.fromEntries(
      VIA.map((path) => [path, summarize(samples[path].map((value, index) => value - (samples.direct[index] ?? Number.NaN)))]),
    ) as Record<ViaPath, Summary>;

    const goals: GoalRow[] = VIA.flatMap((path) => {
      const addedP50 = via[path].p50 - direct.p50;
      const addedP95 = via[path].p95 - direct.p95;
      return [
        {
          measure: `${LABELS[path]}, median`,
          baseline: ms(direct.p50),
          jessica: ms(via[path].p50),
          delta: signedMs(addedP50),
          goal: `added ≤ ${GOAL_P50} ms`,
          met: addedP50 <= GOAL_P50,
        },
        {
          measure: `${LABELS[path]}, p95`,
          baseline: ms(direct.p95),
          jessica: ms(via[path].p95),
          delta: signedMs(addedP95),
          goal: `added ≤ ${GOAL_P95} ms`,
          met: addedP95 <= GOAL_P95,
        },
      ];
    });

    const row = (name: string, s: Summary) => [name, s.n, ms(s.min), ms(s.p50), ms(s.p90), ms(s.p95), ms(s.p99), ms(s.max)];
    return {
      name: 'ttfb',
      title: '1. Added time to first audio',
      setup:
        `Fake ElevenLabs in its own process: time to first byte ${FAKE.ttfbMs} ms, ${FAKE.chunkSize}-byte chunks ${FAKE.chunkDelayMs} ms apart ` +
        `(short.mp3, ${expectBytes} bytes). Jessica (live server, tokens on, ROOT_PATH=/jessica) in another process. ${rounds} rounds after ${warmup} ` +
        'warm-up rounds; each round sends one new text along every path in a rotating order and waits for its last byte. ' +
        'Direct = the same HTTP client POSTing the upstream request to the fake; bare proxy = the same request through a minimal ' +
        '`node:http` pass-through (bench/children/proxy.ts), the cost of one more hop on this machine. Added = Jessica − direct at the same percentile.',
      goals,
      tables: [
        {
          title: 'Time to first audio byte',
          columns: ['Path', 'n', 'min', 'median', 'p90', 'p95', 'p99', 'max'],
          rows: [
            row('direct to the fake (baseline)', direct),
            row('through a bare node:http proxy (one more hop, nothing else)', bare),
            ...VIA.map((path) => row(LABELS[path], via[path])),
          ],
        },
        {
          title: 'Added time: over direct, and over the bare proxy hop',
          columns: ['Path', 'added median', 'added p95', 'over bare proxy, median', 'over bare proxy, p95'],
          rows: [
            ['bare node:http proxy', signedMs(bare.p50 - direct.p50), signedMs(bare.p95 - direct.p95), '–', '–'],
            ...VIA.map((path) => [
              LABELS[path],
              signedMs(via[path].p50 - direct.p50),
              signedMs(via[path].p95 - direct.p95),
              signedMs(via[path].p50 - bare.p50),
              signedMs(via[path].p95 - bare.p95),
            ]),
          ],
        },
        {
          title: 'Paired differences (Jessica − direct, same round)',
          columns: ['Path', 'n', 'min', 'median', 'p90', 'p95', 'p99', 'max'],
          rows: VIA.map((path) => row(LABELS[path], paired[path])),
        },
      ],
      notes: [],
      data: { fake: FAKE, rounds, warmup, direct, bareProxy: bare, via, paired, samples, ...(profile ? { profile } : {}) },
    };
  } finally {
    await paths.close();
    await Promise.all([stack.stop(), proxy.stop()]);
  }
}
