import { buildAudio, sha256 } from '../lib/audio.js';
import { BenchChild, cpuMsOf, sampleRss } from '../lib/child.js';
import { HttpClient } from '../lib/clients.js';
import { int, mib, ms, pct, type GoalRow, type SuiteContext, type SuiteResult } from '../lib/result.js';
import { startStack, TOKEN, type FakeOptions } from '../lib/stack.js';
import { summarize } from '../lib/stats.js';

/**
 * (4a) WebSocket fan-out: 1 000 listeners of one principal, in client processes of their own,
 * receive one 30-second 128 kbit/s utterance. Lag = each listener's receive time of the last
 * byte minus the first listener's.
 */

const AUDIO_BYTES = 480_000; // 30 s × 128 kbit/s
const CHUNK = 4096;
const GOAL_P95_LAG_MS = 250;

interface Collected {
  listeners: number;
  ended: number;
  complete: number;
  closeCodes: Record<string, number>;
  startAt: number[];
  firstByteAt: number[];
  lastByteAt: number[];
  bytes: number[];
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const listeners = ctx.quick ? 200 : 1000;
  const groups = 2;
  // 2× real time: 4 KiB every 128 ms is 32 kB/s, the 30 s utterance arrives in about 15 s.
  const speed = 2;
  const fake: FakeOptions = {
    ttfbMs: 50,
    chunkDelayMs: Math.round(((CHUNK * 8) / 128_000) * 1000) / speed,
    chunkSize: CHUNK,
    audio: { bytes: AUDIO_BYTES },
  };
  const expected = sha256(buildAudio(fake.audio!));
  const stack = await startStack(fake);
  const clients = await Promise.all(Array.from({ length: groups }, (_, index) => BenchChild.start('listeners', {}, { name: `listeners-${index}` })));
  const http = new HttpClient();
  try {
    await Promise.all(clients.map((client) => client.ready));
    const rssBefore = stack.jessica.rss();
    const connectStarted = performance.now();
    const connected = await Promise.all(
      clients.map((client) =>
        client.call<{ connected: number; failed: number }>('connect', { url: stack.wsUrl, token: TOKEN, count: listeners / groups, concurrency: 50 }),
      ),
    );
    const connectMs = performance.now() - connectStarted;
    const open = connected.reduce((sum, group) => sum + group.connected, 0);
    ctx.log(`fanout: ${open}/${listeners} listeners connected in ${Math.round(connectMs)} ms`);
    await Promise.all(clients.map((client) => client.call('arm')));
    const rssConnected = stack.jessica.rss();

    const sampler = sampleRss(stack.jessica.pid, 100);
    const cpuBefore = cpuMsOf(stack.jessica.pid);
    const sentAt = performance.timeOrigin + performance.now();
    const answer = await http.send(`${stack.base}/api/v1/speak`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ text: 'One long reading for every open page.' }),
      keepBody: true,
    });
    if (answer.status !== 202) throw new Error(`/speak answered ${answer.status}: ${answer.body?.toString('utf8')}`);
    const speakerCount = (JSON.parse(answer.body!.toString('utf8')) as { listeners: number }).listeners;
    const results = await Promise.all(clients.map((client) => client.call<Collected>('collect', { sha256: expected, timeoutMs: 120_000 }, 130_000)));
    const cpuMs = cpuMsOf(stack.jessica.pid) - cpuBefore;
    const { peak } = sampler.stop();

    const lastByteAt = results.flatMap((group) => group.lastByteAt).filter((at) => at > 0);
    const firstByteAt = results.flatMap((group) => group.firstByteAt).filter((at) => at > 0);
    const startAt = results.flatMap((group) => group.startAt).filter((at) => at > 0);
    const complete = results.reduce((sum, group) => sum + group.complete, 0);
    const closeCodes: Record<string, number> = {};
    for (const group of results) for (const [code, count] of Object.entries(group.closeCodes)) closeCodes[code] = (closeCodes[code] ?? 0) + count;
    const firstDone = Math.min(...lastByteAt);
    const lag = summarize(lastByteAt.map((at) => at - firstDone));
    const startLag = summarize(firstByteAt.map((at) => at - Math.min(...firstByteAt)));
    const streamMs = firstDone - Math.min(...firstByteAt);
    const audioSeconds = AUDIO_BYTES / 16_000;

    const goals: GoalRow[] = [
      {
        measure: `listeners that received every byte (sha-256 checked)`,
        baseline: int(listeners),
        jessica: int(complete),
        delta: pct(complete / listeners),
        goal: 'all',
        met: complete === listeners,
      },
      {
        measure: 'lag of the last byte behind the first listener, p95',
        baseline: '0 ms (first listener)',
        jessica: ms(lag.p95, 1),
        delta: `median ${ms(lag.p50, 1)}, max ${ms(lag.max, 1)}`,
        goal: `≤ ${GOAL_P95_LAG_MS} ms`,
        met: lag.p95 <= GOAL_P95_LAG_MS,
      },
    ];
    return {
      name: 'fanout',
      title: '4a. WebSocket fan-out',
      setup:
        `${listeners} WebSocket listeners of one principal in ${groups} client processes; one POST /speak of a ` +
        `${audioSeconds}-second 128 kbit/s utterance (${int(AUDIO_BYTES)} bytes of test/fixtures/audio/long.mp3 repeated), which the fake ` +
        `sends in ${CHUNK}-byte chunks every ${fake.chunkDelayMs} ms (${speed}× real time). Times are wall-clock with sub-millisecond ` +
        'resolution, comparable across the processes.',
      goals,
      tables: [
        {
          title: 'Delivery',
          columns: ['Measure', 'Value'],
          rows: [
            ['listeners connected (hello received)', `${int(open)} in ${ms(connectMs, 0)}`],
            ['listeners counted by POST /speak', int(speakerCount)],
            ['listeners with every byte, in order (sha-256)', int(complete)],
            ['closed during the utterance (code: count)', Object.keys(closeCodes).length ? JSON.stringify(closeCodes) : 'none'],
            ['POST /speak → audio.start at the first / last listener', `${ms(Math.min(...startAt) - sentAt, 1)} / ${ms(Math.max(...startAt) - sentAt, 1)}`],
            ['POST /speak → first audio at the first listener', ms(Math.min(...firstByteAt) - sentAt, 1)],
            ['first audio: spread across listeners (p50 / p95 / max)', `${ms(startLag.p50, 1)} / ${ms(startLag.p95, 1)} / ${ms(startLag.max, 1)}`],
            ['last byte: lag behind the first listener (p50 / p95 / max)', `${ms(lag.p50, 1)} / ${ms(lag.p95, 1)} / ${ms(lag.max, 1)}`],
            ['stream duration at the first listener', ms(streamMs, 0)],
            ['server CPU during the utterance', `${int(cpuMs)} ms (${pct(cpuMs / streamMs)} of one core)`],
            ['server RSS: before / with listeners / peak', `${mib(rssBefore)} / ${mib(rssConnected)} / ${mib(peak)}`],
          ],
        },
      ],
      notes: [],
      data: { listeners, fake, open, connectMs, speakerCount, complete, closeCodes, lag, startLag, streamMs, cpuMs, rssBefore, rssConnected, rssPeak: peak },
    };
  } finally {
    http.close();
    await Promise.all([...clients.map((client) => client.stop()), stack.stop()]);
  }
}
