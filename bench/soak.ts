import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeElevenLabs, type Fault } from '../test/fake-elevenlabs/index.js';
import { TestListener, wsUrl } from '../test/support/listener.js';
import { spawnTs } from '../test/support/process.js';

/**
 * Soak: `node --import tsx bench/soak.ts [--minutes 30] [--workers 6] [--out file.json]`
 *
 * Runs a child server process (fargate/main.ts) against the fake upstream for the given time
 * under mixed traffic: REST (catalogue, settings reads and PATCHes, /tts, streams read to the
 * end or abandoned, /speak, bad requests), WebSocket listeners that come and go and speak, and
 * MCP tool calls, with an upstream fault now and then. It samples the child's RSS and open file
 * descriptors (/proc/<pid>, plus a probe in the child that reports memory right after a full GC)
 * and reports whether, after warm-up, RSS stayed within 10 % and the
 * descriptor count did not grow, and whether the server logged an unhandled rejection or an
 * internal error. Linux only (it reads /proc). Not a test: run it by hand; exit code 1 when a
 * check fails.
 */

interface Options {
  minutes: number;
  /** Default: a third of the run, at least one minute and at most five. */
  warmupMinutes: number | undefined;
  workers: number;
  out: string | undefined;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { minutes: 30, warmupMinutes: undefined, workers: 6, out: undefined };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    const value = () => {
      const next = argv[index + 1];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      index += 1;
      return next;
    };
    if (arg === '--minutes') options.minutes = Number(value());
    else if (arg.startsWith('--minutes=')) options.minutes = Number(arg.slice('--minutes='.length));
    else if (arg === '--warmup-minutes') options.warmupMinutes = Number(value());
    else if (arg === '--workers') options.workers = Number(value());
    else if (arg === '--out') options.out = value();
    else if (arg === '--help' || arg === '-h') {
      console.log('node --import tsx bench/soak.ts [--minutes 30] [--warmup-minutes N] [--workers 6] [--out results.json]');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (!(options.minutes > 0)) throw new Error('--minutes must be a positive number');
  return options;
}

const TOKENS = { ann: 'soak-ann-token-1a2b3c4d', ben: 'soak-ben-token-5e6f7a8b', cat: 'soak-cat-token-9c0d1e2f' };
const PRINCIPALS = Object.keys(TOKENS) as Array<keyof typeof TOKENS>;
/** Repeated phrases exercise the audio cache; every tenth utterance is new and goes upstream. */
const PHRASES = Array.from({ length: 40 }, (_, index) => `Soak phrase number ${index}: the build finished and the tests are green.`);
const FAULTS: Fault[] = [{ kind: 'busy' }, { kind: 'server_error', status: 503 }, { kind: 'reset_mid_stream', afterBytes: 4096 }, { kind: 'invalid_key' }];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
};

interface Sample {
  atSeconds: number;
  rssMiB: number;
  fds: number;
}

/** What the probe inside the child reports every 5 s, right after a full garbage collection. */
interface Probe {
  atSeconds: number;
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
}

/**
 * Loaded into the child through NODE_OPTIONS: every 5 s a full GC, then memoryUsage() on stderr.
 * After a full GC, RSS and heap say what is retained rather than what is not yet collected.
 */
const PROBE =
  'setInterval(()=>{globalThis.gc();const m=process.memoryUsage();process.stderr.write(JSON.stringify({soakProbe:{t:Date.now(),rss:m.rss,heapUsed:m.heapUsed,external:m.external}})+String.fromCharCode(10))},5000).unref()';

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function sampleProcess(pid: number, startedAt: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return { atSeconds: Math.round((Date.now() - startedAt) / 1000), rssMiB: Math.round((rssKiB / 1024) * 10) / 10, fds: readdirSync(`/proc/${pid}/fd`).length };
}

