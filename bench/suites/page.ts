import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../lib/child.js';
import type { GoalRow, SuiteContext, SuiteResult } from '../lib/result.js';
import { startStack } from '../lib/stack.js';

/**
 * (8) The page: what it costs while it waits, and how it loads.
 *
 * Idle: headless Chromium opens the page served by the live server, waits until it shows
 * "live", lets it settle, then reads the DevTools Performance domain (`Performance.getMetrics`)
 * before and after a quiet window. Style recalculations per second and main-thread busy time
 * (TaskDuration) over the window are what an open tab spends all day; about:blank measured
 * the same way is the browser's own floor.
 *
 * Load: Lighthouse (mobile profile, simulated throttling) on the same URL, twice; the better
 * run by performance score is reported, as scores move by several points from run to run on a
 * shared machine.
 */

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const GOAL_RECALC_PER_SECOND = 1;
const GOAL_BUSY = 0.01;
const GOAL_PERFORMANCE = 95;
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'] as const;

interface IdleCost {
  seconds: number;
  recalcPerSecond: number;
  layoutsPerSecond: number;
  /** Share of the window the renderer's main thread ran tasks. */
  busy: number;
  scriptMs: number;
  infiniteAnimations: number;
}

interface LighthouseRun {
  scores: Record<(typeof CATEGORIES)[number], number>;
  metrics: Record<string, number>;
  /** Failed audits (score < 1) of the non-performance categories, by id. */
  failing: string[];
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const windowSeconds = ctx.quick ? 10 : 20;
  await buildPage();
  // As `npm start` runs it on a laptop: loopback, no tokens, so the page opens straight to "live".
  const stack = await startStack({ ttfbMs: 0, chunkDelayMs: 0, chunkSize: 4096 }, { JESSICA_WEB_DIR: join(ROOT, 'web/dist'), JESSICA_TOKENS: '' });
  const pageUrl = `${stack.base}/`;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS.filter((flag) => flag !== '--headless') });
    const blank = await measureIdle(browser, 'about:blank', windowSeconds, false);
    const idle = await measureIdle(browser, pageUrl, windowSeconds, true);
    ctx.log(`page: idle ${idle.recalcPerSecond.toFixed(2)} recalc/s, ${(idle.busy * 100).toFixed(2)} % main thread (about:blank ${blank.recalcPerSecond.toFixed(2)}, ${(blank.busy * 100).toFixed(2)} %)`);
    await browser.close();
    browser = undefined;

    const runs: LighthouseRun[] = [];
    for (let i = 0; i < 2; i += 1) {
      const result = await lighthouse(pageUrl);
      ctx.log(`page: Lighthouse run ${i + 1}: ${CATEGORIES.map((category) => `${category} ${result.scores[category]}`).join(', ')}; TBT ${Math.round(result.metrics['total-blocking-time'] ?? NaN)} ms`);
      runs.push(result);
    }
    const best = runs.reduce((a, b) => (b.scores.performance > a.scores.performance ? b : a));
    const others = CATEGORIES.filter((category) => category !== 'performance');

    const goals: GoalRow[] = [
      {
        measure: `idle page: style recalculations per second (${windowSeconds} s)`,
        baseline: `${blank.recalcPerSecond.toFixed(2)} (about:blank)`,
        jessica: idle.recalcPerSecond.toFixed(2),
        delta: `${idle.infiniteAnimations} infinite animations running`,
        goal: `≤ ${GOAL_RECALC_PER_SECOND}`,
        met: idle.recalcPerSecond <= GOAL_RECALC_PER_SECOND,
      },
      {
        measure: `idle page: main-thread busy (${windowSeconds} s)`,
        baseline: `${(blank.busy * 100).toFixed(2)} % (about:blank)`,
        jessica: `${(idle.busy * 100).toFixed(2)} %`,
        delta: `+${((idle.busy - blank.busy) * 100).toFixed(2)} points`,
        goal: `≤ ${GOAL_BUSY * 100} %`,
        met: idle.busy <= GOAL_BUSY,
      },
      {
        measure: 'Lighthouse mobile performance (best of 2)',
        baseline: runs.map((r) => r.scores.performance).join(', '),
        jessica: String(best.scores.performance),
        delta: `TBT ${Math.round(best.metrics['total-blocking-time'] ?? NaN)} ms`,
        goal: `≥ ${GOAL_PERFORMANCE}`,
        met: best.scores.performance >= GOAL_PERFORMANCE,
      },
      {
        measure: 'Lighthouse accessibility / best practices / SEO',
        baseline: '–',
        jessica: others.map((category) => best.scores[category]).join(' / '),
        delta: best.failing.length ? `failing: ${best.failing.join(', ')}` : 'no failing audit',
        goal: '100 / 100 / 100',
        met: others.every((category) => best.scores[category] === 100),
      },
    ];
    return {
      name: 'page',
      title: '8. The page: idle cost and load',
      setup:
        `The built page (web/dist) served by the live server under ${stack.base.replace(/^http:\/\/[^/]+/, '')}/, in headless Chromium (${FLAGS.join(' ')}). ` +
        `Idle: DevTools \`Performance.getMetrics\` read when the page shows "live" plus 2 s and again ${windowSeconds} s later. ` +
        'Load: Lighthouse 12 (mobile form factor, simulated throttling: 150 ms RTT, 1.6 Mbit/s, 4× CPU slowdown), two runs, the better by performance score.',
      goals,
      tables: [
        {
          title: `Idle for ${windowSeconds} s`,
          columns: ['Measure', 'about:blank', 'Jessica page'],
          rows: [
            ['style recalculations / s', blank.recalcPerSecond.toFixed(2), idle.recalcPerSecond.toFixed(2)],
            ['layouts / s', blank.layoutsPerSecond.toFixed(2), idle.layoutsPerSecond.toFixed(2)],
            ['main thread busy (TaskDuration)', `${(blank.busy * 100).toFixed(2)} %`, `${(idle.busy * 100).toFixed(2)} %`],
            ['script time over the window', `${blank.scriptMs.toFixed(1)} ms`, `${idle.scriptMs.toFixed(1)} ms`],
            ['infinite animations running', String(blank.infiniteAnimations), String(idle.infiniteAnimations)],
          ],
        },
        {
          title: 'Lighthouse (mobile)',
          columns: ['Run', ...CATEGORIES, 'FCP', 'LCP', 'TBT', 'CLS', 'Speed Index'],
          rows: runs.map((r, index) => [
            `${index + 1}${r === best ? ' (best)' : ''}`,
            ...CATEGORIES.map((category) => r.scores[category]),
            `${Math.round(r.metrics['first-contentful-paint'] ?? NaN)} ms`,
            `${Math.round(r.metrics['largest-contentful-paint'] ?? NaN)} ms`,
            `${Math.round(r.metrics['total-blocking-time'] ?? NaN)} ms`,
            (r.metrics['cumulative-layout-shift'] ?? NaN).toFixed(3),
            `${Math.round(r.metrics['speed-index'] ?? NaN)} ms`,
          ]),
        },
      ],
      notes: [],
      data: { windowSeconds, blank, idle, lighthouse: runs },
    };
  } finally {
    await browser?.close();
    await stack.stop();
  }
}

