import { buildAudio } from '../lib/audio.js';
import { BenchChild } from '../lib/child.js';
import { SpeechPaths, type PathName } from '../lib/paths.js';
import { ms, signedMs, type GoalRow, type SuiteContext, type SuiteResult } from '../lib/result.js';
import { startStack } from '../lib/stack.js';
import { summarize, type Summary } from '../lib/stats.js';
import { FAKE } from './ttfb.js';

/**
 * (2) Cached repeat: one phrase is spoken once (the cache fills), then repeated along each path,
 * round by round in a rotating order together with a bare `node:http` server that answers the
 * same audio from memory — the floor of any cached answer. The fake's TTS request log before
 * and after the repeats must not move.
 */

const PHRASE = 'Build finished: all tests passed.';
/** Cached once without word timings, then asked for on the live path (word timings on): see `timingsRefill`. */
const PLAIN_PHRASE = 'Deploy finished: all checks are green.';

type CachedPath = 'stream' | 'ws' | 'mcpRaw' | 'mcpModernRaw' | 'mcp' | 'mcpModern';
const VIA: CachedPath[] = ['stream', 'ws', 'mcpRaw', 'mcpModernRaw', 'mcp', 'mcpModern'];
/** As in benchmark 1: the goal is on the rows timed with the same HttpClient as the baseline. */
const GOAL_PATHS = new Set<CachedPath>(['stream', 'ws', 'mcpRaw', 'mcpModernRaw']);
const LABELS: Record<CachedPath, string> = {
  stream: 'POST /tts/stream, cached',
  ws: 'POST /speak → WebSocket listener, cached',
  mcpRaw: 'MCP speak_text (2025-11-25, raw JSON-RPC) → listener, cached',
  mcpModernRaw: 'MCP speak_text (2026-07-28, raw JSON-RPC) → listener, cached',
  mcp: 'MCP speak_text (2025-11-25, SDK client) → listener, cached',
  mcpModern: 'MCP speak_text (2026-07-28, SDK client) → listener, cached',
};
const ORDER: PathName[] = ['memory', ...VIA];
/** Allowed above the bare in-memory server's median. */
const GOAL_MARGIN = 0.5;

/** Response headers the bare server must not copy: per connection or per response, Node.js writes its own. */
const OWN_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

