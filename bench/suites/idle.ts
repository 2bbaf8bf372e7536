import { BenchChild } from '../lib/child.js';
import { int, kib, mib, type GoalRow, type SuiteContext, type SuiteResult } from '../lib/result.js';
import { startStack, TOKEN } from '../lib/stack.js';

/**
 * (4b) Idle listeners: 5 000 WebSocket connections of one principal held open against a fresh
 * server; its RSS (VmRSS) is read before and after.
 */

const GOAL_RSS = 300 * 1024 * 1024;
const TASK_MEMORY = 1024 * 1024 * 1024;

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const total = ctx.quick ? 1000 : 5000;
  const groups = 4;
  const stack = await startStack({ ttfbMs: 0, chunkDelayMs: 0, chunkSize: 4096 });
  const clients = await Promise.all(Array.from({ length: groups }, (_, index) => BenchChild.start('listeners', {}, { name: `idle-${index}` })));
  try {
    await Promise.all(clients.map((client) => client.ready));
    // One listener first, so the connection path is warm and the baseline is a working server.
    await clients[0]!.call('connect', { url: stack.wsUrl, token: TOKEN, count: 1, concurrency: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const rssBefore = stack.jessica.rss();
    const started = performance.now();
    const results = await Promise.all(
      clients.map((client, index) =>
        client.call<{ connected: number; failed: number }>(
          'connect',
          { url: stack.wsUrl, token: TOKEN, count: total / groups - (index === 0 ? 1 : 0), concurrency: 50 },
          180_000,
        ),
      ),
    );
    const connectMs = performance.now() - started;
    const connected = results.reduce((sum, group) => sum + group.connected, 0) + 1;
    ctx.log(`idle: ${connected}/${total} connected in ${Math.round(connectMs)} ms`);
    // Let the server settle (timers, lazily freed buffers) before reading its RSS.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const rssIdle = stack.jessica.rss();
    const stats = await stack.jessica.call<{ listeners: number; memory: NodeJS.MemoryUsage }>('stats');
    const open = (await Promise.all(clients.map((client) => client.call<number>('open')))).reduce((sum, count) => sum + count, 0);

    const perConnection = (rssIdle - rssBefore) / connected;
    const goals: GoalRow[] = [
      {
        measure: `server RSS with ${int(total)} idle listeners`,
        baseline: `${mib(rssBefore)} (1 listener)`,
        jessica: mib(rssIdle),
        delta: `+${mib(rssIdle - rssBefore)}, ${kib(perConnection)} per listener`,
        goal: `≤ ${mib(GOAL_RSS)}`,
        met: rssIdle <= GOAL_RSS && connected === total,
      },
    ];
    return {
      name: 'idle',
      title: '4b. Idle listeners',
      setup:
        `${int(total)} WebSocket listeners of one principal, opened from ${groups} client processes (50 handshakes in flight each) ` +
        'against a fresh server, then left idle for 3 s; RSS is VmRSS of the server process.',
      goals,
      tables: [
        {
          title: 'Memory',
          columns: ['Measure', 'Value'],
          rows: [
            ['listeners connected / still open / counted by the hub', `${int(connected)} / ${int(open)} / ${int(stats.listeners)}`],
            ['time to connect them all', `${int(connectMs)} ms`],
            ['RSS before → with the idle listeners', `${mib(rssBefore)} → ${mib(rssIdle)}`],
            ['RSS per listener', kib(perConnection)],
            ['V8 heap used / external / array buffers', `${mib(stats.memory.heapUsed)} / ${mib(stats.memory.external)} / ${mib(stats.memory.arrayBuffers)}`],
            [`share of the task's ${mib(TASK_MEMORY)}`, `${((rssIdle / TASK_MEMORY) * 100).toFixed(0)} %`],
          ],
        },
      ],
      notes: [],
      data: { total, connected, open, connectMs, rssBefore, rssIdle, perConnection, memory: stats.memory },
    };
  } finally {
    await Promise.all([...clients.map((client) => client.stop()), stack.stop()]);
  }
}
