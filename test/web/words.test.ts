import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUDIO_FIXTURES } from '../fake-elevenlabs/index.js';
import { closeAfterTest, launchBrowser, openPage, screenshot, waitForPlayed, waitForState, type OpenPage } from './support/browser.js';
import { startLiveStack, type LiveStack } from './support/live-stack.js';

/** About eight seconds of audio (the long fixture) for sixteen words: each word is lit for about half a second. */
const TEXT = 'Every word lights up as it is heard, and moves along with the audio until the very end.';

/** The lit words (there must be at most one) and where playback is. */
async function lit(page: Page): Promise<{ words: string[]; time: number }> {
  return page.evaluate(() => ({
    words: [...document.querySelectorAll('#now [aria-current="true"]')].map((element) => element.textContent ?? ''),
    time: (window as unknown as { __jessica: { currentTime(): number } }).__jessica.currentTime(),
  }));
}

/** Waits until playback has moved at least `seconds` past `from`. */
async function untilPast(page: Page, from: number, seconds: number): Promise<void> {
  await page.waitForFunction(
    ([start, step]) => (window as unknown as { __jessica: { currentTime(): number } }).__jessica.currentTime() > start + step,
    [from, seconds] as const,
    { timeout: 15_000 },
  );
}

/** Lets the page render a few frames, so a highlight that were to move would have moved. */
function frames(page: Page, count: number): Promise<void> {
  return page.evaluate(
    (n) =>
      new Promise<void>((resolve) => {
        let left = n;
        const step = (): void => {
          left -= 1;
          if (left <= 0) resolve();
          else requestAnimationFrame(step);
        };
        requestAnimationFrame(step);
      }),
    count,
  );
}

describe('the words lit as they are heard', () => {
  let browser: Browser;
  let stack: LiveStack;
  let open: OpenPage | undefined;

  beforeAll(async () => {
    [browser, stack] = await Promise.all([launchBrowser(), startLiveStack()]);
  });
  afterEach(async (context) => {
    await closeAfterTest(open, context);
    open = undefined;
    stack.fake.reset();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('highlights the word being heard by the audio clock: it moves with playback, holds while paused, and the page goes idle after', async () => {
    stack.fake.configure({ audio: AUDIO_FIXTURES.long, chunkSize: 8192 });
    open = await openPage(browser, stack.pageUrl());
    const { page } = open;
    await waitForState(page, 'live');
    const id = await stack.speak(TEXT);

    await page.waitForSelector('#now [aria-current="true"]', { timeout: 15_000 });
    const first = await lit(page);
    expect(first.words).toHaveLength(1);
    await screenshot(page, 'words-lit');
    await untilPast(page, first.time, 1.2);
    const later = await lit(page);
    expect(later.words).toHaveLength(1);
    expect(TEXT.indexOf(later.words[0]!)).toBeGreaterThan(TEXT.indexOf(first.words[0]!));
    // Words before the lit one are marked heard, words after it are not.
    const marks = await page.evaluate(() => [...document.querySelectorAll('#now .word')].map((element) => (element.classList.contains('current') ? 'c' : element.classList.contains('heard') ? 'h' : '-')).join(''));
    expect(marks).toMatch(/^h+c-*$/);

    await page.evaluate(() => document.querySelector<HTMLAudioElement>('#player')!.pause());
    const paused = await lit(page);
    await frames(page, 20);
    expect(await lit(page)).toEqual(paused);

    await page.evaluate(() => document.querySelector<HTMLAudioElement>('#player')!.play());
    await untilPast(page, paused.time, 1.2);
    const resumed = await lit(page);
    expect(TEXT.indexOf(resumed.words[0]!)).toBeGreaterThan(TEXT.indexOf(paused.words[0]!));

    await waitForPlayed(page, id, 30_000);
    await page.waitForFunction(() => document.querySelector('#now')?.getAttribute('data-state') === 'idle');
    expect(await page.locator('#now [aria-current="true"]').count()).toBe(0);
    // Idle means idle: no animation frame is asked for once nothing plays.
    const requested = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          let calls = 0;
          const original = window.requestAnimationFrame.bind(window);
          window.requestAnimationFrame = (callback) => {
            calls += 1;
            return original(callback);
          };
          setTimeout(() => {
            window.requestAnimationFrame = original;
            resolve(calls);
          }, 500);
        }),
    );
    expect(requested).toBe(0);
    // Nothing in the card animates either (the status dot's own breathing is not the card's).
    expect(await page.evaluate(() => document.querySelector('#now')!.getAnimations({ subtree: true }).length)).toBe(0);
  });

  it('lights the words again on a replay from the history, from memory', async () => {
    stack.fake.configure({ audio: AUDIO_FIXTURES.long, chunkSize: 8192 });
    open = await openPage(browser, stack.pageUrl());
    const { page } = open;
    await waitForState(page, 'live');
    const text = 'A replay lights the same words at the same times as the first playing did.';
    const id = await stack.speak(text);
    await waitForPlayed(page, id, 30_000);
    const requests = stack.fake.ttsRequests().length;

    await page.locator('#history-list li').first().getByRole('button', { name: /Replay/ }).click();
    await page.waitForSelector('#now [aria-current="true"]', { timeout: 15_000 });
    const first = await lit(page);
    await untilPast(page, first.time, 1.2);
    const later = await lit(page);
    expect(later.words).toHaveLength(1);
    expect(text.indexOf(later.words[0]!)).toBeGreaterThan(text.indexOf(first.words[0]!));
    expect(stack.fake.ttsRequests()).toHaveLength(requests);
  });

  it('gives reduced-motion users the highlight without any transition', async () => {
    stack.fake.configure({ audio: AUDIO_FIXTURES.long, chunkSize: 8192 });
    open = await openPage(browser, stack.pageUrl(), { reducedMotion: 'reduce' });
    const { page } = open;
    await waitForState(page, 'live');
    await stack.speak('Calm words, lit without motion for those who asked for none.');
    await page.waitForSelector('#now [aria-current="true"]', { timeout: 15_000 });
    const style = await page.evaluate(() => {
      const element = document.querySelector('#now [aria-current="true"]')!;
      const computed = getComputedStyle(element);
      return { transition: computed.transitionDuration, background: computed.backgroundColor, animations: document.querySelector('#now')!.getAnimations({ subtree: true }).length };
    });
    expect(style.transition.split(',').every((duration) => parseFloat(duration) === 0)).toBe(true);
    expect(style.background).not.toBe('rgba(0, 0, 0, 0)');
    expect(style.animations).toBe(0);
  });
});
