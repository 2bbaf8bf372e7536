import type { Browser, Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUDIO_FIXTURES } from '../fake-elevenlabs/index.js';
import { firefoxMissing, launchFirefox, reportOf, startSoundServer, waitForPlayedIn, waitForStateIn, type SoundServer } from './support/firefox.js';
import { startLiveStack, type LiveStack } from './support/live-stack.js';

/**
 * The page in Firefox (Debian's firefox-esr over WebDriver BiDi), against the real live server
 * in front of the fake ElevenLabs. Firefox's Media Source Extensions refuse raw `audio/mpeg`,
 * so here the page wraps the MP3 frames in fragmented MP4 as they arrive.
 */

const missing = firefoxMissing();
if (missing) console.warn(missing);

async function waitForPosition(page: Page, seconds: number, timeout = 30_000): Promise<void> {
  await page.waitForFunction((past) => (window as unknown as { __jessica: { currentTime(): number } }).__jessica.currentTime() > past, { timeout }, seconds);
}

describe.skipIf(missing !== undefined)(`the page in Firefox${missing ? ` (${missing})` : ''}`, () => {
  let sound: SoundServer;
  let browser: Browser;
  let stack: LiveStack;
  let page: Page | undefined;
  const errors: Error[] = [];

  const visit = async (): Promise<Page> => {
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(error instanceof Error ? error : new Error(String(error))));
    await page.goto(stack.pageUrl());
    await waitForStateIn(page, 'live');
    return page;
  };
  const sentFor = (text: string): Buffer => {
    const sent = stack.fake.sentAudio.filter((audio) => audio.text === text && audio.completed).at(-1);
    if (!sent) throw new Error(`the fake sent no complete audio for "${text}"`);
    return sent.bytes;
  };

  beforeAll(async () => {
    sound = await startSoundServer();
    [browser, stack] = await Promise.all([launchFirefox(sound), startLiveStack()]);
  });
  afterEach(async () => {
    expect(errors.splice(0)).toEqual([]);
    await page?.close();
    page = undefined;
    stack.fake.reset();
    stack.played.length = 0;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await sound?.close();
  });

  it('takes the fragmented MP4 route: audio/mpeg is refused, MP3 in MP4 accepted', async () => {
    const { raw, wrapped } = await (await visit()).evaluate(() => ({ raw: MediaSource.isTypeSupported('audio/mpeg'), wrapped: MediaSource.isTypeSupported('audio/mp4; codecs="mp3"') }));
    expect({ raw, wrapped }).toEqual({ raw: false, wrapped: true });
  });

  it('plays while the upstream still sends: the position moves before the last byte has left, then every byte reaches the decoder', async () => {
    stack.fake.configure({ ttfbMs: 100, chunkDelayMs: 150, chunkSize: 4096, audio: AUDIO_FIXTURES.long });
    const page = await visit();
    // The fake now waits before its last chunk, so whatever plays meanwhile was streamed.
    const held = stack.fake.hold();
    const text = 'Streamed in Firefox while the upstream still sends.';
    const id = await stack.speak(text);
    try {
      await waitForPosition(page, 0);
      const sending = stack.fake.sentAudio.find((audio) => audio.text === text);
      expect(sending?.completed).toBe(false);
      const early = await reportOf(page);
      expect(early.appendedBytes[id]).toBeGreaterThan(0);
      expect(early.appendedBytes[id]).toBeLessThan(AUDIO_FIXTURES.long.length);
    } finally {
      held.release();
    }
    await waitForPlayedIn(page, id, 45_000);
    const seen = await reportOf(page);
    expect(seen.appendedBytes[id]).toBe(sentFor(text).length);
    expect(seen.appendedBytes[id]).toBe(AUDIO_FIXTURES.long.length);
    // The long fixture is about eight seconds; the furthest position reached is near its end.
    expect(seen.playedSeconds[id]).toBeGreaterThan(7);
    await expect.poll(() => stack.played).toEqual([id]);
  }, 60_000);

  it('plays utterances one after the other, in order, each to its end', async () => {
    stack.fake.configure({ chunkDelayMs: 30, chunkSize: 4096 });
    const page = await visit();
    const ids = [await stack.speak('One.'), await stack.speak('Two.'), await stack.speak('Hello there.')];
    await waitForPlayedIn(page, ids[2]!, 45_000);
    const seen = await reportOf(page);
    expect(seen.playedIds).toEqual(ids);
    expect(seen.appendedBytes[ids[0]!]).toBe(sentFor('One.').length);
    expect(seen.appendedBytes[ids[1]!]).toBe(sentFor('Two.').length);
    expect(seen.appendedBytes[ids[2]!]).toBe(sentFor('Hello there.').length);
    // The short clip is 0.8 s, the default one 1.7 s: each played to (nearly) its end.
    expect(seen.playedSeconds[ids[0]!]).toBeGreaterThan(0.6);
    expect(seen.playedSeconds[ids[2]!]).toBeGreaterThan(1.5);
    await expect.poll(() => stack.played).toEqual(ids);
  }, 60_000);

  it('moves the level meter while speaking, stops at once on Stop, and the next utterance still plays', async () => {
    stack.fake.configure({ audio: AUDIO_FIXTURES.long, chunkDelayMs: 20 });
    const page = await visit();
    const long = await stack.speak('A long utterance that will be cut short.');
    await waitForPosition(page, 0.3);
    // The meter reads the element through Web Audio; its bars grow with the speech.
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('#now .level span')].some((bar) => Number(bar.style.getPropertyValue('--h')) > 0), { timeout: 20_000 });
    await page.click('#stop');
    await expect.poll(() => stack.stops()).toBe(1);
    await page.waitForFunction(() => document.querySelector('#now')?.getAttribute('data-state') === 'idle', { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector('#history-list li')?.getAttribute('data-status') === 'stopped', { timeout: 10_000 });
    const stopped = await reportOf(page);
    expect(stopped.currentTime).toBe(0);
    expect(stopped.playedIds).not.toContain(long);
    expect(stack.played).not.toContain(long);

    stack.fake.configure({ audio: AUDIO_FIXTURES.short, chunkDelayMs: 0 });
    const next = await stack.speak('Done.');
    await waitForPlayedIn(page, next);
    expect((await reportOf(page)).appendedBytes[next]).toBe(AUDIO_FIXTURES.short.length);
  }, 60_000);

  it('replays an utterance from history', async () => {
    const page = await visit();
    const id = await stack.speak('Say it again.');
    await waitForPlayedIn(page, id);
    await page.waitForFunction(() => document.querySelector('#now')?.getAttribute('data-state') === 'idle', { timeout: 10_000 });
    await page.click('#history-list li button[aria-label^="Replay"]');
    await page.waitForFunction(() => document.querySelector('#now-meta')?.textContent?.includes('replay'), { timeout: 10_000 });
    await waitForPosition(page, 0.5);
    await page.waitForFunction(() => document.querySelector('#now')?.getAttribute('data-state') === 'idle', { timeout: 20_000 });
    // A replay plays from memory: nothing new from the upstream, nothing new told to the server.
    expect(stack.fake.sentAudio).toHaveLength(1);
    expect((await reportOf(page)).playedIds).toEqual([id]);
    expect(stack.played).toEqual([id]);
  }, 60_000);
});
