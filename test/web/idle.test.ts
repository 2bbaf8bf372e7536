import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAfterTest, launchBrowser, openPage, waitForPlayed, waitForState, type OpenPage } from './support/browser.js';
import { startLiveStack, type LiveStack } from './support/live-stack.js';

/**
 * The page stays open all day with nothing to say: while it waits, nothing may animate for ever.
 * What the page runs is read from `document.getAnimations()` (CSS animations and transitions
 * alike); the cost in time is measured in bench/suites/page.ts, not here.
 */

interface RunningAnimation {
  name: string;
  target: string;
  infinite: boolean;
  properties: string[];
}

/** Every animation the document runs (or holds paused), with what it animates. */
function animations(page: Page): Promise<RunningAnimation[]> {
  return page.evaluate(() =>
    document
      .getAnimations()
      .filter((animation) => animation.playState === 'running' || animation.playState === 'paused')
      .map((animation) => {
        const effect = animation.effect as KeyframeEffect | null;
        const target = effect?.target;
        const pseudo = effect?.pseudoElement ?? '';
        return {
          name: (animation as Animation & { animationName?: string; transitionProperty?: string }).animationName ?? (animation as Animation & { transitionProperty?: string }).transitionProperty ?? animation.id,
          target: target ? `${target.tagName.toLowerCase()}${target.id ? `#${target.id}` : ''}.${[...target.classList].join('.')}${pseudo}` : '?',
          infinite: effect?.getTiming().iterations === Infinity,
          properties: [...new Set((effect?.getKeyframes() ?? []).flatMap((frame) => Object.keys(frame)))].filter((key) => !['offset', 'computedOffset', 'easing', 'composite'].includes(key)),
        };
      }),
  );
}

/** Resolves once every finite animation has run its course; an infinite one never finishes, so it is not waited for. */
function settle(page: Page): Promise<void> {
  return page.evaluate(async () => {
    const finite = document.getAnimations().filter((animation) => (animation.effect?.getTiming().iterations ?? 1) !== Infinity);
    await Promise.all(finite.map((animation) => animation.finished.catch(() => undefined)));
  });
}

describe('the idle page', () => {
  let browser: Browser;
  let stack: LiveStack;
  let open: OpenPage | undefined;

  beforeAll(async () => {
    [browser, stack] = await Promise.all([launchBrowser(), startLiveStack()]);
  });
  afterEach(async (context) => {
    await closeAfterTest(open, context);
    open = undefined;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('runs no infinite animation while live and waiting, only compositor properties on the way, and then nothing at all', async () => {
    open = await openPage(browser, stack.pageUrl());
    const { page } = open;
    await waitForState(page, 'live');
    await page.locator('.status[data-state="live"]').waitFor();

    const onArrival = await animations(page);
    expect(onArrival.filter((animation) => animation.infinite)).toEqual([]);
    for (const animation of onArrival) expect(animation.properties.every((property) => property === 'opacity' || property === 'transform'), JSON.stringify(animation)).toBe(true);

    await settle(page);
    expect(await animations(page)).toEqual([]);
  });

  it('comes back to no animation at all once an utterance has played', async () => {
    open = await openPage(browser, stack.pageUrl());
    const { page } = open;
    await waitForState(page, 'live');
    const id = await stack.speak('A short one.');
    await waitForPlayed(page, id);
    await page.locator('#now[data-state="idle"]').waitFor();

    expect((await animations(page)).filter((animation) => animation.infinite)).toEqual([]);
    await settle(page);
    expect(await animations(page)).toEqual([]);
  });

  it('animates nothing at all when the system asks for reduced motion', async () => {
    open = await openPage(browser, stack.pageUrl(), { reducedMotion: 'reduce' });
    const { page } = open;
    await waitForState(page, 'live');
    await page.locator('.status[data-state="live"]').waitFor();
    expect(await animations(page)).toEqual([]);
  });
});
