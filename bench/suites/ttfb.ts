import { join } from 'node:path';
import { buildAudio } from '../lib/audio.js';
import { BenchChild } from '../lib/child.js';
import { SpeechPaths, type PathName } from '../lib/paths.js';
import { ms, signedMs, type GoalRow, type SuiteContext, type SuiteResult, type Table } from '../lib/result.js';
import type { ProfileSummary } from '../children/jessica.js';
import { startStack, type FakeOptions } from '../lib/stack.js';
import { summarize, type Summary } from '../lib/stats.js';

/**
 * (1) Added time to first audio. Every round times one fresh utterance along each path — the
 * fake directly, the fake through a bare `node:http` proxy, `POST /tts/stream`, `POST /speak` →
 * WebSocket listener, MCP `speak_text` → listener in both protocol eras, each from the SDK client
 * and as raw JSON-RPC — in a rotating order, so drift on a noisy machine hits all of them alike.
 * The goal is what Jessica adds over the bare proxy: both are one hop between the client and the
 * fake, so the difference is Jessica's own work.
 */

/** The upstream shape the first-audio goals are stated for; cached.ts and words.ts use it too. */
export const FAKE: FakeOptions = { ttfbMs: 100, chunkDelayMs: 10, chunkSize: 4096, audio: { fixture: 'short' } };

