import autocannon from 'autocannon';
import { BenchChild, cpuMsOf } from '../lib/child.js';
import { HttpClient } from '../lib/clients.js';
import { int, ms, pct, type GoalRow, type SuiteContext, type SuiteResult } from '../lib/result.js';
import { startStack, TOKEN } from '../lib/stack.js';
import { median, round } from '../lib/stats.js';

/**
 * (3) HTTP throughput: autocannon (in this process) against Jessica and against bare
 * `node:http` servers answering the same JSON, each in its own process, in rounds that rotate the order.
 * The baseline of the goal sends the same response as Jessica (status, headers, body); a second
 * bare server sends only the content type, to show what the headers themselves cost.
 */

const CONNECTIONS = 32;
const GOAL_RATIO = 0.5;
/** Headers node:http adds by itself. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'content-type']);

type Target = 'bare' | 'minimal' | 'jessica';
const LABELS: Record<Target, string> = {
  bare: 'bare node:http, same response (baseline)',
  minimal: 'bare node:http, content type only',
  jessica: 'Jessica',
};

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Server CPU use during the run: 1 = one core busy the whole time. */
  serverCpu: number;
  /** Server CPU time per request, µs. */
  cpuPerRequest: number;
}

async function cannon(url: string, seconds: number, pid: number): Promise<Run> {
  const cpu = cpuMsOf(pid);
  const started = performance.now();
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers: { authorization: `Bearer ${TOKEN}` } });
  const cpuMs = cpuMsOf(pid) - cpu;
  return {
    rps: round(result.requests.average, 0),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    serverCpu: round(cpuMs / (performance.now() - started), 2),
    cpuPerRequest: round((cpuMs * 1000) / Math.max(1, result.requests.total), 1),
  };
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const seconds = ctx.quick ? 2 : 4;
  const rounds = ctx.quick ? 1 : 3;
  const stack = await startStack({ ttfbMs: 0, chunkDelayMs: 0, chunkSize: 4096 });
  const http = new HttpClient();
  const bare: Array<BenchChild<{ url: string }>> = [];
  try {
    const endpoints = { health: '/health', voices: '/api/v1/voices' } as const;
    // The documents and headers Jessica answers with (this also fills the voice catalogue cache).
    const same: Record<string, { document: unknown; headers: Record<string, string> }> = {};
    const minimal: Record<string, { document: unknown; headers: Record<string, string> }> = {};
    const sizes: Record<string, number> = {};
    for (const [name, path] of Object.entries(endpoints)) {
      const answer = await http.send(`${stack.base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` }, keepBody: true });
      if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}`);
      const document: unknown = JSON.parse(answer.body!.toString('utf8'));
      const headers = Object.fromEntries(
        Object.entries(answer.headers).flatMap(([header, value]) => (TRANSPORT_HEADERS.has(header) || value === undefined ? [] : [[header, String(value)]])),
      );
      same[`/jessica${path}`] = { document, headers };
      minimal[`/jessica${path}`] = { document, headers: {} };
      sizes[name] = answer.bytes;
    }
    bare.push(await BenchChild.start<{ url: string }>('bare', { routes: same }, { name: 'bare' }));
    bare.push(await BenchChild.start<{ url: string }>('bare', { routes: minimal }, { name: 'bare-minimal' }));
    const [sameUrl, minimalUrl] = await Promise.all(bare.map(async (child) => (await child.ready).url));
    const targets: Record<Target, { base: string; pid: number }> = {
      bare: { base: `${sameUrl}/jessica`, pid: bare[0]!.pid },
      minimal: { base: `${minimalUrl}/jessica`, pid: bare[1]!.pid },
      jessica: { base: stack.base, pid: stack.jessica.pid },
    };
    const order: Target[] = ['bare', 'jessica', 'minimal'];

    const runs: Record<string, Record<Target, Run[]>> = {};
    for (const [name, path] of Object.entries(endpoints)) {
      runs[name] = { bare: [], minimal: [], jessica: [] };
      for (const target of order) await cannon(`${targets[target].base}${path}`, 1, targets[target].pid); // warm-up
      for (let i = 0; i < rounds; i += 1) {
        for (const target of order.map((_, k) => order[(k + i) % order.length]!)) {
          const result = await cannon(`${targets[target].base}${path}`, seconds, targets[target].pid);
          runs[name]![target].push(result);
          ctx.log(`throughput: ${path} ${target} ${int(result.rps)} req/s (server CPU ${result.serverCpu}, ${result.cpuPerRequest} µs/request)`);
        }
      }
    }

    const mid = (list: Run[]) => ({
      rps: median(list.map((r) => r.rps)),
      p50: median(list.map((r) => r.p50)),
      p99: median(list.map((r) => r.p99)),
      serverCpu: median(list.map((r) => r.serverCpu)),
      cpuPerRequest: median(list.map((r) => r.cpuPerRequest)),
      failures: list.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
    });
    const goals: GoalRow[] = [];
    const rows: Array<Array<string | number>> = [];
    const summary: Record<string, unknown> = {};
    for (const [name, path] of Object.entries(endpoints)) {
      const figures = Object.fromEntries(order.map((target) => [target, mid(runs[name]![target])])) as Record<Target, ReturnType<typeof mid>>;
      const ratio = figures.jessica.rps / figures.bare.rps;
      // Less noisy than requests/s on a shared machine: what one core could serve, from CPU time per request.
      const cpuRatio = figures.bare.cpuPerRequest / figures.jessica.cpuPerRequest;
      summary[name] = { ...figures, ratio, cpuRatio, ratioToMinimal: figures.jessica.rps / figures.minimal.rps };
      goals.push({
        measure: `GET ${path}${name === 'voices' ? ' (cached catalogue)' : ''}, requests/s`,
        baseline: int(figures.bare.rps),
        jessica: int(figures.jessica.rps),
        delta: `${pct(ratio)} (by CPU per request: ${pct(cpuRatio)})${figures.jessica.failures > 0 ? `, ${int(figures.jessica.failures)} answers not 2xx` : ''}`,
        goal: `≥ ${pct(GOAL_RATIO)} of bare`,
        met: ratio >= GOAL_RATIO && figures.jessica.failures === 0,
      });
      for (const target of order) {
        const r = figures[target];
        rows.push([
          `GET ${path}`,
          LABELS[target],
          int(r.rps),
          pct(r.rps / figures.bare.rps),
          `${r.cpuPerRequest.toFixed(1)} µs`,
          r.serverCpu.toFixed(2),
          ms(r.p50, 0),
          ms(r.p99, 0),
          r.failures,
        ]);
      }
    }
    return {
      name: 'throughput',
      title: '3. HTTP throughput',
      setup:
        `autocannon in the orchestrating process, ${CONNECTIONS} connections, keep-alive, bearer token on every request, ${rounds} ` +
        `round(s) of ${seconds} s per server and endpoint after a 1 s warm-up, rotating the order; the median round counts. ` +
        'Jessica (Express 5 app with its API fast path, ROOT_PATH=/jessica, tokens on, rate limit raised) and two bare `node:http` ' +
        `servers each run in their own process. The baseline sends the same response as Jessica (its JSON, ${sizes['health']} and ` +
        `${sizes['voices']} bytes, serialised per request, with the same headers); the second bare server sends only the content type. ` +
        'Requests/s swing with what else runs on the two shared cores; server CPU time per request (from /proc) is steadier and is shown alongside.',
      goals,
      tables: [
        {
          title: 'Per server (median round)',
          columns: ['Endpoint', 'Server', 'requests/s', 'vs baseline', 'server CPU per request', 'server CPU (cores)', 'latency p50', 'latency p99', 'errors + non-2xx'],
          rows,
        },
      ],
      notes: [],
      data: { connections: CONNECTIONS, seconds, rounds, sizes, runs, summary },
    };
  } finally {
    http.close();
    await Promise.all([stack.stop(), ...bare.map((child) => child.stop())]);
  }
}
