import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { ROOT } from '../lib/child.js';
import { int, kib, ms, signedMs, type GoalRow, type SuiteContext, type SuiteResult } from '../lib/result.js';
import { startFake } from '../lib/stack.js';
import { median, summarize } from '../lib/stats.js';

/**
 * (6) Lambda: each handler bundled the way serverless.yml does (the options of
 * handlers/build/esbuild.config.cjs: esbuild, minified, ESM with code splitting, node22,
 * everything bundled including the AWS SDK, plus the project's own esbuild plugins), then
 * cold-started in a fresh `node` that imports the bundle and invokes it once, timed to its
 * response, next to an empty `node` start.
 */

const HANDLERS = ['http', 'stream', 'switch'] as const;
type Handler = (typeof HANDLERS)[number];
const BUNDLE_BUDGET = 1024 * 1024;
const GOAL_ABOVE_EMPTY_MS = 150;
const POLL_MS = 120_000;
const POLLS = 2;

interface Invocation {
  label: string;
  handler: Handler | undefined;
  event: unknown;
}

interface Phases {
  /** From spawning the process to the response on its stdout (an empty start: to its first line). */
  wallMs: number;
  /** From spawning the process to its exit. */
  exitMs: number;
  importMs?: number;
  invokeMs?: number;
  status?: number;
  error?: string;
  changed?: boolean;
  target?: string;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

function httpEvent(method: string, path: string, body?: unknown): Record<string, unknown> {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'api.example.com', 'content-type': 'application/json', 'x-forwarded-proto': 'https', 'user-agent': 'jessica-bench' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'jessica-bench' },
      requestId: 'bench-request',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2030:00:00:00 +0000',
      timeEpoch: 1893456000000,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    isBase64Encoded: false,
  };
}

/** Just enough of ECS (JSON 1.1) and API Gateway v2 (REST JSON) for one `auto` run of the switch. */
async function startFakeAws(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      let body: unknown = {};
      if (target.endsWith('.DescribeServices')) {
        body = {
          services: [
            {
              serviceName: 'jessica',
              serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/jessica/jessica',
              status: 'ACTIVE',
              desiredCount: 1,
              runningCount: 1,
              deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
            },
          ],
          failures: [],
        };
      } else if (target.endsWith('.ListTasks')) {
        body = { taskArns: ['arn:aws:ecs:us-east-1:123456789012:task/jessica/0123456789abcdef'] };
      } else if (target.endsWith('.DescribeTasks')) {
        body = { tasks: [{ desiredStatus: 'RUNNING', lastStatus: 'RUNNING', healthStatus: 'HEALTHY' }], failures: [] };
      } else if (req.url?.startsWith('/v2/apis/')) {
        body = { routeId: 'route1', routeKey: 'ANY /jessica/{proxy+}', target: 'integrations/fargate1' };
      }
      const text = JSON.stringify(body);
      res.writeHead(200, { 'content-type': target ? 'application/x-amz-json-1.1' : 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function runNode(args: string[], env: Record<string, string>): Promise<Phases> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let answeredMs: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (answeredMs === undefined && out.includes('\n@@bench ')) answeredMs = performance.now() - started;
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      const exitMs = performance.now() - started;
      const line = out.split('\n').find((row) => row.startsWith('@@bench '));
      if (code !== 0 || !line || answeredMs === undefined) return reject(new Error(`cold start failed (exit ${code}):\n${out.slice(-2000)}`));
      resolve({ wallMs: answeredMs, exitMs, ...(JSON.parse(line.slice('@@bench '.length)) as Omit<Phases, 'wallMs' | 'exitMs'>) });
    });
  });
}

const CONFIG_FILE = 'handlers/build/esbuild.config.cjs';
const EMPTY_START = "process.stdout.write('\\n@@bench {}\\n')";