type ViaPath = 'stream' | 'ws' | 'mcpRaw' | 'mcpModernRaw' | 'mcp' | 'mcpModern';
const VIA: ViaPath[] = ['stream', 'ws', 'mcpRaw', 'mcpModernRaw', 'mcp', 'mcpModern'];
/** The rows with a goal: one client (HttpClient) for all of them and for both baselines. */
const GOAL_PATHS = new Set<ViaPath>(['stream', 'ws', 'mcpRaw', 'mcpModernRaw']);
const LABELS: Record<ViaPath, string> = {
  stream: 'POST /tts/stream (HTTP client)',
  ws: 'POST /speak → WebSocket listener',
  mcpRaw: 'MCP speak_text (2025-11-25, raw JSON-RPC) → WebSocket listener',
  mcpModernRaw: 'MCP speak_text (2026-07-28, raw JSON-RPC) → WebSocket listener',
  mcp: 'MCP speak_text (2025-11-25, SDK client) → WebSocket listener',
  mcpModern: 'MCP speak_text (2026-07-28, SDK client) → WebSocket listener',
};
const ORDER: PathName[] = ['direct', 'proxy', ...VIA];
const GOAL_P50 = 1;
const GOAL_P95 = 5;

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  // Whole rotations, so every path runs equally often in every position of a round.
  const rounds = (ctx.quick ? 5 : 30) * ORDER.length;
  const warmup = ctx.quick ? 5 : 20;
  const expectBytes = buildAudio(FAKE.audio!).length;
  const stack = await startStack(FAKE);
  const proxy = await BenchChild.start<{ url: string }>('proxy', { upstream: stack.fakeUrl });
  const paths = new SpeechPaths(stack, { proxyUrl: (await proxy.ready).url });
  const samples = Object.fromEntries(ORDER.map((path) => [path, [] as number[]])) as Record<PathName, number[]>;
  try {
    await paths.open();
    for (let round = -warmup; round < rounds; round += 1) {
      if (round === 0 && ctx.profile) await stack.jessica.call('profileStart');
      const rotated = ORDER.map((_, index) => ORDER[(index + Math.max(0, round)) % ORDER.length]!);
      for (const path of rotated) {
        const text = `Utterance ${round + warmup} along ${path}: the quick brown fox jumps over the lazy dog.`;
        const ttfb = await paths.run(path, text, expectBytes);
        if (round >= 0) samples[path].push(ttfb);
      }
      if (round > 0 && round % 50 === 0) ctx.log(`ttfb: ${round}/${rounds} rounds`);
    }
    let profile: ProfileSummary | undefined;
    if (ctx.profile) profile = await stack.jessica.call('profileStop', join(ctx.resultsDir, 'ttfb.profile.json'));

    const direct = summarize(samples.direct);
    const bare = summarize(samples.proxy);
    const via = Object.fromEntries(VIA.map((path) => [path, summarize(samples[path])])) as Record<ViaPath, Summary>;
    const pairedWith = (path: PathName, base: PathName) => summarize(samples[path].map((value, index) => value - (samples[base][index] ?? Number.NaN)));
    const paired = Object.fromEntries(VIA.map((path) => [path, pairedWith(path, 'proxy')])) as Record<ViaPath, Summary>;
    const hop = pairedWith('proxy', 'direct');
    const sdkCost = { mcp: pairedWith('mcp', 'mcpRaw'), mcpModern: pairedWith('mcpModern', 'mcpModernRaw') };

    const goals: GoalRow[] = VIA.flatMap((path) => {
      const withGoal = GOAL_PATHS.has(path);
      const addedP50 = via[path].p50 - bare.p50;
      const addedP95 = via[path].p95 - bare.p95;
      return [
        {
          measure: `${LABELS[path]}, median`,
          baseline: ms(bare.p50),
          jessica: ms(via[path].p50),
          delta: signedMs(addedP50),
          goal: withGoal ? `added over bare proxy ≤ ${GOAL_P50} ms` : 'for information (SDK client)',
          met: withGoal ? addedP50 <= GOAL_P50 : null,
        },
        {
          measure: `${LABELS[path]}, p95`,
          baseline: ms(bare.p95),
          jessica: ms(via[path].p95),
          delta: signedMs(addedP95),
          goal: withGoal ? `added over bare proxy ≤ ${GOAL_P95} ms` : 'for information (SDK client)',
          met: withGoal ? addedP95 <= GOAL_P95 : null,
        },
      ];
    });

    const row = (name: string, s: Summary) => [name, s.n, ms(s.min), ms(s.p50), ms(s.p90), ms(s.p95), ms(s.p99), ms(s.max)];
    const distribution = ['Path', 'n', 'min', 'median', 'p90', 'p95', 'p99', 'max'];
    const tables: Table[] = [
      {
        title: 'Time to first audio byte',
        columns: distribution,
        rows: [
          row('direct to the fake', direct),
          row('through a bare node:http proxy (baseline: one more hop, nothing else)', bare),
          ...VIA.map((path) => row(LABELS[path], via[path])),
        ],
      },
      {
        title: 'Added time at the same percentile: over the bare proxy (the goal), and over direct',
        columns: ['Path', 'over bare proxy, median', 'over bare proxy, p95', 'over direct, median', 'over direct, p95'],
        rows: [
          ['bare node:http proxy', '–', '–', signedMs(bare.p50 - direct.p50), signedMs(bare.p95 - direct.p95)],
          ...VIA.map((path) => [
            LABELS[path],
            signedMs(via[path].p50 - bare.p50),
            signedMs(via[path].p95 - bare.p95),
            signedMs(via[path].p50 - direct.p50),
            signedMs(via[path].p95 - direct.p95),
          ]),
        ],
      },
      {
        title: 'Paired differences (same round): Jessica − bare proxy, and the proxy hop itself (bare proxy − direct)',
        columns: distribution,
        rows: [row('bare proxy − direct', hop), ...VIA.map((path) => row(`${LABELS[path]} − bare proxy`, paired[path]))],
      },
      {
        title: "The MCP SDK client's own cost (paired, same round: SDK client − raw JSON-RPC)",
        columns: distribution,
        rows: [row('2025-11-25: SDK − raw', sdkCost.mcp), row('2026-07-28: SDK − raw', sdkCost.mcpModern)],
      },
    ];
    const notes: string[] = [];
    if (profile) {
      const utterances = rounds * VIA.length;
      notes.push(
        `profile (--profile, bench/results/ttfb.profile.json): the server process was busy ${profile.busyMs} ms of ${profile.wallMs} ms, ` +
          `${ms(profile.busyMs / utterances)} of CPU per utterance (${utterances} utterances; the direct and proxy requests do not reach it).`,
      );
      tables.push(
        {
          title: 'Where the server spent its CPU during the measured rounds, by origin (self time; source files through the bundle\'s source map)',
          columns: ['Origin', 'self', 'share of busy time'],
          rows: profile.byOrigin.map((entry) => [entry.origin, ms(entry.selfMs, 1), `${entry.busyPct} %`]),
        },
        {
          title: 'The functions with the most self time',
          columns: ['Function', 'self', 'share of busy time'],
          rows: profile.top.map((entry) => [entry.fn, ms(entry.selfMs, 1), `${entry.busyPct} %`]),
        },
      );
    }

    return {
      name: 'ttfb',
      title: '1. Added time to first audio',
      setup:
        `Fake ElevenLabs in its own process: first byte after ${FAKE.ttfbMs} ms, then ${FAKE.chunkSize}-byte chunks ` +
        `${FAKE.chunkDelayMs} ms apart (short.mp3, ${expectBytes} bytes). Jessica (live server, bundled, ROOT_PATH=/jessica) in another process with ` +
        'bearer tokens on: every request to it, and the WebSocket listener, carries `Authorization: Bearer …`. The live paths (/speak and MCP ' +
        '→ listener) run with the default `word_timings: true`, so Jessica reads the with-timestamps stream (base64 JSON lines) and sends the ' +
        'words with the audio; POST /tts/stream reads the plain audio stream, as the baselines do (benchmark 1b shows what the timings cost). ' +
        `${rounds} rounds after ${warmup} warm-up rounds; each round sends one new text along every path in a rotating order and waits for its last byte. ` +
        'Baselines, measured in the same rounds: direct = the measuring HttpClient POSTing the upstream request to the fake; bare proxy = the same ' +
        'request through a minimal `node:http` pass-through (bench/children/proxy.ts: body read whole, one keep-alive upstream request, chunks piped ' +
        'back), i.e. the floor of one hop on this machine. The goal is Jessica − bare proxy at the same percentile. It is set on the rows whose client ' +
        'is the same HttpClient as the baselines: REST, `/speak` → listener, and MCP as raw JSON-RPC POSTs (bench/lib/mcp-raw.ts: the headers and ' +
        "`_meta` the SDK client sends; 2025-11-25 after an initialize handshake, 2026-07-28 stateless with mcp-method and mcp-name). The SDK client's " +
        'rows (`@modelcontextprotocol/client`, what assistants run) are shown for information: they also contain its own client-side work (zod ' +
        "parsing, JSON-RPC bookkeeping, fetch), which is the measuring process's cost, not Jessica's; the last table shows that cost alone.",
      goals,
      tables,
      notes,
      data: { fake: FAKE, rounds, warmup, direct, bareProxy: bare, via, paired, hop, sdkCost, samples, ...(profile ? { profile } : {}) },
    };
  } finally {
    await paths.close();
    await Promise.all([stack.stop(), proxy.stop()]);
  }
}
