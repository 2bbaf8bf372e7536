import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, report, screenshot, waitForPlayed, waitForState, type OpenPage } from './support/browser.js';
import { startStubServer, type StubServer } from './support/stub-server.js';

/**
 * Page behaviour the real server cannot be made to show on demand — a token requirement, a
 * synthesis failure half-way through, a browser that blocks autoplay — against a small stand-in
 * that speaks the same protocol.
 */
describe('page flows', () => {
  let browser: Browser;
  const servers: StubServer[] = [];
  let open: OpenPage | undefined;

  const serve = async (options: Parameters<typeof startStubServer>[0] = {}): Promise<StubServer> => {
    const server = await startStubServer(options);
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async (context) => {
    if (open && context.task.result?.state === 'fail') await screenshot(open.page, `failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
    if (open) expect(open.errors).toEqual([]);
    await open?.close();
    open = undefined;
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('asks for a token on 401, says when it is wrong, keeps a good one for the tab and goes live with it', async () => {
    const server = await serve({ token: 'tab-token-123' });
    open = await openPage(browser, `${server.url}/`);
    const { page } = open;
    const dialog = page.getByRole('dialog', { name: 'Access token' });
    await dialog.waitFor({ state: 'visible' });
    await waitForState(page, 'locked');
    expect(await page.locator('#status-label').textContent()).toBe('Token needed');
    await screenshot(page, 'token', { fullPage: false });

    await dialog.getByLabel('Token').fill('wrong-token');
    await dialog.getByLabel('Token').press('Enter');
    await expect.poll(() => page.locator('#token-message').textContent(), { timeout: 5_000 }).toContain('not accepted');
    expect(await dialog.isVisible()).toBe(true);

    await dialog.getByLabel('Token').fill('tab-token-123');
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await waitForState(page, 'live');
    expect(await page.evaluate(() => sessionStorage.getItem('jessica.token'))).toBe('tab-token-123');
    await expect.poll(() => page.locator('#compose-voice').inputValue()).toBe('Jessica');

    await page.reload();
    await waitForState(page, 'live');
    expect(await dialog.isVisible()).toBe(false);
    expect(server.listeners()).toBe(1);
  });

  it('says off-hours when the WebSocket is refused and health reports the Lambda path', async () => {
    const server = await serve({ target: 'lambda', refuseUpgrades: true });
    open = await openPage(browser, `${server.url}/`);
    const { page } = open;
    await waitForState(page, 'off-hours');
    expect(await page.locator('#status-detail').textContent()).toBe('Live streaming sleeps off-hours; speech still works.');
    expect(await page.locator('#compose-hint').textContent()).toContain('Off-hours');
    expect(await page.getByRole('button', { name: 'Retry now' }).isVisible()).toBe(true);
  });

  it('shows an audio.error, skips that utterance and plays the next one', async () => {
    const server = await serve();
    open = await openPage(browser, `${server.url}/`);
    const { page } = open;
    await waitForState(page, 'live');
    const broken = await server.speak('This one breaks half-way.', { failAfterBytes: 8_192 });
    const fine = await server.speak('This one is fine.');
    await waitForPlayed(page, fine.id);

    const seen = await report(page);
    expect(seen.playedIds).toEqual([fine.id]);
    expect(seen.appendedBytes[fine.id]).toBe(fine.bytes.length);
    const failed = page.locator('#history-list li', { hasText: 'This one breaks half-way.' });
    expect(await failed.getAttribute('data-status')).toBe('failed');
    expect(await failed.textContent()).toContain('ElevenLabs stopped answering.');
    expect(await page.locator('#now-notice').textContent()).toContain('ElevenLabs stopped answering.');
    expect(server.received.filter((frame) => frame.type === 'played')).toEqual([{ type: 'played', id: fine.id }]);
    expect(broken.id).not.toBe(fine.id);
    await screenshot(page, 'audio-error');
  });

  it('speaks typed text over the WebSocket with the voice picked from the keyboard', async () => {
    const server = await serve();
    open = await openPage(browser, `${server.url}/`);
    const { page } = open;
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
      .poll(() => server.received.find((frame) => frame.type === 'speak'))
      .toEqual({ type: 'speak', text: 'Typed in the compose box.', voice: 'pFZP5JQG7iQjIQuC4Bku', model: 'eleven_flash_v2_5' });
    await page.locator('#history-list li', { hasText: 'Typed in the compose box.' }).waitFor();
    await expect.poll(async () => (await report(page)).playedIds.length, { timeout: 10_000 }).toBe(1);
  });

  it('holds incoming speech when auto-play is off, and plays it on Replay', async () => {
    const server = await serve();
    open = await openPage(browser, `${server.url}/`);
    const { page } = open;
    await waitForState(page, 'live');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Play speech as soon as it arrives').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('#settings-status').textContent()).toBe('Saved.');
    await page.keyboard.press('Escape');

    await server.speak('Held until asked for.');
    const entry = page.locator('#history-list li', { hasText: 'Held until asked for.' });
    await entry.getByRole('button', { name: /^Replay/ }).waitFor();
    expect(await entry.getAttribute('data-status')).toBe('held');
    expect(await page.locator('#now').getAttribute('data-state')).toBe('idle');

    await entry.getByRole('button', { name: /^Replay/ }).click();
    await expect.poll(() => page.locator('#now').getAttribute('data-state')).toBe('speaking');
    expect(await page.locator('#now-meta').textContent()).toContain('replay');
  });

  it('fits a phone screen, in dark mode, with nothing wider than the viewport', async () => {
    const server = await serve();
    open = await openPage(browser, `${server.url}/`, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, colorScheme: 'dark', isMobile: true, hasTouch: true });
    const { page } = open;
    await waitForState(page, 'live');
    const spoken = await server.speak('Jessica reads this aloud while the words darken as they are heard.', { chunkDelayMs: 60 });
    await page.waitForFunction(() => (window as unknown as { __jessica: { currentTime(): number } }).__jessica.currentTime() > 0.6, null, { timeout: 10_000 });
    await screenshot(page, 'phone-dark-speaking');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await waitForPlayed(page, spoken.id);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.locator('#settings-dialog').waitFor({ state: 'visible' });
    await screenshot(page, 'phone-dark-settings', { fullPage: false });
  });
});

describe('page under a strict autoplay policy', () => {
  let browser: Browser;
  let server: StubServer;
  let open: OpenPage | undefined;

  beforeAll(async () => {
    [browser, server] = await Promise.all([launchBrowser({ autoplay: false }), startStubServer()]);
  });
  afterAll(async () => {
    await open?.close();
    await browser?.close();
    await server?.close();
  });

  it('offers Enable audio before anything arrives, holds speech until the click, then plays it', async () => {
    // Playwright runs every query as if the user had just clicked, which would lift the autoplay
    // block by itself. So the page is left alone until its speech is held, and watched from the
    // server side; once the player waits for the button, a query no longer changes anything.
    open = await openPage(browser, `${server.url}/`);
    const { page } = open;
    await expect.poll(() => server.listeners(), { timeout: 10_000 }).toBe(1);
    const held = await server.speak('Waiting for a click.');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(server.received.filter((frame) => frame.type === 'played')).toEqual([]);

    const button = page.getByRole('button', { name: 'Enable audio' });
    expect(await button.isVisible()).toBe(true);
    expect(await page.locator('#now').getAttribute('data-state')).toBe('blocked');
    expect(await page.locator('#history-list li').first().getAttribute('data-status')).toBe('playing');
    expect(await page.locator('#now-spoken').textContent()).toBe('');
    await screenshot(page, 'enable-audio');

    await button.click();
    await waitForPlayed(page, held.id);
    expect(await button.isVisible()).toBe(false);
    expect(open.errors).toEqual([]);
  });
});