/**
 * The options serverless-esbuild builds with: those of the project's config, with the plugin's
 * own three translated as it does (outputFileExtension → outExtension, exclude → external,
 * packager dropped) and the plugins loaded from their file. Anything else esbuild rejects.
 */
async function projectBuildOptions(): Promise<{ options: BuildOptions; plugins: string | undefined }> {
  const config = (await import(pathToFileURL(join(ROOT, CONFIG_FILE)).href)) as { default: () => Record<string, unknown> };
  const { outputFileExtension, exclude, packager: _packager, plugins, ...options } = config.default();
  let loaded: Plugin[] = [];
  if (typeof plugins === 'string') loaded = ((await import(pathToFileURL(join(ROOT, plugins)).href)) as { default: Plugin[] }).default;
  else if (Array.isArray(plugins)) loaded = plugins as Plugin[];
  return {
    options: {
      ...(options as BuildOptions),
      external: (exclude as string[] | undefined) ?? [],
      ...(typeof outputFileExtension === 'string' && outputFileExtension !== '.js' ? { outExtension: { '.js': outputFileExtension } } : {}),
      plugins: loaded,
    },
    plugins: typeof plugins === 'string' ? plugins : undefined,
  };
}

interface Bundle {
  /** The handler's own file. */
  file: string;
  /** Every file the build wrote for it: the handler and its chunks. */
  files: number;
  bytes: number;
  /** The handler and the chunks it imports statically: what a cold start reads before the handler runs. */
  atImportBytes: number;
  top: Array<{ name: string; bytes: number }>;
}

/** The output files `entry` imports statically, itself included. */
function staticClosure(metafile: Metafile, entry: string): string[] {
  const seen = new Set<string>([entry]);
  for (const file of seen) {
    for (const imported of metafile.outputs[file]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) seen.add(imported.path);
    }
  }
  return [...seen];
}

