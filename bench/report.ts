import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StoredResult, Table } from './lib/result.js';

/**
 * Renders docs/benchmarks.md from bench/results/*.json. Run on its own to re-render without
 * measuring: `node --import tsx bench/report.ts`.
 */

const ORDER = ['ttfb', 'words', 'cached', 'throughput', 'fanout', 'idle', 'concurrent', 'lambda', 'browsers', 'crosstask', 'page'];
const RESULTS = new URL('./results/', import.meta.url);
const DOC = new URL('../docs/benchmarks.md', import.meta.url);
/** Hand-written analysis, kept across re-renders. */
const ANALYSIS = new URL('./analysis.md', import.meta.url);

const escape = (cell: string | number) => String(cell).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(columns: string[], rows: Array<Array<string | number>>): string {
  return [`| ${columns.map(escape).join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`)].join('\n');
}

function renderTable(t: Table): string {
  return `**${t.title}**\n\n${table(t.columns, t.rows)}`;
}

export function renderReport(): string {
  const results = ORDER.flatMap((name) => {
    const file = new URL(`${name}.json`, RESULTS);
    return existsSync(file) ? [JSON.parse(readFileSync(file, 'utf8')) as StoredResult] : [];
  });
  const latest = results.reduce<StoredResult | undefined>((a, b) => (!a || b.machine.date > a.machine.date ? b : a), undefined);
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  out.push(
    'Jessica exists to make speech start fast and to stay cheap. These figures come from `npm run bench`, which runs every ' +
      'benchmark below side by side with its baseline, on one machine, in one run, against the fake ElevenLabs server ' +
      '(`test/fake-elevenlabs`) with a fixed time to first byte and paced chunks. They are measurements, not tests: nothing in CI ' +
      'asserts on time. This file is generated from `bench/results/*.json` by `bench/report.ts`; the analysis section comes from ' +
      '`bench/analysis.md`.',
  );
  out.push('');
  if (latest) {
    const m = latest.machine;
    const dates = [...new Set(results.map((result) => result.machine.date.slice(0, 16).replace('T', ' ')))];
    out.push('## Machine');
    out.push('');
    out.push(
      table(
        ['', ''],
        [
          ['Date (UTC)', dates.length === 1 ? dates[0]! : `${dates.sort()[0]} … ${dates.sort().at(-1)}`],
          ['CPU', `${m.cpuModel}, ${m.cores} cores (shared, noisy)`],
          ['Memory', `${m.memoryGiB} GiB`],
          ['Node.js', m.node],
          ['OS', `${m.platform}, kernel ${m.kernel}`],
          ['Open files (soft limit)', String(m.openFilesLimit ?? 'unknown')],
          ['Commit', `${m.commit ?? 'unknown'}${m.dirty ? ' (with uncommitted changes)' : ''}`],
          ['Run time', `${results.reduce((sum, result) => sum + result.durationSeconds, 0).toFixed(0)} s for the benchmarks below`],
        ],
      ),
    );
    out.push('');
  }
  out.push('## How to rerun');
  out.push('');
  out.push('```sh');
  out.push('npm run bench                          # everything, about 5–6 minutes; writes bench/results/*.json and this file');
  out.push('npm run bench -- --only=ttfb,fanout    # some of: ttfb, words, cached, throughput, fanout, idle, concurrent, lambda, browsers, crosstask, page');
  out.push('npm run bench -- --quick               # fewer samples, for working on the bench itself');
  out.push('npm run bench -- --only=ttfb --profile # also a CPU profile of the server (bench/results/ttfb.profile.json, for DevTools)');
  out.push('node --import tsx bench/report.ts      # re-render this file from the stored results');
  out.push('```');
  out.push('');
  out.push(
    'Every server under test runs in a child process of its own (`bench/children/`), so its RSS is its own and the load ' +
      "generator's CPU is not counted against it. The machine has two shared cores, so absolute figures move from run to run; " +
      'compare each figure with the baseline measured in the same run.',
  );
  out.push('');
  if (results.length > 0) {
    out.push('## Summary');
    out.push('');
    const rows = results.flatMap((result) =>
      result.goals.filter((goal) => goal.met !== null).map((goal) => [result.title.replace(/^\d+[a-z]?\.\s*/, ''), goal.measure, goal.jessica, goal.delta, goal.goal, goal.met ? 'yes' : '**no**']),
    );
    out.push(table(['Benchmark', 'Measure', 'Jessica', 'vs baseline', 'Goal', 'Met'], rows));
    out.push('');
  }
  if (existsSync(ANALYSIS)) {
    out.push(readFileSync(ANALYSIS, 'utf8').trim());
    out.push('');
  }
  for (const result of results) {
    out.push(`## ${result.title}`);
    out.push('');
    out.push(result.setup);
    out.push('');
    if (result.goals.length > 0) {
      out.push(
        table(
          ['Measure', 'Baseline', 'Jessica', 'Ratio / added', 'Goal', 'Met'],
          result.goals.map((goal) => [goal.measure, goal.baseline, goal.jessica, goal.delta, goal.goal, goal.met === null ? '–' : goal.met ? 'yes' : '**no**']),
        ),
      );
      out.push('');
    }
    for (const t of result.tables) {
      out.push(renderTable(t));
      out.push('');
    }
    for (const note of result.notes) {
      out.push(`- ${note}`);
    }
    if (result.notes.length > 0) out.push('');
    out.push(
      `_Measured ${result.machine.date.slice(0, 16).replace('T', ' ')} UTC in ${result.durationSeconds} s` +
        (result.loadBefore === undefined ? '' : ` (load average ${result.loadBefore} before, ${result.machine.loadAverage} after)`) +
        `${result.quick ? ', **quick run: fewer samples**' : ''}; raw figures in \`bench/results/${result.name}.json\`._`,
    );
    out.push('');
  }
  const path = fileURLToPath(DOC);
  writeFileSync(path, `${out.join('\n').trim()}\n`);
  return path;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(renderReport());
}