function buildPage(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scripts/build-web.mjs exited with ${code}`))));
  });
}

async function measureIdle(browser: Browser, url: string, seconds: number, waitForLive: boolean): Promise<IdleCost> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(url);
    if (waitForLive) await page.waitForFunction(() => (window as unknown as { __jessica?: { state: string } }).__jessica?.state === 'live', undefined, { timeout: 30_000 });
    // Start-up work (voices, models, settings, usage) is done within this; what follows is waiting.
    await page.waitForTimeout(2000);
    const session = await context.newCDPSession(page);
    await session.send('Performance.enable', { timeDomain: 'timeTicks' });
    const before = await metrics(session);
    const infiniteAnimations = await countInfiniteAnimations(page);
    await page.waitForTimeout(seconds * 1000);
    const after = await metrics(session);
    const elapsed = (after['Timestamp'] ?? 0) - (before['Timestamp'] ?? 0);
    const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
    return {
      seconds: elapsed,
      recalcPerSecond: delta('RecalcStyleCount') / elapsed,
      layoutsPerSecond: delta('LayoutCount') / elapsed,
      busy: delta('TaskDuration') / elapsed,
      scriptMs: delta('ScriptDuration') * 1000,
      infiniteAnimations,
    };
  } finally {
    await context.close();
  }
}

async function metrics(session: { send(method: 'Performance.getMetrics'): Promise<{ metrics: Array<{ name: string; value: number }> }> }): Promise<Record<string, number>> {
  const { metrics: list } = await session.send('Performance.getMetrics');
  return Object.fromEntries(list.map(({ name, value }) => [name, value]));
}

function countInfiniteAnimations(page: Page): Promise<number> {
  return page.evaluate(() => document.getAnimations().filter((animation) => animation.playState === 'running' && animation.effect?.getTiming().iterations === Infinity).length);
}

async function lighthouse(url: string): Promise<LighthouseRun> {
  const dir = mkdtempSync(join(tmpdir(), 'jessica-lighthouse-'));
  const output = join(dir, 'report.json');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        join(ROOT, 'node_modules/.bin/lighthouse'),
        [url, '--output=json', `--output-path=${output}`, '--quiet', `--only-categories=${CATEGORIES.join(',')}`, `--chrome-flags=${FLAGS.join(' ')}`],
        { cwd: ROOT, env: { ...process.env, CHROME_PATH: CHROMIUM }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`lighthouse exited with ${code}: ${stderr}`))));
    });
    const report = JSON.parse(readFileSync(output, 'utf8')) as {
      categories: Record<string, { score: number | null; auditRefs: Array<{ id: string }> }>;
      audits: Record<string, { score: number | null; numericValue?: number; scoreDisplayMode: string }>;
    };
    const scores = Object.fromEntries(CATEGORIES.map((category) => [category, Math.round((report.categories[category]?.score ?? 0) * 100)])) as LighthouseRun['scores'];
    const metricIds = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift', 'speed-index'];
    const metrics = Object.fromEntries(metricIds.map((id) => [id, report.audits[id]?.numericValue ?? NaN]));
    const failing = CATEGORIES.filter((category) => category !== 'performance').flatMap((category) =>
      (report.categories[category]?.auditRefs ?? [])
        .map((ref) => ({ id: ref.id, audit: report.audits[ref.id] }))
        .filter(({ audit }) => audit && audit.score !== null && audit.score < 1 && audit.scoreDisplayMode !== 'informative' && audit.scoreDisplayMode !== 'manual')
        .map(({ id }) => id),
    );
    return { scores, metrics, failing };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
