import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildAudio } from '../lib/audio.js';
import { ms, signedMs, type GoalRow, type SuiteContext, type SuiteResult } from '../lib/result.js';
import { startStack, type FakeOptions } from '../lib/stack.js';
import { summarize, type Summary } from '../lib/stats.js';
import { launchBrowser } from '../../test/web/support/browser.js';
import { FIREFOX_PATH, launchFirefox, startSoundServer, type SoundServer } from '../../test/web/support/firefox.js';

/**
 * First audio per browser: how long after `POST /speak` the page's playback position moves,
 * in Chromium (raw MP3 through Media Source Extensions) and in Firefox (the same frames wrapped
 * in fragmented MP4 by the page), against a slow, paced upstream. Beside it, when the whole clip
 * had reached the page: the earliest a browser that waits for whole clips could start.
 */

export const FAKE: FakeOptions = { ttfbMs: 100, chunkDelayMs: 150, chunkSize: 4096, audio: { fixture: 'long' } };
const ROUNDS = 3;
const WARMUP = 1;
/** "Within a few hundred milliseconds of Chromium". */
const GOAL_GAP_MS = 300;
const WEB_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

type BrowserName = 'chromium' | 'firefox';
/** One principal per browser: speech goes to every page of its principal, and each page must hear only its own. */
const TOKENS: Record<BrowserName, string> = { chromium: 'bench-chromium-0123456789', firefox: 'bench-firefox-0123456789' };
const LABELS: Record<BrowserName, string> = {
  chromium: 'Chromium (MP3 through MSE)',
  firefox: 'Firefox ESR (MP3 in fragmented MP4 through MSE)',
};

/** The little a round needs from a page, whichever driver holds it. Functions, not strings: the page's CSP forbids eval. */
interface Tab {
  evaluate<T, A>(fn: (arg: A) => T, arg: A): Promise<T>;
  waitFor<A>(predicate: (arg: A) => boolean, arg: A, timeoutMs: number): Promise<void>;
  goto(url: string): Promise<void>;
  close(): Promise<void>;
}

interface Round {
  first: number;
  allIn: number;
}

type Watched = Window & { __benchRound: Round; __jessica?: { state: string; appendedBytes: Map<string, number>; playedIds: string[]; currentTime(): number } };

/** Watches the page from inside: the moment the position first moves, and the moment the new utterance's last byte is in. */
function watch(expected: number): boolean {
  const page = window as unknown as Watched;
  const view = page.__jessica!;
  const before = new Set(view.appendedBytes.keys());
  const round: Round = { first: 0, allIn: 0 };
  page.__benchRound = round;
  const timer = setInterval(() => {
    const now = Date.now();
    if (!round.first && view.currentTime() > 0) round.first = now;
    if (!round.allIn) for (const [id, bytes] of view.appendedBytes) if (!before.has(id) && bytes >= expected) round.allIn = now;
    if (round.first && round.allIn) clearInterval(timer);
  }, 2);
  return true;
}

function roundDone(id: string): boolean {
  const page = window as unknown as Watched;
  return page.__benchRound.first > 0 && page.__benchRound.allIn > 0 && !!page.__jessica?.playedIds.includes(id);
}

function isLive(): boolean {
  return (window as unknown as Watched).__jessica?.state === 'live';
}

function keepToken(token: string): void {
  sessionStorage.setItem('jessica.token', token);
}

function roundOf(): Round {
  return (window as unknown as Watched).__benchRound;
}

async function openChromium(): Promise<{ tab: Tab; close(): Promise<void> }> {
  const browser = await launchBrowser();
  const page = await (await browser.newContext()).newPage();
  return {
    tab: {
      evaluate: async <T, A>(fn: (arg: A) => T, arg: A) => (await page.evaluate(fn as (arg: unknown) => unknown, arg)) as T,
      waitFor: async (predicate, arg, timeout) => void (await page.waitForFunction(predicate as (arg: unknown) => boolean, arg, { timeout, polling: 20 })),
      goto: async (url) => void (await page.goto(url)),
      close: () => page.close(),
    },
    close: () => browser.close(),
  };
}