/** The biggest packages in some of a build's output files, from esbuild's metafile. */
function contributors(metafile: Metafile, files: string[], top = 6): Array<{ name: string; bytes: number }> {
  const byName = new Map<string, number>();
  for (const output of files) {
    for (const [file, { bytesInOutput }] of Object.entries(metafile.outputs[output]?.inputs ?? {})) {
      const parts = file.split('/');
      const at = parts.lastIndexOf('node_modules');
      const name = at === -1 ? `${parts[0]}/ (project)` : parts[at + 1]?.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : (parts[at + 1] ?? file);
      byName.set(name, (byName.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, bytes]) => ({ name, bytes }));
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const runs = ctx.quick ? 3 : 12;
  for (let poll = 0; HANDLERS.some((name) => !existsSync(join(ROOT, `handlers/${name}.ts`))); poll += 1) {
    if (poll >= POLLS) throw new Error(`handlers missing: ${HANDLERS.filter((name) => !existsSync(join(ROOT, `handlers/${name}.ts`))).join(', ')}`);
    ctx.log(`lambda: handlers not there yet, waiting ${POLL_MS / 1000} s`);
    await sleep(POLL_MS);
  }

  const dir = mkdtempSync(join(tmpdir(), 'jessica-bench-lambda-'));
  const fake = await startFake({ ttfbMs: 0, chunkDelayMs: 0, chunkSize: 4096 });
  const aws = await startFakeAws();
  try {
    const { options, plugins: source } = await projectBuildOptions();
    const bundles: Record<string, Bundle> = {};
    for (const name of HANDLERS) {
      // As serverless-esbuild: one build per handler, into the handler's folder.
      const outdir = join(dir, 'handlers');
      const result = await build({ ...options, absWorkingDir: ROOT, entryPoints: [join(ROOT, `handlers/${name}.ts`)], outdir, metafile: true, logLevel: 'error' });
      const outputs = Object.entries(result.metafile.outputs);
      // Each dynamic import's chunk has an entryPoint too: the handler's is its source file.
      const entry = outputs.find(([, output]) => output.entryPoint === `handlers/${name}.ts`)?.[0];
      if (!entry) throw new Error(`esbuild wrote no entry point for handlers/${name}.ts`);
      const atImport = staticClosure(result.metafile, entry);
      bundles[name] = {
        file: join(ROOT, entry),
        files: outputs.length,
        bytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
        atImportBytes: atImport.reduce((sum, file) => sum + (result.metafile.outputs[file]?.bytes ?? 0), 0),
        top: contributors(result.metafile, atImport),
      };
    }
    ctx.log(`lambda: bundles ${HANDLERS.map((name) => `${name} ${kib(bundles[name]!.bytes)} in ${bundles[name]!.files} files (${kib(bundles[name]!.atImportBytes)} at import)`).join(', ')}`);

    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      HOME: dir,
      ELEVENLABS_BASE_URL: fake.ready.url,
      ELEVENLABS_API_KEY: fake.ready.apiKey,
      JESSICA_SETTINGS: 'memory:',
      JESSICA_ALLOW_ANONYMOUS: 'true',
      ROOT_PATH: '/jessica',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDBENCHBENCHBENCH0',
      AWS_SECRET_ACCESS_KEY: 'bench-secret-bench-secret-bench-secret00',
      AWS_ENDPOINT_URL: aws.url,
      JESSICA_API_ID: 'bench1',
      JESSICA_ROUTE_ID: 'route1',
      JESSICA_FARGATE_INTEGRATION_ID: 'fargate1',
      JESSICA_LAMBDA_INTEGRATION_ID: 'lambda1',
      JESSICA_ECS_CLUSTER: 'jessica',
      JESSICA_ECS_SERVICE: 'jessica',
    };
    const invocations: Invocation[] = [
      { label: 'empty node start, to its first line (baseline)', handler: undefined, event: undefined },
      { label: 'http: GET /jessica/health', handler: 'http', event: httpEvent('GET', '/jessica/health') },
      { label: 'http: POST /jessica/api/v1/tts', handler: 'http', event: httpEvent('POST', '/jessica/api/v1/tts', { text: 'Hello from a cold start.' }) },
      { label: 'stream: POST /jessica/api/v1/tts/stream', handler: 'stream', event: httpEvent('POST', '/jessica/api/v1/tts/stream', { text: 'Hello from a cold stream.' }) },
      { label: 'switch: {"action":"auto"}', handler: 'switch', event: { action: 'auto' } },
    ];
    const samples = new Map<string, Phases[]>(invocations.map((invocation) => [invocation.label, []]));
    const runner = join(ROOT, 'bench/lambda/invoke.mjs');
    for (let round = -1; round < runs; round += 1) {
      for (const [index, invocation] of invocations.entries()) {
        // The baseline writes the line an invocation writes with its response, and nothing else.
        let args = ['-e', EMPTY_START];
        if (invocation.handler) {
          const eventFile = join(dir, `event-${index}.json`);
          writeFileSync(eventFile, JSON.stringify(invocation.event));
          args = [runner, bundles[invocation.handler]!.file, eventFile];
        }
        const phases = await runNode(args, env);
        if (phases.error || (phases.status !== undefined && phases.status >= 400)) {
          throw new Error(`${invocation.label}: ${phases.error ?? `status ${phases.status}`}`);
        }
        if (round >= 0) samples.get(invocation.label)!.push(phases); // round -1 warms the file cache
      }
    }

    const wall = (label: string) => summarize(samples.get(label)!.map((phases) => phases.wallMs));
    const empty = wall(invocations[0]!.label);
    const goals: GoalRow[] = [];
    const rows: Array<Array<string | number>> = [];
    for (const invocation of invocations) {
      const list = samples.get(invocation.label)!;
      const s = wall(invocation.label);
      const importMs = median(list.map((phases) => phases.importMs ?? Number.NaN));
      const invokeMs = median(list.map((phases) => phases.invokeMs ?? Number.NaN));
      const exitMs = median(list.map((phases) => phases.exitMs));
      rows.push([
        invocation.label,
        ms(s.p50, 1),
        ms(s.p95, 1),
        invocation.handler ? signedMs(s.p50 - empty.p50, 1) : '–',
        invocation.handler ? ms(importMs, 1) : '–',
        invocation.handler ? ms(invokeMs, 1) : '–',
        ms(exitMs, 1),
      ]);
      if (invocation.handler) {
        goals.push({
          measure: `cold start, ${invocation.label} (median)`,
          baseline: ms(empty.p50, 1),
          jessica: ms(s.p50, 1),
          delta: signedMs(s.p50 - empty.p50, 1),
          goal: `≤ +${GOAL_ABOVE_EMPTY_MS} ms`,
          met: s.p50 - empty.p50 <= GOAL_ABOVE_EMPTY_MS,
        });
      }
    }
    for (const name of HANDLERS) {
      goals.push({
        measure: `bundle size, ${name}.mjs and its ${bundles[name]!.files - 1} chunks (minified)`,
        baseline: '–',
        jessica: `${int(bundles[name]!.bytes)} bytes`,
        delta: `${((bundles[name]!.bytes / BUNDLE_BUDGET) * 100).toFixed(0)} % of 1 MiB`,
        goal: '≤ 1 MiB',
        met: bundles[name]!.bytes <= BUNDLE_BUDGET,
      });
    }
    return {
      name: 'lambda',
      title: '6. Lambda bundles and cold start',
      setup:
        `esbuild ${HANDLERS.map((name) => `handlers/${name}.ts`).join(', ')} with the options of ${CONFIG_FILE} (what serverless.yml packages): ` +
        'bundle, minify, platform node, target node22, ESM with code splitting (chunks beside each handler), every dependency bundled ' +
        `(AWS SDK included), the createRequire banner${source ? ` and the plugins of ${source}` : ''}. ` +
        `Cold start = wall time from spawning \`node bench/lambda/invoke.mjs\` (import the bundle, invoke \`handler\` once) ` +
        'to the response on its stdout (the line it writes as soon as the handler has answered), next to an empty `node -e` that writes ' +
        `the same line; ${runs} runs each, interleaved; median. The process exit that follows is shown, not counted: Lambda freezes the ` +
        'sandbox once the response is out, and Init Duration + the first Duration end there too. Env: ROOT_PATH=/jessica, JESSICA_SETTINGS=memory:, ' +
        'JESSICA_ALLOW_ANONYMOUS=true, the fake ElevenLabs (no added latency) as upstream; the switch talks to a fake ECS / API ' +
        'Gateway endpoint (AWS_ENDPOINT_URL) that reports one healthy task and a route already on Fargate. 1 MB is read as 1 MiB, ' +
        'as in test/handlers/serverless-package.test.ts.',
      goals,
      tables: [
        {
          title: 'Cold start (spawn → import → first invocation → response), and the exit after it',
          columns: ['Run', 'median', 'p95', 'above empty start', 'import (median)', 'first invocation (median)', 'spawn → exit (median)'],
          rows,
        },
        {
          title: 'Size of each bundle and what a cold start reads of it (minified bytes)',
          columns: ['Bundle', 'All files', 'Read at import', 'Largest contributors to what is read at import'],
          rows: HANDLERS.map((name) => [
            `${name}.mjs + ${bundles[name]!.files - 1} chunks`,
            kib(bundles[name]!.bytes),
            kib(bundles[name]!.atImportBytes),
            bundles[name]!.top.map((part) => `${part.name} ${kib(part.bytes)}`).join(', '),
          ]),
        },
      ],
      notes: [],
      data: {
        runs,
        plugins: source,
        bundles: Object.fromEntries(HANDLERS.map((name) => { const { file: _file, ...sizes } = bundles[name]!; return [name, sizes]; })),
        samples: Object.fromEntries(samples),
      },
    };
  } finally {
    await Promise.all([fake.child.stop(), aws.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
