import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { expect } from 'vitest';

const SCREENSHOTS = new URL('../../../test-output/screenshots/', import.meta.url);

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Real Chromium; autoplay is allowed unless a test is about the autoplay policy itself. */
export function launchBrowser(options: { autoplay?: boolean } = {}): Promise<Browser> {
  const args = options.autoplay === false ? ARGS : [...ARGS, '--autoplay-policy=no-user-gesture-required'];
  return chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args });
}

export interface OpenPage {
  page: Page;
  /** Uncaught errors thrown in the page; a test expects none. */
  errors: Error[];
  /** JSON text frames on the page's WebSockets, parsed, watched from outside the page. */
  frames: { sent: Frame[]; received: Frame[] };
  close(): Promise<void>;
}

export type Frame = Record<string, unknown> & { type?: string };

export async function openPage(browser: Browser, url: string | undefined, options: BrowserContextOptions = {}): Promise<OpenPage> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true, ...options });
  const page = await context.newPage();
  const errors: Error[] = [];
  page.on('pageerror', (error) => errors.push(error));
  const frames: OpenPage['frames'] = { sent: [], received: [] };
  const record = (into: Frame[]) => ({ payload }: { payload: string | Buffer }) => {
    if (typeof payload !== 'string') return;
    try {
      into.push(JSON.parse(payload) as Frame);
    } catch {
      // Not JSON: nothing a test asks about.
    }
  };
  page.on('websocket', (socket) => {
    socket.on('framesent', record(frames.sent));
    socket.on('framereceived', record(frames.received));
  });
  if (url) await page.goto(url);
  return { page, errors, frames, close: () => context.close() };
}

/** What the page reports about itself through window.__jessica. */
export interface PageReport {
  state: string;
  appendedBytes: Record<string, number>;
  playedSeconds: Record<string, number>;
  playedIds: string[];
  currentTime: number;
}

/** Runs in the page (Playwright and puppeteer alike): the read-only `window.__jessica` view as plain data. */
export function readView(): PageReport {
  const view = (window as unknown as { __jessica: { state: string; appendedBytes: Map<string, number>; playedSeconds: Map<string, number>; playedIds: string[]; currentTime(): number } }).__jessica;
  return {
    state: view.state,
    appendedBytes: Object.fromEntries(view.appendedBytes),
    playedSeconds: Object.fromEntries(view.playedSeconds),
    playedIds: [...view.playedIds],
    currentTime: view.currentTime(),
  };
}

export function report(page: Page): Promise<PageReport> {
  return page.evaluate(readView);
}

export async function waitForState(page: Page, state: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction((wanted) => (window as unknown as { __jessica?: { state: string } }).__jessica?.state === wanted, state, { timeout });
}

export async function waitForPlayed(page: Page, id: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction((wanted) => (window as unknown as { __jessica: { playedIds: string[] } }).__jessica.playedIds.includes(wanted), id, { timeout });
}

/**
 * Evaluates an expression in the page without the user gesture Playwright's own `evaluate` and
 * locators carry, so looking does not lift the autoplay policy.
 */
export async function evaluateWithoutGesture<T>(page: Page, expression: string): Promise<T> {
  const session = await page.context().newCDPSession(page);
  try {
    const { result, exceptionDetails } = await session.send('Runtime.evaluate', { expression, returnByValue: true, userGesture: false });
    if (exceptionDetails) throw new Error(`evaluating ${expression} failed: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value as T;
  } finally {
    await session.detach().catch(() => undefined);
  }
}

/** The bytes the page kept for an utterance, fetched the way a person gets them: its Download button. */
export async function keptBytes(page: Page, text: string): Promise<{ bytes: Buffer; filename: string }> {
  const entry = page.locator('#history-list li', { hasText: text }).first();
  const [download] = await Promise.all([page.waitForEvent('download'), entry.getByRole('link', { name: /^Download/ }).click()]);
  const path = await download.path();
  return { bytes: await readFile(path), filename: download.suggestedFilename() };
}

/** Saves test-output/screenshots/<name>.png; the whole page unless a dialog covers the viewport. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: options.fullPage ?? true });
}

/** After each test: a screenshot when it failed, no errors on the page, the page closed. */
export async function closeAfterTest(open: OpenPage | undefined, context: { task: { name: string; result?: { state?: string } } }): Promise<void> {
  if (!open) return;
  if (context.task.result?.state === 'fail') await screenshot(open.page, `failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  expect(open.errors).toEqual([]);
  await open.close();
}
