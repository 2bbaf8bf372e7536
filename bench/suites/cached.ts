import { buildAudio } from '../lib/audio.js';
import { SpeechPaths, type PathName } from '../lib/paths.js';
import { ms, signedMs, type GoalRow, type SuiteContext, type SuiteResult } from '../lib/result.js';
import { startStack } from '../lib/stack.js';
import { summarize, type Summary } from '../lib/stats.js';
import { FAKE } from './ttfb.js';

/**
 * (2) Cached repeat: one phrase is spoken once (the cache fills), then repeated along each path.
 * The fake's TTS request count before and after the repeats must not move.
 */

const PHRASE = 'Build finished: all tests passed.';
const VIA = ['stream', 'ws', 'mcp'] as const;
const LABELS: Record<(typeof VIA)[number], string> = {
  stream: 'POST /tts/stream, cached',
  ws: 'POST /speak → WebSocket listener, cached',
  mcp: 'MCP speak_text → WebSocket listener, cached',
};
const GOAL_MEDIAN = 2;

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const repeats = ctx.quick ? 40 : 200;
  const expectBytes = buildAudio(FAKE.audio!).length;
  const stack = await startStack(FAKE);
  const paths = new SpeechPaths(stack);
  try {
    await paths.open();
    // Warm the process (JIT, connections, catalogue) with other phrases, then fill the cache once.
    for (let i = 0; i < 10; i += 1) for (const path of VIA) await paths.run(path, `Warm-up ${i} along ${path}.`, expectBytes);
    const first = await paths.run('stream', PHRASE, expectBytes);
    const direct: number[] = [];
    for (let i = 0; i < 30; i += 1) direct.push(await paths.run('direct', `Direct ${i}: ${PHRASE}`, expectBytes));

    const before = await stack.ttsRequests();
    const samples: Record<(typeof VIA)[number], number[]> = { stream: [], ws: [], mcp: [] };
    for (let i = 0; i < repeats; i += 1) {
      for (const path of VIA) samples[path].push(await paths.run(path as PathName, PHRASE, expectBytes));
    }
    const upstreamCalls = (await stack.ttsRequests()) - before;

    const upstream = summarize(direct);
    const cached = Object.fromEntries(VIA.map((path) => [path, summarize(samples[path])])) as Record<(typeof VIA)[number], Summary>;
    const goals: GoalRow[] = [
      ...VIA.map((path) => ({
        measure: `${LABELS[path]}, median`,
        baseline: ms(upstream.p50),
        jessica: ms(cached[path].p50),
        delta: signedMs(cached[path].p50 - upstream.p50),
        goal: `≤ ${GOAL_MEDIAN} ms`,
        met: cached[path].p50 <= GOAL_MEDIAN,
      })),
      {
        measure: `upstream TTS calls during ${repeats * VIA.length} cached repeats`,
        baseline: '–',
        jessica: String(upstreamCalls),
        delta: '–',
        goal: '0',
        met: upstreamCalls === 0,
      },
    ];
    const row = (name: string, s: Summary) => [name, s.n, ms(s.min), ms(s.p50), ms(s.p90), ms(s.p95), ms(s.p99), ms(s.max)];
    return {
      name: 'cached',
      title: '2. Cached repeat',
      setup:
        `Same stack as benchmark 1 (fake: ${FAKE.ttfbMs} ms to first byte). "${PHRASE}" is spoken once through POST /tts/stream ` +
        `(${ms(first)} to first audio), then repeated ${repeats} times along each path. Baseline: a fresh (uncached) request ` +
        'directly to the fake, i.e. what the first audio would cost without the cache.',
      goals,
      tables: [
        {
          title: 'Time to first audio byte of the repeated phrase',
          columns: ['Path', 'n', 'min', 'median', 'p90', 'p95', 'p99', 'max'],
          rows: [row('uncached, direct to the fake (baseline)', upstream), ...VIA.map((path) => row(LABELS[path], cached[path]))],
        },
      ],
      notes: [],
      data: { fake: FAKE, phrase: PHRASE, repeats, firstMs: first, upstream, cached, upstreamCalls, samples },
    };
  } finally {
    await paths.close();
    await stack.stop();
  }
}
