import { buildAudio } from '../lib/audio.js';
import { HttpClient } from '../lib/clients.js';
import { SpeechPaths } from '../lib/paths.js';
import { ms, signedMs, type GoalRow, type SuiteContext, type SuiteResult } from '../lib/result.js';
import { startStack, TOKEN } from '../lib/stack.js';
import { summarize, type Summary } from '../lib/stats.js';
import { FAKE } from './ttfb.js';

/**
 * (1b) Word timings and the first audio. The same live path (`POST /speak` → WebSocket
 * listener) timed with the principal's `word_timings` on (the with-timestamps stream, its JSON
 * lines parsed as they arrive) and off (the plain audio stream), alternating round by round so
 * drift on a noisy machine hits both alike. Each round's text is new: nothing comes from the cache.
 */

const MODES = ['on', 'off'] as const;
type Mode = (typeof MODES)[number];
/** Noise allowance at the median: timings must not make the first audio later than this. */
const GOAL_MEDIAN = 1;
const GOAL_P95 = 3;

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const rounds = ctx.quick ? 40 : 200;
  const warmup = ctx.quick ? 5 : 20;
  const expectBytes = buildAudio(FAKE.audio!).length;
  const stack = await startStack(FAKE);
  const paths = new SpeechPaths(stack);
  const http = new HttpClient();
  const samples: Record<Mode, number[]> = { on: [], off: [] };
  const setTimings = async (on: boolean): Promise<void> => {
    const result = await http.send(`${stack.base}/api/v1/settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ word_timings: on }),
    });
    if (result.status !== 200) throw new Error(`settings: ${result.status}`);
  };
  try {
    await paths.open();
    for (let round = -warmup; round < rounds; round += 1) {
      const order = round % 2 === 0 ? MODES : ([...MODES].reverse() as Mode[]);
      for (const mode of order) {
        await setTimings(mode === 'on');
        const ttfb = await paths.ws(`Round ${round + warmup} with word timings ${mode}: the quick brown fox jumps over the lazy dog.`, expectBytes);
        if (round >= 0) samples[mode].push(ttfb);
      }
      if (round > 0 && round % 50 === 0) ctx.log(`words: ${round}/${rounds} rounds`);
    }
    await setTimings(true);

    const on = summarize(samples.on);
    const off = summarize(samples.off);
    const paired = summarize(samples.on.map((value, index) => value - (samples.off[index] ?? Number.NaN)));
    const goals: GoalRow[] = [
      {
        measure: 'POST /speak → WebSocket listener, first audio with word timings, median',
        baseline: ms(off.p50),
        jessica: ms(on.p50),
        delta: signedMs(on.p50 - off.p50),
        goal: `no later than without (≤ +${GOAL_MEDIAN} ms noise)`,
        met: on.p50 - off.p50 <= GOAL_MEDIAN,
      },
      {
        measure: 'POST /speak → WebSocket listener, first audio with word timings, p95',
        baseline: ms(off.p95),
        jessica: ms(on.p95),
        delta: signedMs(on.p95 - off.p95),
        goal: `≤ +${GOAL_P95} ms`,
        met: on.p95 - off.p95 <= GOAL_P95,
      },
    ];
    const row = (name: string, s: Summary) => [name, s.n, ms(s.min), ms(s.p50), ms(s.p90), ms(s.p95), ms(s.p99), ms(s.max)];
    return {
      name: 'words',
      title: '1b. First audio with word timings on and off',
      setup:
        `Fake ElevenLabs in its own process: time to first byte ${FAKE.ttfbMs} ms, ${FAKE.chunkSize}-byte audio chunks ${FAKE.chunkDelayMs} ms apart ` +
        `(short.mp3, ${expectBytes} bytes); on /stream/with-timestamps each chunk is one base64 JSON line, every write ending inside the next line. ` +
        `Jessica (live server) in another process. ${rounds} rounds after ${warmup} warm-up rounds; each round speaks one new text with ` +
        '`word_timings` on and one with it off (PATCH /settings between), in alternating order, timed from the POST to the first binary frame.',
      goals,
      tables: [
        {
          title: 'Time to first audio byte at the listener',
          columns: ['word_timings', 'n', 'min', 'median', 'p90', 'p95', 'p99', 'max'],
          rows: [row('on (with-timestamps stream)', on), row('off (plain stream)', off), row('paired difference (on − off, same round)', paired)],
        },
      ],
      notes: [],
      data: { fake: FAKE, rounds, warmup, on, off, paired, samples },
    };
  } finally {
    http.close();
    await paths.close();
    await stack.stop();
  }
}