function probesIn(output: string, startedAt: number): Probe[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{"soakProbe"')) return [];
    const { t, rss, heapUsed, external } = (JSON.parse(line) as { soakProbe: { t: number; rss: number; heapUsed: number; external: number } }).soakProbe;
    return [{ atSeconds: Math.round((t - startedAt) / 1000), rssMiB: mib(rss), heapUsedMiB: mib(heapUsed), externalMiB: mib(external) }];
  });
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const durationMs = options.minutes * 60_000;
  const warmupMs = options.warmupMinutes !== undefined ? options.warmupMinutes * 60_000 : Math.min(5 * 60_000, Math.max(60_000, durationMs / 3));
  if (warmupMs + 2 * 60_000 > durationMs) throw new Error('the run must last at least two minutes past the warm-up');
  const fake = await startFakeElevenLabs({ chunkDelayMs: 2, chunkSize: 4096 });
  const settingsFile = join(mkdtempSync(join(tmpdir(), 'jessica-soak-')), 'settings.json');
  const server = spawnTs('fargate/main.ts', [], {
    ELEVENLABS_BASE_URL: fake.url,
    ELEVENLABS_API_KEY: fake.apiKey,
    PORT: '0',
    JESSICA_SETTINGS: `file:${settingsFile}`,
    JESSICA_TOKENS: PRINCIPALS.map((name) => `${name}:${TOKENS[name]}`).join(','),
    JESSICA_RATE_LIMIT: '1000000',
    // Small enough to fill during warm-up, so a full cache is the steady state being measured.
    JESSICA_CACHE_BYTES: String(4 * 1024 * 1024),
    JESSICA_UPSTREAM_RETRIES: '1',
    LOG_LEVEL: 'info',
    NODE_OPTIONS: `--expose-gc --import "data:text/javascript,${PROBE}"`,
  });
  const { url } = (await server.waitForLog('jessica is listening')) as { url: string };
  const base = url.replace(/\/$/, '');
  const pid = server.child.pid!;
  const startedAt = Date.now();
  const counts: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const count = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);
  let agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let running = true;
  let paused = false;

  const call = (method: string, path: string, init: { token?: string; body?: unknown; abortAfterBytes?: number; headers?: Record<string, string> } = {}) =>
    new Promise<{ status: number; bytes: number }>((resolve) => {
      const payload = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      const req = httpRequest(`${base}${path}`, {
        agent,
        method,
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
      });
      req.setTimeout(30_000, () => req.destroy());
      req.on('error', () => resolve({ status: 0, bytes: 0 }));
      req.on('response', (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (init.abortAfterBytes !== undefined && bytes >= init.abortAfterBytes) req.destroy();
        });
        let settled = false;
        const done = () => {
          if (settled) return;
          settled = true;
          const status = res.statusCode ?? 0;
          statuses[status] = (statuses[status] ?? 0) + 1;
          resolve({ status, bytes });
        };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      });
      req.end(payload);
    });

  const text = () => (Math.random() < 0.1 ? `A fresh sentence ${Math.random().toString(36).slice(2)}.` : pick(PHRASES));
  const mcp = (token: string, name: string, args: unknown) =>
    call('POST', '/mcp', { token, body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }, headers: { accept: 'application/json, text/event-stream' } });

  const actions: Array<[weight: number, name: string, run: (token: string) => Promise<unknown>]> = [
    [3, 'rest.voices', (token) => call('GET', '/api/v1/voices?search=british', { token })],
    [2, 'rest.models', (token) => call('GET', '/api/v1/models', { token })],
    [1, 'rest.usage', (token) => call('GET', '/api/v1/usage', { token })],
    [3, 'rest.settings.get', (token) => call('GET', '/api/v1/settings', { token })],
    [2, 'rest.settings.patch', (token) => call('PATCH', '/api/v1/settings', { token, body: { voice_settings: { stability: Math.round(Math.random() * 100) / 100 }, auto_play: Math.random() < 0.5 } })],
    [5, 'rest.tts', (token) => call('POST', '/api/v1/tts', { token, body: { text: text() } })],
    [4, 'rest.stream', (token) => call('POST', '/api/v1/tts/stream', { token, body: { text: text() } })],
    [1, 'rest.stream.abandoned', (token) => call('POST', '/api/v1/tts/stream', { token, body: { text: text() }, abortAfterBytes: 2048 })],
    [3, 'rest.speak', (token) => call('POST', '/api/v1/speak', { token, body: { text: text() } })],
    [1, 'rest.stop', (token) => call('POST', '/api/v1/stop', { token })],
    [2, 'rest.bad', (token) => call('POST', '/api/v1/tts', { token, body: pick(['{"text":', '{"text": 5}', '{"text":"   "}', '[]', '{"text":"hi","voice":"nobody"}']) })],
    [1, 'rest.unauthorized', () => call('GET', '/api/v1/settings', { token: 'not-a-token-at-all' })],
    [1, 'rest.notfound', (token) => call('GET', `/api/v1/nothing/${Math.random()}`, { token })],
    [3, 'mcp.text_to_speech', (token) => mcp(token, 'text_to_speech', { text: text() })],
    [2, 'mcp.speak_text', (token) => mcp(token, 'speak_text', { text: text() })],
    [2, 'mcp.list_voices', (token) => mcp(token, 'list_voices', { search: 'american' })],
    [1, 'mcp.update_settings', (token) => mcp(token, 'update_settings', { voice_settings: { speed: 1 + Math.round(Math.random() * 10) / 100 } })],
    [1, 'mcp.bad', (token) => mcp(token, 'text_to_speech', { text: 42 })],
  ];
  const totalWeight = actions.reduce((sum, [weight]) => sum + weight, 0);
  const pickAction = () => {
    let roll = Math.random() * totalWeight;
    for (const action of actions) {
      roll -= action[0];
      if (roll < 0) return action;
    }
    return actions[0]!;
  };

  // Listeners: two per principal, replaced one at a time, speaking, stopping and acknowledging.
  const listeners: TestListener[] = [];
  const openListener = async (name: keyof typeof TOKENS) => {
    try {
      const listener = await TestListener.connect(wsUrl(base, '/ws'), { token: TOKENS[name] });
      listener.ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const frame = JSON.parse(String(data)) as { type: string; id?: string };
        if (frame.type === 'audio.end' && Math.random() < 0.7) listener.send({ type: 'played', id: frame.id });
      });
      listeners.push(listener);
      count('ws.connect');
    } catch {
      count('ws.connect.failed');
    }
  };
  const churn = async () => {
    while (running) {
      await sleep(2_000);
      if (paused || !running) continue;
      const victim = listeners.splice(Math.floor(Math.random() * listeners.length), 1)[0];
      victim?.close();
      await openListener(pick(PRINCIPALS));
      const speaker = pick(listeners);
      if (speaker && speaker.closed === undefined) {
        speaker.send(pick([{ type: 'speak', text: text() }, { type: 'ping' }, { type: 'speak', text: text() }, { type: 'stop' }, { type: 'nonsense' }]));
        count('ws.frame');
      }
    }
  };
  const worker = async () => {
    while (running) {
      if (paused) {
        await sleep(100);
        continue;
      }
      const [, name, run] = pickAction();
      await run(TOKENS[pick(PRINCIPALS)]);
      count(name);
      await sleep(Math.random() * 40);
    }
  };
  const faults = async () => {
    while (running) {
      await sleep(3_000 + Math.random() * 4_000);
      if (!paused && running) {
        fake.inject(pick(FAULTS), { times: 1 });
        count('faults.injected');
      }
    }
  };

  /** Stops traffic, closes every client connection and waits for keep-alive sockets on both sides to expire. */
  const quiet = async (): Promise<Sample> => {
    paused = true;
    await sleep(1_000);
    for (const listener of listeners.splice(0)) listener.close();
    agent.destroy();
    agent = new Agent({ keepAlive: true, maxSockets: 16 });
    await sleep(7_000);
    const sample = sampleProcess(pid, startedAt);
    for (const name of PRINCIPALS) {
      await openListener(name);
      await openListener(name);
    }
    paused = false;
    return sample;
  };

  const samples: Sample[] = [];
  const sampler = setInterval(() => samples.push(sampleProcess(pid, startedAt)), 5_000);
  for (const name of PRINCIPALS) {
    await openListener(name);
    await openListener(name);
  }
  console.log(`soak: ${options.minutes} min against pid ${pid} (${base}), warm-up ${Math.round(warmupMs / 1000)} s, ${options.workers} workers`);
  const loops = [churn(), faults(), ...Array.from({ length: options.workers }, worker)];
  await sleep(warmupMs);
  const quietAfterWarmup = await quiet();
  const measureFrom = Date.now() - startedAt;
  console.log(`soak: warm-up done at ${Math.round(measureFrom / 1000)} s: RSS ${quietAfterWarmup.rssMiB} MiB, ${quietAfterWarmup.fds} fds`);
  const progress = setInterval(() => {
    const last = samples.at(-1);
    if (last) console.log(`soak: ${last.atSeconds} s  RSS ${last.rssMiB} MiB  fds ${last.fds}  requests ${Object.values(counts).reduce((a, b) => a + b, 0)}`);
  }, 30_000);
  await sleep(Math.max(0, durationMs - (Date.now() - startedAt)));
  const quietAtEnd = await quiet();
  running = false;
  clearInterval(progress);
  clearInterval(sampler);
  await Promise.all(loops);
  for (const listener of listeners.splice(0)) listener.close();
  agent.destroy();

  server.child.kill('SIGTERM');
  const exit = await server.exited;
  await fake.close();

  // RSS after a full GC: the median of the first minute after warm-up against the median of the
  // last minute (the quiet pauses excluded).
  const output = server.output();
  const probes = probesIn(output, startedAt);
  const window = (from: number, to: number) => probes.filter((probe) => probe.atSeconds * 1000 >= from && probe.atSeconds * 1000 < to);
  const firstMinute = window(measureFrom + 5_000, measureFrom + 65_000);
  const lastMinute = window(durationMs - 60_000, durationMs);
  const rssStart = median(firstMinute.map((probe) => probe.rssMiB));
  const rssEnd = median(lastMinute.map((probe) => probe.rssMiB));
  const heapStart = median(firstMinute.map((probe) => probe.heapUsedMiB));
  const heapEnd = median(lastMinute.map((probe) => probe.heapUsedMiB));
  const rssGrowth = (rssEnd - rssStart) / rssStart;
  const unhandled = output.split('\n').filter((line) => /unhandled|uncaught|UnhandledPromiseRejection/i.test(line));
  const internalErrors = output.split('\n').filter((line) => /"level":"ERROR"/.test(line));
  const serverErrors = statuses['500'] ?? 0;
  const result = {
    minutes: options.minutes,
    warmupSeconds: Math.round(warmupMs / 1000),
    requests: Object.values(counts).reduce((a, b) => a + b, 0),
    counts,
    statuses,
    rss: { startMiB: rssStart, endMiB: rssEnd, growthPercent: Math.round(rssGrowth * 1000) / 10, maxMiB: Math.max(...samples.map((s) => s.rssMiB)) },
    heapUsedAfterGc: { startMiB: heapStart, endMiB: heapEnd },
    fds: { afterWarmup: quietAfterWarmup.fds, atEnd: quietAtEnd.fds, maxUnderLoad: Math.max(...samples.map((s) => s.fds)) },
    unhandledRejections: unhandled.length,
    errorLogLines: internalErrors.length,
    http500: serverErrors,
    exit,
    samples,
    probes,
  };
  const checks = {
    'RSS within 10 % after warm-up': rssGrowth <= 0.1,
    'no file-descriptor growth': quietAtEnd.fds <= quietAfterWarmup.fds,
    'no unhandled rejection': unhandled.length === 0,
    'no internal error (500 or ERROR log)': serverErrors === 0 && internalErrors.length === 0,
    'exit 0 on SIGTERM': exit.code === 0,
  };
  console.log('\nsoak results');
  console.log(`  duration            ${options.minutes} min (warm-up ${Math.round(warmupMs / 1000)} s)`);
  console.log(`  requests            ${result.requests} (${Object.entries(counts).map(([name, value]) => `${name} ${value}`).join(', ')})`);
  console.log(`  statuses            ${Object.entries(statuses).map(([status, value]) => `${status}: ${value}`).join(', ')}`);
  console.log(`  RSS after full GC   ${rssStart} MiB → ${rssEnd} MiB (${result.rss.growthPercent} %); max RSS between GCs ${result.rss.maxMiB} MiB`);
  console.log(`  V8 heap after GC    ${heapStart} MiB → ${heapEnd} MiB`);
  console.log(`  file descriptors    ${quietAfterWarmup.fds} after warm-up → ${quietAtEnd.fds} at the end (quiet), max ${result.fds.maxUnderLoad} under load`);
  console.log(`  unhandled rejections ${unhandled.length}; ERROR log lines ${internalErrors.length}; HTTP 500 ${serverErrors}; exit ${JSON.stringify(exit)}`);
  for (const [name, ok] of Object.entries(checks)) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name}`);
  for (const line of [...unhandled, ...internalErrors].slice(0, 10)) console.log(`    ${line.slice(0, 300)}`);
  if (options.out) writeFileSync(options.out, `${JSON.stringify({ ...result, checks }, null, 2)}\n`);
  process.exitCode = Object.values(checks).every(Boolean) ? 0 : 1;
}

await main();
