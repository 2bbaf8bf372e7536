import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.js';
import type { StoredResult, SuiteContext, SuiteResult } from './lib/result.js';
import { renderReport } from './report.js';

/**
 * `npm run bench [-- --only=ttfb,fanout] [--quick] [--profile] [--no-report]`
 *
 * Runs the benchmarks one after another (never in parallel: they share two cores), writes
 * bench/results/<name>.json for each and renders docs/benchmarks.md from every result file.
 * Benchmarks measure; they assert nothing, and the exit code is 0 whether goals are met or not
 * (1 only when a benchmark could not run).
 */

const SUITES: Record<string, () => Promise<{ run(ctx: SuiteContext): Promise<SuiteResult> }>> = {
  ttfb: () => import('./suites/ttfb.js'),
  words: () => import('./suites/words.js'),
  cached: () => import('./suites/cached.js'),
  throughput: () => import('./suites/throughput.js'),
  fanout: () => import('./suites/fanout.js'),
  idle: () => import('./suites/idle.js'),
  concurrent: () => import('./suites/concurrent.js'),
  lambda: () => import('./suites/lambda.js'),
  browsers: () => import('./suites/browsers.js'),
  page: () => import('./suites/page.js'),
  // Scale-out: what Redis pub/sub adds between tasks (needs redis-server; written with fargate/pubsub).
  crosstask: () => import('./crosstask.js'),
};

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

function parseArgs(argv: string[]): { only: string[]; quick: boolean; profile: boolean; report: boolean } {
  let only = Object.keys(SUITES);
  let quick = false;
  let profile = false;
  let report = true;
  for (const arg of argv) {
    if (arg.startsWith('--only=')) {
      only = arg
        .slice('--only='.length)
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean);
      const unknown = only.filter((name) => !(name in SUITES));
      if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(SUITES).join(', ')}`);
    } else if (arg === '--quick') quick = true;
    else if (arg === '--profile') profile = true;
    else if (arg === '--no-report') report = false;
    else if (arg === '--help' || arg === '-h') {
      console.log(`npm run bench -- [--only=${Object.keys(SUITES).join(',')}] [--quick] [--profile] [--no-report]`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return { only, quick, profile, report };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(RESULTS_DIR, { recursive: true });
  const machine = describeMachine();
  const started = performance.now();
  const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);
  log(`${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node.js ${machine.node}, open files ${machine.openFilesLimit ?? '?'}`);
  const failed: string[] = [];

  for (const name of args.only) {
    const suiteStarted = performance.now();
    const loadBefore = Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
    log(`${name}: starting (load average ${loadBefore})`);
    try {
      const suite = await SUITES[name]!();
      const result = await suite.run({ quick: args.quick, profile: args.profile, resultsDir: RESULTS_DIR, log });
      const stored: StoredResult = { ...result, machine: describeMachine(), loadBefore, quick: args.quick, durationSeconds: Math.round((performance.now() - suiteStarted) / 100) / 10 };
      writeFileSync(`${RESULTS_DIR}${name}.json`, `${JSON.stringify(stored, null, 2)}\n`);
      for (const goal of result.goals) {
        const mark = goal.met === null ? '  ' : goal.met ? 'ok' : 'NO';
        log(`  ${mark} ${goal.measure}: ${goal.jessica} (baseline ${goal.baseline}, ${goal.delta}; goal ${goal.goal})`);
      }
      for (const note of result.notes) log(`  note: ${note}`);
      log(`${name}: done in ${stored.durationSeconds} s`);
    } catch (error) {
      failed.push(name);
      log(`${name}: FAILED ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }

  if (args.report) {
    const path = renderReport();
    log(`report written to ${path}`);
  }
  log(`total ${((performance.now() - started) / 1000).toFixed(1)} s${failed.length ? `; could not run: ${failed.join(', ')}` : ''}`);
  process.exit(failed.length > 0 ? 1 : 0);
}

await main();