interface TtsLogEntry {
  path: string;
  text: unknown;
  at: number;
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  // Whole rotations, so every path runs equally often in every position of a round.
  const rounds = (ctx.quick ? 6 : 30) * ORDER.length;
  const warmRounds = ctx.quick ? 5 : 20;
  const audio = buildAudio(FAKE.audio!);
  const expectBytes = audio.length;
  const stack = await startStack(FAKE);
  const memory = await BenchChild.start<{ url: string }>('memory', {});
  const paths = new SpeechPaths(stack, { memoryUrl: (await memory.ready).url });
  const ttsLog = (from: number) => stack.fake.call<TtsLogEntry[]>('ttsLog', { from });
  try {
    await paths.open();
    // Warm the process (JIT, connections, catalogue) with other phrases along every path.
    for (let i = 0; i < (ctx.quick ? 3 : 10); i += 1) for (const path of VIA) await paths.run(path, `Warm-up ${i} along ${path}.`, expectBytes);
    const direct: number[] = [];
    for (let i = 0; i < (ctx.quick ? 10 : 30); i += 1) direct.push(await paths.run('direct', `Direct ${i}: ${PHRASE}`, expectBytes));

    // Fill through the live path: it caches the audio with its word timings (the default
    // `word_timings: true`), which serves every path. Audio cached by POST /tts/stream has no
    // timings and would be made once more by the first live repeat (measured below).
    const fillFrom = await stack.ttsRequests();
    const first = await paths.run('ws', PHRASE, expectBytes);
    const fill = await ttsLog(fillFrom);

    // From here on, nothing may reach the upstream. The first repeat also tells the bare server
    // what to answer: Jessica's bytes and headers, cut where the fake cut them.
    const before = await stack.ttsRequests();
    const answer = await paths.streamAnswer(PHRASE);
    if (!answer.body.equals(audio)) throw new Error(`cached answer: ${answer.body.length} bytes, not the ${expectBytes} the fake sent`);
    const headers = Object.fromEntries(
      Object.entries(answer.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && !OWN_HEADERS.has(entry[0])),
    );
    await memory.call('load', { audio: answer.body.toString('base64'), pieceSize: FAKE.chunkSize, headers });

    const samples = Object.fromEntries(ORDER.map((path) => [path, [] as number[]])) as Record<PathName, number[]>;
    for (let round = -warmRounds; round < rounds; round += 1) {
      const rotated = ORDER.map((_, index) => ORDER[(index + Math.max(0, round)) % ORDER.length]!);
      for (const path of rotated) {
        const ttfb = await paths.run(path, PHRASE, expectBytes);
        if (round >= 0) samples[path].push(ttfb);
      }
    }
    const repeats = 1 + (warmRounds + rounds) * VIA.length;
    const upstream = await ttsLog(before);

    // For the record, not a goal: a phrase first cached without word timings, then spoken live.
    const plainFrom = await stack.ttsRequests();
    await paths.run('stream', PLAIN_PHRASE, expectBytes);
    const afterPlain = await stack.ttsRequests();
    await paths.run('ws', PLAIN_PHRASE, expectBytes);
    const timingsRefill = { streamCalls: afterPlain - plainFrom, liveCalls: await ttsLog(afterPlain) };

    const bare = summarize(samples.memory);
    const uncached = summarize(direct);
    const cached = Object.fromEntries(VIA.map((path) => [path, summarize(samples[path])])) as Record<CachedPath, Summary>;
    const pairedWith = (path: PathName, base: PathName) => summarize(samples[path].map((value, index) => value - (samples[base][index] ?? Number.NaN)));
    const paired = Object.fromEntries(VIA.map((path) => [path, pairedWith(path, 'memory')])) as Record<CachedPath, Summary>;
    const sdkCost = { mcp: pairedWith('mcp', 'mcpRaw'), mcpModern: pairedWith('mcpModern', 'mcpModernRaw') };

    const goals: GoalRow[] = [
      ...VIA.map((path) => {
        const withGoal = GOAL_PATHS.has(path);
        const added = cached[path].p50 - bare.p50;
        return {
          measure: `${LABELS[path]}, median`,
          baseline: ms(bare.p50),
          jessica: ms(cached[path].p50),
          delta: signedMs(added),
          goal: withGoal ? `≤ bare in-memory server + ${GOAL_MARGIN} ms` : 'for information (SDK client)',
          met: withGoal ? added <= GOAL_MARGIN : null,
        };
      }),
      {
        measure: `upstream TTS calls during ${repeats} cached repeats (${warmRounds * VIA.length + 1} of them unmeasured warm-up)`,
        baseline: '–',
        jessica: String(upstream.length),
        delta: '–',
        goal: '0',
        met: upstream.length === 0,
      },
    ];
    const row = (name: string, s: Summary) => [name, s.n, ms(s.min), ms(s.p50), ms(s.p90), ms(s.p95), ms(s.p99), ms(s.max)];
    const distribution = ['Path', 'n', 'min', 'median', 'p90', 'p95', 'p99', 'max'];
    const notes: string[] = [];
    if (fill.length !== 1) notes.push(`filling the cache made ${fill.length} upstream TTS calls, not 1: ${describe(fill)}`);
    if (upstream.length > 0) notes.push(`upstream TTS calls during the repeats: ${describe(upstream)}`);
    notes.push(
      `a phrase cached by POST /tts/stream (${timingsRefill.streamCalls} upstream call) and then spoken with POST /speak made ` +
        `${timingsRefill.liveCalls.length} more${timingsRefill.liveCalls.length > 0 ? ` (${describe(timingsRefill.liveCalls)})` : ''}: ` +
        'audio cached without word timings is made again, with them, for a path that asks for them (core/speech.ts `chunks`); ' +
        'this is why the cache is filled through the live path here.',
    );
    return {
      name: 'cached',
      title: '2. Cached repeat',
      setup:
        `Same stack as benchmark 1 (fake: ${FAKE.ttfbMs} ms to first byte, ${FAKE.chunkSize}-byte chunks ${FAKE.chunkDelayMs} ms apart; bearer tokens on). ` +
        `"${PHRASE}" is spoken once through POST /speak → listener (${ms(first)} to first audio; it caches the audio with its word timings), ` +
        `then repeated along every path in ${rounds} measured rounds after ${warmRounds} warm-up rounds, in a rotating order. Baseline, in the same ` +
        'rounds: a bare `node:http` server (bench/children/memory.ts) asked like POST /tts/stream (same token, same JSON body, read whole) and ' +
        `answering from memory with the same ${expectBytes} bytes, the same headers and the same framing as Jessica's cached answer (chunked, ` +
        `${FAKE.chunkSize}-byte HTTP chunks as the fake sent them): the floor of any cached answer. The goal is on POST /tts/stream, ` +
        '/speak → listener and MCP as raw JSON-RPC (the same HttpClient as the baseline); the SDK client rows are for information, as in ' +
        'benchmark 1. Upstream calls are read from the fake\'s request log.',
      goals,
      tables: [
        {
          title: 'Time to first audio byte of the repeated phrase',
          columns: distribution,
          rows: [
            row('bare node:http server answering from memory (baseline)', bare),
            ...VIA.map((path) => row(LABELS[path], cached[path])),
            row('for comparison: uncached, direct to the fake', uncached),
          ],
        },
        {
          title: 'Paired differences (same round): Jessica − bare in-memory server',
          columns: distribution,
          rows: VIA.map((path) => row(`${LABELS[path]} − bare`, paired[path])),
        },
        {
          title: "The MCP SDK client's own cost (paired, same round: SDK client − raw JSON-RPC)",
          columns: distribution,
          rows: [row('2025-11-25: SDK − raw', sdkCost.mcp), row('2026-07-28: SDK − raw', sdkCost.mcpModern)],
        },
      ],
      notes,
      data: { fake: FAKE, phrase: PHRASE, rounds, warmRounds, repeats, firstMs: first, fill, bare, uncached, cached, paired, sdkCost, upstream, timingsRefill, samples },
    };
  } finally {
    await paths.close();
    await Promise.all([stack.stop(), memory.stop()]);
  }
}

function describe(entries: readonly TtsLogEntry[]): string {
  return entries.map((entry) => `${entry.path.replace(/^\/v1\/text-to-speech\/[^/]+/, '…')} for ${JSON.stringify(entry.text)}`).join('; ');
}
