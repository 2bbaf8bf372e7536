import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAfterTest, evaluateWithoutGesture, keptBytes, launchBrowser, openPage, report, screenshot, waitForPlayed, waitForState, type OpenPage } from './support/browser.js';
import { startLambdaSite, type LambdaSite } from './support/lambda-site.js';
import { startLiveStack, type LiveStack, type LiveStackOptions } from './support/live-stack.js';
import type { FakeElevenLabs } from '../fake-elevenlabs/index.js';

/**
 * Page behaviour that needs a particular server: one that wants a token, the Lambda path
 * off-hours, an upstream that breaks off mid-utterance, a browser that blocks autoplay. Every
 * flow runs against the real live server (`startServer`) or the real Lambda handler
 * (`createHttpHandler`) in front of the fake ElevenLabs.
 */

const TOKEN = 'tab-token-123';
const LILY = 'pFZP5JQG7iQjIQuC4Bku';

/** The bytes the fake sent for the last complete synthesis of `text`. */
function sentFor(fake: FakeElevenLabs, text: string): Buffer {
  const sent = fake.sentAudio.filter((audio) => audio.text === text && audio.completed).at(-1);
  if (!sent) throw new Error(`the fake sent no complete audio for "${text}"`);
  return sent.bytes;
}

describe('page flows', () => {
  let browser: Browser;
  const running: Array<LiveStack | LambdaSite> = [];
  let open: OpenPage | undefined;

  const live = async (options: LiveStackOptions = {}): Promise<LiveStack> => {
    const stack = await startLiveStack(options);
    running.push(stack);
    return stack;
  };

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async (context) => {
    await closeAfterTest(open, context);
    open = undefined;
    await Promise.all(running.splice(0).map((server) => server.close()));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('asks for a token on 401, says when it is wrong, keeps a good one for the tab and goes live with it', async () => {
    const stack = await live({ env: { JESSICA_TOKENS: `me:${TOKEN}` }, token: TOKEN });
    open = await openPage(browser, stack.pageUrl());
    const { page, frames } = open;
    const dialog = page.getByRole('dialog', { name: 'Access token' });
    await dialog.waitFor({ state: 'visible' });
    await waitForState(page, 'locked');
    expect(await page.locator('#status-label').textContent()).toBe('Token needed');
    await screenshot(page, 'token', { fullPage: false });

    const rejected = page.waitForResponse((response) => response.url().includes('/api/v1/') && response.status() === 401);
    await dialog.getByLabel('Token').fill('wrong-token');
    await dialog.getByLabel('Token').press('Enter');
    await expect.poll(() => page.locator('#token-message').textContent(), { timeout: 5_000 }).toContain('not accepted');
    expect(await dialog.isVisible()).toBe(true);
    // Both refusals are the server's own: a 401 on the API, and an unauthorized close on the socket.
    await rejected;
    await expect.poll(() => frames.received.filter((frame) => frame.type === 'error')).toContainEqual(expect.objectContaining({ code: 'unauthorized' }));
    expect(await page.evaluate(() => sessionStorage.getItem('jessica.token'))).toBeNull();

    await dialog.getByLabel('Token').fill(TOKEN);
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await waitForState(page, 'live');
    expect(await page.evaluate(() => sessionStorage.getItem('jessica.token'))).toBe(TOKEN);
    await expect.poll(() => page.locator('#compose-voice').inputValue()).toBe('Jessica');

    await page.reload();
    await waitForState(page, 'live');
    expect(await dialog.isVisible()).toBe(false);
    await expect.poll(() => stack.listeners('me')).toBe(1);
    // The token works end to end: speech for "me" reaches this tab.
    const id = await stack.speak('For the tab with the token.');
    await waitForPlayed(page, id);
    await expect.poll(() => stack.played).toEqual([id]);
  });

  it('goes off-hours on the Lambda path: no WebSocket, health says lambda, and the compose box speaks over POST /tts', async () => {
    const site = await startLambdaSite();
    running.push(site);
    open = await openPage(browser, site.pageUrl());
    const { page } = open;
    await waitForState(page, 'off-hours');
    expect(await page.locator('#status-label').textContent()).toBe('Off-hours');
    expect(await page.locator('#status-detail').textContent()).toBe('Live streaming sleeps off-hours; speech still works.');
    expect(await page.locator('#compose-hint').textContent()).toContain('Off-hours');
    expect(await page.getByRole('button', { name: 'Retry now' }).isVisible()).toBe(true);
    expect(site.refusedUpgrades()).toBeGreaterThan(0);
    expect(site.invocations).toContainEqual({ method: 'GET', path: '/jessica/health', status: 200 });
    // Voices and settings come from the Lambda as well.
    await expect.poll(() => page.locator('#compose-voice').inputValue()).toBe('Jessica');

    const text = 'Spoken by the Lambda off-hours.';
    await page.getByLabel('Text to speak').fill(text);
    await page.getByRole('button', { name: 'Speak' }).click();
    await page.locator('#history-list li', { hasText: text }).waitFor({ timeout: 10_000 });
    expect(site.invocations).toContainEqual({ method: 'POST', path: '/jessica/api/v1/tts', status: 200 });
    // The REST path has no audio.start: the page learns the id from X-Jessica-Utterance-Id.
    await expect.poll(async () => Object.keys((await report(page)).appendedBytes).length, { timeout: 10_000 }).toBe(1);
    const [id] = Object.keys((await report(page)).appendedBytes) as [string];
    expect(id).not.toMatch(/^local-/);
    await screenshot(page, 'off-hours-lambda');
    await waitForPlayed(page, id);

    const sent = sentFor(site.fake, text);
    const seen = await report(page);
    expect(seen.appendedBytes[id]).toBe(sent.length);
    expect(seen.playedSeconds[id]).toBeGreaterThan(0.5);
    expect((await keptBytes(page, text)).bytes.equals(sent)).toBe(true);
  });

  it('shows an audio.error when the upstream breaks off, skips that utterance and plays the next one', async () => {
    const stack = await live();
    open = await openPage(browser, stack.pageUrl());
    const { page, frames } = open;
    await waitForState(page, 'live');
    stack.fake.inject({ kind: 'reset_mid_stream', afterBytes: 4096 }, { times: 1 });
    const broken = await stack.speak('This one breaks half-way.');
    const fine = await stack.speak('This one is fine.');
    await waitForPlayed(page, fine);

    const error = frames.received.find((frame) => frame.type === 'audio.error');
    expect(error).toMatchObject({ id: broken, code: expect.any(String), message: expect.any(String) });
    const message = String(error?.message);
    const seen = await report(page);
    expect(seen.playedIds).toEqual([fine]);
    expect(seen.appendedBytes[fine]).toBe(sentFor(stack.fake, 'This one is fine.').length);
    expect(stack.fake.sentAudio.find((audio) => audio.text === 'This one breaks half-way.')?.completed).toBe(false);
    const failed = page.locator('#history-list li', { hasText: 'This one breaks half-way.' });
    expect(await failed.getAttribute('data-status')).toBe('failed');
    expect(await failed.textContent()).toContain(message);
    expect(await page.locator('#now-notice').textContent()).toContain(message);
    await expect.poll(() => stack.played).toEqual([fine]);
    await screenshot(page, 'audio-error');
  });

  it('speaks typed text over the WebSocket with the voice picked from the keyboard', async () => {
    const stack = await live();
    open = await openPage(browser, stack.pageUrl());
    const { page, frames } = open;
    await waitForState(page, 'live');
    const voice = page.getByRole('combobox', { name: 'Voice' });
    await expect.poll(() => voice.inputValue()).toBe('Jessica');
    await voice.fill('lil');
    expect(await page.getByRole('listbox').getByRole('option').count()).toBe(1);
    await voice.press('ArrowDown');
    await voice.press('Enter');
    expect(await voice.inputValue()).toBe('Lily');
    expect(await voice.getAttribute('aria-expanded')).toBe('false');

    const text = page.getByLabel('Text to speak');
    await text.fill('Typed in the compose box.');
    await text.press('Control+Enter');
    await expect
      .poll(() => frames.sent.find((frame) => frame.type === 'speak'))
      .toEqual({ type: 'speak', text: 'Typed in the compose box.', voice: LILY, model: 'eleven_flash_v2_5' });
    await page.locator('#history-list li', { hasText: 'Typed in the compose box.' }).waitFor();
    await expect.poll(async () => (await report(page)).playedIds.length, { timeout: 15_000 }).toBe(1);

    // The server synthesised it with that voice and model, and the page played every byte.
    const [request] = stack.fake.ttsRequests();
    expect(request?.path).toContain(`/v1/text-to-speech/${LILY}`);
    expect(request?.body).toMatchObject({ text: 'Typed in the compose box.', model_id: 'eleven_flash_v2_5' });
    const [id] = (await report(page)).playedIds as [string];
    expect((await report(page)).appendedBytes[id]).toBe(sentFor(stack.fake, 'Typed in the compose box.').length);
    await expect.poll(() => stack.played).toEqual([id]);
  });

  it('holds incoming speech when auto-play is off, and plays it on Replay', async () => {
    const stack = await live();
    open = await openPage(browser, stack.pageUrl());
    const { page } = open;
    await waitForState(page, 'live');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Play speech as soon as it arrives').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('#settings-status').textContent()).toBe('Saved.');
    await page.keyboard.press('Escape');
    const stored = (await (await fetch(`${stack.pageUrl()}api/v1/settings`)).json()) as { auto_play: boolean };
    expect(stored.auto_play).toBe(false);

    const id = await stack.speak('Held until asked for.');
    const entry = page.locator('#history-list li', { hasText: 'Held until asked for.' });
    await entry.getByRole('button', { name: /^Replay/ }).waitFor();
    expect(await entry.getAttribute('data-status')).toBe('held');
    expect(await page.locator('#now').getAttribute('data-state')).toBe('idle');
    // Held, not played: the server never hears that it was.
    await expect.poll(() => stack.fake.sentAudio.find((audio) => audio.text === 'Held until asked for.')?.completed).toBe(true);
    expect((await report(page)).playedIds).toEqual([]);
    expect(stack.played).not.toContain(id);

    await entry.getByRole('button', { name: /^Replay/ }).click();
    await expect.poll(() => page.locator('#now').getAttribute('data-state')).toBe('speaking');
    expect(await page.locator('#now-meta').textContent()).toContain('replay');
  });

  it('fits a phone screen, in dark mode, with nothing wider than the viewport', async () => {
    const stack = await live();
    stack.fake.configure({ chunkDelayMs: 60, chunkSize: 4096 });
    open = await openPage(browser, stack.pageUrl(), { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, colorScheme: 'dark', isMobile: true, hasTouch: true });
    const { page } = open;
    await waitForState(page, 'live');
    const id = await stack.speak('Jessica reads this aloud while the words darken as they are heard.');
    await page.waitForFunction(() => (window as unknown as { __jessica: { currentTime(): number } }).__jessica.currentTime() > 0.6, null, { timeout: 10_000 });
    await screenshot(page, 'phone-dark-speaking');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await waitForPlayed(page, id);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.locator('#settings-dialog').waitFor({ state: 'visible' });
    await screenshot(page, 'phone-dark-settings', { fullPage: false });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });
});

describe('page under a strict autoplay policy', () => {
  let browser: Browser;
  let stack: LiveStack;
  let open: OpenPage | undefined;

  beforeAll(async () => {
    [browser, stack] = await Promise.all([launchBrowser({ autoplay: false }), startLiveStack()]);
  });
  afterAll(async () => {
    await open?.close();
    await browser?.close();
    await stack?.close();
  });

  it('offers Enable audio before anything arrives, holds speech until the click, then plays it', async () => {
    // Playwright runs its queries and evaluations as if the user had just clicked, which would
    // lift the autoplay block by itself. Until the player has tried to play and been refused,
    // the page is watched from the server side and through a gesture-free CDP evaluation.
    open = await openPage(browser, stack.pageUrl());
    const { page } = open;
    await expect.poll(() => stack.listeners(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => evaluateWithoutGesture<boolean>(page, `document.querySelector('#unlock').hidden`), { timeout: 10_000 }).toBe(false);
    const text = 'Waiting for a click.';
    const id = await stack.speak(text);
    await expect.poll(() => stack.fake.sentAudio.find((audio) => audio.text === text)?.completed, { timeout: 10_000 }).toBe(true);
    const sent = sentFor(stack.fake, text);
    // Every byte reached the decoder, so the player asked to play (it does on the first append) and was refused.
    await expect
      .poll(() => evaluateWithoutGesture<number | null>(page, `window.__jessica?.appendedBytes.get(${JSON.stringify(id)}) ?? null`), { timeout: 10_000 })
      .toBe(sent.length);
    expect(await evaluateWithoutGesture<string>(page, `document.querySelector('#now').dataset.state`)).toBe('blocked');
    expect(await evaluateWithoutGesture<number>(page, 'window.__jessica.currentTime()')).toBe(0);
    expect(stack.played).toEqual([]);

    // The player now waits for the button; looking no longer changes anything.
    const button = page.getByRole('button', { name: 'Enable audio' });
    expect(await button.isVisible()).toBe(true);
    expect(await page.locator('#now').getAttribute('data-state')).toBe('blocked');
    expect(await page.locator('#history-list li').first().getAttribute('data-status')).toBe('playing');
    // Nothing is shown as heard: no word lit, none darkened.
    expect(await page.locator('#now-spoken .heard, #now-spoken .current, #now-spoken [aria-current]').count()).toBe(0);
    expect((await report(page)).playedIds).toEqual([]);
    await screenshot(page, 'enable-audio');

    await button.click();
    await waitForPlayed(page, id);
    expect(await button.isVisible()).toBe(false);
    await expect.poll(() => stack.played).toEqual([id]);
    expect(open.errors).toEqual([]);
  });
});
