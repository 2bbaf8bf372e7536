import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUDIO_FIXTURES } from '../fake-elevenlabs/index.js';
import { closeAfterTest, launchBrowser, openPage, report, waitForPlayed, waitForState, type OpenPage } from './support/browser.js';
import { startLiveStack, type LiveStack } from './support/live-stack.js';

/**
 * The iPhone and iPad path, in Chromium made to look like iOS Safari to the page: `MediaSource`
 * removed, `ManagedMediaSource` present. The stand-in is Chromium's own MediaSource with the
 * managed source's signals: once a second of audio lies buffered ahead it has "enough"
 * (`endstreaming`, `streaming` false), and once the element has played into that and less than
 * half a second is left it wants more (`startstreaming`), as a managed source does when its
 * buffer fills and then drains.
 */
const IOS_LIKE = `(() => {
  const Native = window.MediaSource;
  const seen = { created: 0, appendsWhileEnough: 0, appendsAfterResume: 0, appends: 0, endstreaming: 0, startstreaming: 0, remotePlaybackDisabled: false };
  window.__managedSeen = seen;
  class ManagedMediaSource extends Native {
    constructor() {
      super();
      seen.created += 1;
      this.streaming = true;
    }
    addSourceBuffer(type) {
      const buffer = super.addSourceBuffer(type);
      const append = buffer.appendBuffer.bind(buffer);
      buffer.appendBuffer = (data) => {
        seen.appends += 1;
        if (!this.streaming) seen.appendsWhileEnough += 1;
        if (seen.startstreaming > 0) seen.appendsAfterResume += 1;
        append(data);
      };
      const audio = document.querySelector('#player');
      const ahead = () => (buffer.buffered.length ? buffer.buffered.end(buffer.buffered.length - 1) - audio.currentTime : 0);
      buffer.addEventListener('updateend', () => {
        if (seen.endstreaming > 0 || ahead() < 1) return;
        seen.remotePlaybackDisabled = audio.disableRemotePlayback === true;
        this.streaming = false;
        seen.endstreaming += 1;
        this.dispatchEvent(new Event('endstreaming'));
        const resume = () => {
          if (audio.currentTime <= 0 || ahead() >= 0.5) return;
          audio.removeEventListener('timeupdate', resume);
          this.streaming = true;
          seen.startstreaming += 1;
          this.dispatchEvent(new Event('startstreaming'));
        };
        audio.addEventListener('timeupdate', resume);
      });
      return buffer;
    }
  }
  Object.defineProperty(window, 'MediaSource', { value: undefined, configurable: true, writable: true });
  window.ManagedMediaSource = ManagedMediaSource;
})();`;

interface ManagedSeen {
  created: number;
  appends: number;
  appendsWhileEnough: number;
  appendsAfterResume: number;
  endstreaming: number;
  startstreaming: number;
  remotePlaybackDisabled: boolean;
}

describe('the page where only ManagedMediaSource exists (iOS and iPadOS Safari)', () => {
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

  it('streams through the managed source, holds appends between endstreaming and startstreaming, and plays every byte', async () => {
    stack.fake.configure({ audio: AUDIO_FIXTURES.long, chunkDelayMs: 20, chunkSize: 2048 });
    open = await openPage(browser, undefined);
    const { page } = open;
    await page.addInitScript(IOS_LIKE);
    await page.goto(stack.pageUrl());
    await waitForState(page, 'live');
    expect(await page.evaluate(() => [typeof window.MediaSource, typeof (window as unknown as { ManagedMediaSource?: unknown }).ManagedMediaSource])).toEqual(['undefined', 'function']);
    const managed = (): Promise<ManagedSeen> => page.evaluate(() => (window as unknown as { __managedSeen: ManagedSeen }).__managedSeen);

    // The last chunk waits at the fake until the source has had enough and asked for more, so it
    // is certainly appended after startstreaming.
    const held = stack.fake.hold();
    const text = 'Streamed the way an iPhone streams.';
    const id = await stack.speak(text);
    try {
      await expect.poll(async () => (await managed()).startstreaming, { timeout: 30_000 }).toBe(1);
    } finally {
      held.release();
    }
    await waitForPlayed(page, id, 30_000);
    const seen = await managed();
    expect(seen.created).toBe(1);
    expect(seen.remotePlaybackDisabled).toBe(true);
    expect(seen.endstreaming).toBe(1);
    expect(seen.startstreaming).toBe(1);
    // Bytes kept arriving while the source had enough, yet none was appended until it asked again.
    expect(seen.appendsWhileEnough).toBe(0);
    expect(seen.appendsAfterResume).toBeGreaterThan(0);
    const sent = stack.fake.sentAudio.filter((audio) => audio.text === text && audio.completed).at(-1);
    const pageSaw = await report(page);
    expect(pageSaw.appendedBytes[id]).toBe(sent?.bytes.length);
    expect(pageSaw.playedSeconds[id]).toBeGreaterThan(7);
  }, 60_000);
});