async function openFirefox(sound: SoundServer): Promise<{ tab: Tab; close(): Promise<void> }> {
  const browser = await launchFirefox(sound);
  const page = await browser.newPage();
  return {
    tab: {
      evaluate: async <T, A>(fn: (arg: A) => T, arg: A) => (await page.evaluate(fn as (arg: unknown) => unknown, arg)) as T,
      waitFor: async (predicate, arg, timeout) => void (await page.waitForFunction(predicate as (arg: unknown) => boolean, { timeout, polling: 20 }, arg)),
      goto: async (url) => void (await page.goto(url)),
      close: () => page.close(),
    },
    close: () => browser.close(),
  };
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  if (!existsSync(FIREFOX_PATH)) throw new Error(`${FIREFOX_PATH} is not installed (apt-get install firefox-esr pulseaudio pulseaudio-utils)`);
  const built = spawnSync(process.execPath, [fileURLToPath(new URL('../../scripts/build-web.mjs', import.meta.url))], { stdio: 'ignore' });
  if (built.status !== 0) throw new Error('building web/ failed');
  const expectBytes = buildAudio(FAKE.audio!).length;
  const stack = await startStack(FAKE, { JESSICA_WEB_DIR: WEB_DIR, JESSICA_TOKENS: `chromium:${TOKENS.chromium},firefox:${TOKENS.firefox}` });
  const sound = await startSoundServer();
  const browsers: Partial<Record<BrowserName, { tab: Tab; close(): Promise<void> }>> = {};
  const first: Record<BrowserName, number[]> = { chromium: [], firefox: [] };
  const allIn: Record<BrowserName, number[]> = { chromium: [], firefox: [] };
  const played: Record<BrowserName, number> = { chromium: 0, firefox: 0 };
  try {
    browsers.chromium = await openChromium();
    browsers.firefox = await openFirefox(sound);
    const names: BrowserName[] = ['chromium', 'firefox'];
    for (const name of names) {
      const { tab } = browsers[name]!;
      // The stack wants a token; the page keeps it for the tab, as after the token dialog.
      await tab.goto(`${stack.base}/`);
      await tab.evaluate(keepToken, TOKENS[name]);
      await tab.goto(`${stack.base}/`);
      await tab.waitFor(isLive, undefined, 20_000);
    }
    for (let round = -WARMUP; round < ROUNDS; round += 1) {
      // Alternate which browser goes first, so drift on a noisy machine hits both alike.
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const { tab } = browsers[name]!;
        await tab.evaluate(watch, expectBytes);
        const started = Date.now();
        const response = await fetch(`${stack.base}/api/v1/speak`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKENS[name]}` },
          body: JSON.stringify({ text: `Round ${round + WARMUP} in ${name}: three lines of an answer, spoken while they are made.` }),
        });
        const { utterance_id: id } = (await response.json()) as { utterance_id: string };
        await tab.waitFor(roundDone, id, 60_000);
        const seen = await tab.evaluate(roundOf, undefined);
        if (round < 0) continue;
        first[name].push(seen.first - started);
        allIn[name].push(seen.allIn - started);
        played[name] += 1;
        ctx.log(`browsers: round ${round + 1}/${ROUNDS} ${name}: first audio ${seen.first - started} ms, whole clip in ${seen.allIn - started} ms`);
      }
    }
  } finally {
    await Promise.all(Object.values(browsers).map((browser) => browser?.close()));
    await Promise.all([stack.stop(), sound.close()]);
  }

  const summary = (values: number[]): Summary => summarize(values);
  const firstOf = { chromium: summary(first.chromium), firefox: summary(first.firefox) };
  const allInOf = { chromium: summary(allIn.chromium), firefox: summary(allIn.firefox) };
  const gap = firstOf.firefox.p50 - firstOf.chromium.p50;
  const goals: GoalRow[] = [
    {
      measure: 'Firefox first audio after POST /speak, median',
      baseline: `${ms(firstOf.chromium.p50, 0)} (Chromium)`,
      jessica: ms(firstOf.firefox.p50, 0),
      delta: signedMs(gap, 0),
      goal: `within ${GOAL_GAP_MS} ms of Chromium`,
      met: gap <= GOAL_GAP_MS,
    },
    ...(['chromium', 'firefox'] as const).map((name) => ({
      measure: `${LABELS[name]}: first audio vs the whole clip in, median`,
      baseline: ms(allInOf[name].p50, 0),
      jessica: ms(firstOf[name].p50, 0),
      delta: signedMs(firstOf[name].p50 - allInOf[name].p50, 0),
      goal: 'starts before the whole clip is in',
      met: firstOf[name].p50 < allInOf[name].p50,
    })),
  ];
  const row = (name: BrowserName) => [LABELS[name], first[name].map((value) => ms(value, 0)).join(', '), ms(firstOf[name].p50, 0), ms(allInOf[name].p50, 0), `${played[name]}/${ROUNDS}`];
  return {
    name: 'browsers',
    title: '7. First audio per browser',
    setup:
      `The built page in real headless browsers (Debian Chromium through playwright-core; Debian Firefox ESR through puppeteer-core over WebDriver BiDi, ` +
      `playing into a PulseAudio null sink), on the Jessica live server in its own process (a token per browser, ROOT_PATH=/jessica). The fake ElevenLabs sends ` +
      `long.mp3 (${expectBytes} bytes, about 8 s of audio): first byte after ${FAKE.ttfbMs} ms, then ${FAKE.chunkSize} bytes every ${FAKE.chunkDelayMs} ms, ` +
      `so the whole clip takes about ${((FAKE.ttfbMs + Math.ceil(expectBytes / FAKE.chunkSize) * FAKE.chunkDelayMs) / 1000).toFixed(1)} s to leave it. ` +
      `${ROUNDS} rounds after ${WARMUP} warm-up round, the browsers taking turns; each round is one POST /speak, timed from just before the request to the ` +
      'moment the page reports a playback position above zero (`window.__jessica.currentTime()`, sampled every 2 ms in the page), and waits until the ' +
      'utterance has played to its end. "Whole clip in" is when the page had every byte: the earliest a page that waits for whole clips could start.',
    goals,
    tables: [
      {
        title: 'First audio after POST /speak',
        columns: ['Browser', 'rounds', 'median', 'whole clip in, median', 'played to the end'],
        rows: [row('chromium'), row('firefox')],
      },
    ],
    notes: ["Headless Firefox's audio clock starts a moment after the first play(); that start-up is part of its figure."],
    data: { fake: FAKE, rounds: ROUNDS, warmup: WARMUP, first, allIn, firstOf, allInOf, played },
  };
}
