import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUDIO_FIXTURES } from '../fake-elevenlabs/index.js';
import { closeAfterTest, keptBytes, launchBrowser, openPage, report, screenshot, waitForPlayed, waitForState, type OpenPage } from './support/browser.js';
import { startLiveStack, type LiveStack } from './support/live-stack.js';

describe('the page against the live server', () => {
  let browser: Browser;
  let stack: LiveStack;
  let open: OpenPage | undefined;

  const visit = async (options: Parameters<typeof openPage>[2] = {}): Promise<OpenPage> => {
    open = await openPage(browser, stack.pageUrl(), options);
    return open;
  };
  const sentFor = (text: string): Buffer => {
    const sent = stack.fake.sentAudio.filter((audio) => audio.text === text && audio.completed).at(-1);
    if (!sent) throw new Error(`the fake sent no audio for "${text}"`);
    return sent.bytes;
  };

  beforeAll(async () => {
    [browser, stack] = await Promise.all([launchBrowser(), startLiveStack()]);
  });
  afterEach(async (context) => {
    await closeAfterTest(open, context);
    open = undefined;
    stack.fake.reset();
    stack.played.length = 0;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('plays a POST /speak as it streams: every byte the upstream sent reaches the decoder, playback advances, the server hears played', async () => {
    stack.fake.configure({ chunkDelayMs: 50, chunkSize: 2048 });
    const { page } = await visit();
    await waitForState(page, 'live');
    expect(await page.locator('#status-label').textContent()).toBe('Live');
    await screenshot(page, 'live-idle');

    const id = await stack.speak('Hello from the test.');
    await page.waitForFunction(() => (window as unknown as { __jessica: { currentTime(): number } }).__jessica.currentTime() > 0.2, null, { timeout: 10_000 });
    await expect.poll(() => page.locator('#now-spoken').textContent()).not.toBe('');
    await screenshot(page, 'live-speaking');
    await waitForPlayed(page, id);

    const sent = sentFor('Hello from the test.');
    const seen = await report(page);
    expect(seen.appendedBytes[id]).toBe(sent.length);
    expect(seen.playedSeconds[id]).toBeGreaterThan(1);
    const kept = await keptBytes(page, 'Hello from the test.');
    expect(kept.bytes.equals(sent)).toBe(true);
    expect(kept.filename).toMatch(/^jessica-\d{8}-\d{6}\.mp3$/);
    await expect.poll(() => stack.played).toEqual([id]);
  });

  it('plays two utterances in order, one after the other', async () => {
    const { page } = await visit();
    await waitForState(page, 'live');
    // Eight characters or fewer: the fake answers with its 0.8 s clip, which keeps the suite quick.
    const first = await stack.speak('One.');
    const second = await stack.speak('Two.');
    await page.waitForFunction(() => document.querySelector('#now-queue')?.textContent === '1 more waiting', null, { timeout: 10_000 });
    await screenshot(page, 'live-queue');
    await waitForPlayed(page, second);

    const seen = await report(page);
    expect(seen.playedIds).toEqual([first, second]);
    expect(seen.appendedBytes[first]).toBe(sentFor('One.').length);
    expect(seen.appendedBytes[second]).toBe(sentFor('Two.').length);
    await expect.poll(() => stack.played).toEqual([first, second]);
    expect(await page.locator('#history-list li').count()).toBe(2);
    expect(await page.locator('#history-list li').first().textContent()).toContain('Two.');
  });

  it('stops at once when Stop is pressed, and the next utterance still plays', async () => {
    stack.fake.configure({ audio: AUDIO_FIXTURES.long, chunkDelayMs: 20 });
    const { page } = await visit();
    await waitForState(page, 'live');
    const long = await stack.speak('A long utterance that will be cut short.');
    await page.waitForFunction(() => (window as unknown as { __jessica: { currentTime(): number } }).__jessica.currentTime() > 0.3, null, { timeout: 10_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => stack.stops()).toBe(1);

    await expect.poll(() => page.locator('#now').getAttribute('data-state')).toBe('idle');
    await expect.poll(() => page.locator('#history-list li').first().getAttribute('data-status')).toBe('stopped');
    await page.waitForTimeout(400);
    const stopped = await report(page);
    expect(stopped.currentTime).toBe(0);
    expect(stopped.playedIds).not.toContain(long);
    expect(stopped.playedSeconds[long]).toBeLessThan(5);
    expect(stack.played).not.toContain(long);

    stack.fake.configure({ audio: AUDIO_FIXTURES.short, chunkDelayMs: 0 });
    const next = await stack.speak('Done.');
    await waitForPlayed(page, next);
  });

  it('keeps settings saved in the panel across a reload', async () => {
    const { page } = await visit();
    await waitForState(page, 'live');
    await page.getByRole('button', { name: 'Settings' }).click();
    const panel = page.locator('#settings-dialog');
    await panel.waitFor({ state: 'visible' });
    await screenshot(page, 'settings', { fullPage: false });

    const voice = panel.getByRole('combobox', { name: 'Voice' });
    await voice.fill('geo');
    await panel.getByRole('option', { name: /George/ }).waitFor({ state: 'visible' });
    await voice.press('Enter');
    expect(await voice.inputValue()).toBe('George');
    await panel.getByLabel('Stability').fill('0.3');
    await panel.getByLabel('Speed').fill('1.1');
    await panel.getByLabel('Speaker boost').uncheck();
    await panel.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => panel.locator('#settings-status').textContent(), { timeout: 5_000 }).toBe('Saved.');

    await page.reload();
    await waitForState(page, 'live');
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect.poll(() => panel.getByRole('combobox', { name: 'Voice' }).inputValue()).toBe('George');
    expect(await panel.getByLabel('Stability').inputValue()).toBe('0.3');
    expect(await panel.getByLabel('Speed').inputValue()).toBe('1.1');
    expect(await panel.getByLabel('Speaker boost').isChecked()).toBe(false);
    expect(await panel.locator('#vs-stability-value').textContent()).toBe('0.30');
    // The compose box follows the new default voice.
    await panel.getByRole('button', { name: 'Close settings' }).click();
    expect(await page.locator('#compose-voice').inputValue()).toBe('George');

    const stored = (await (await fetch(`${stack.pageUrl()}api/v1/settings`)).json()) as { default_voice_id: string; voice_settings: Record<string, unknown> };
    // Only what the user changed is stored; the rest stays the voice's own.
    expect(stored.voice_settings).toEqual({ stability: 0.3, speed: 1.1, use_speaker_boost: false });
    // Leave the shared server's settings as the other tests expect them.
    await fetch(`${stack.pageUrl()}api/v1/settings`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ default_voice_id: 'cgSgspJ2msm6clMCkdW9', voice_settings: null }),
    });
  });

  it("shows the voice's own settings while none are set, marks what the user changed, and hands them back to the voice", async () => {
    const { page } = await visit();
    await waitForState(page, 'live');
    await page.getByRole('button', { name: 'Settings' }).click();
    const panel = page.locator('#settings-dialog');
    await panel.waitFor({ state: 'visible' });
    const voice = panel.getByRole('combobox', { name: 'Voice' });
    await voice.fill('narr');
    await panel.getByRole('option', { name: /My Narrator/ }).click();
    expect(await voice.inputValue()).toBe('My Narrator');
    // My Narrator is stored at the upstream with stability 0.6 and similarity 0.8.
    await expect.poll(() => panel.getByLabel('Stability').inputValue()).toBe('0.6');
    expect(await panel.getByLabel('Similarity').inputValue()).toBe('0.8');
    expect(await panel.locator('#vs-source').textContent()).toBe("The voice's own settings apply.");
    expect(await panel.locator('.mark:not([hidden])').count()).toBe(0);
    expect(await panel.getByRole('button', { name: "Use the voice's own settings" }).isHidden()).toBe(true);
    expect(stack.fake.requests.some((request) => request.path === '/v1/voices/kP3nWq8RzT1vLm6sXy0D/settings')).toBe(true);

    await panel.getByLabel('Speed').fill('1.15');
    expect(await panel.locator('#vs-speed-mark').isVisible()).toBe(true);
    expect(await panel.locator('#vs-stability-mark').isVisible()).toBe(false);
    await panel.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => panel.locator('#settings-status').textContent(), { timeout: 5_000 }).toBe('Saved.');
    const settingsUrl = `${stack.pageUrl()}api/v1/settings`;
    const saved = (await (await fetch(settingsUrl)).json()) as { default_voice_id: string; voice_settings: unknown };
    expect(saved).toMatchObject({ default_voice_id: 'kP3nWq8RzT1vLm6sXy0D', voice_settings: { speed: 1.15 } });
    expect(await panel.locator('#vs-source').textContent()).toBe("You changed speed; the rest is the voice's own.");
    expect(await panel.locator('#vs-speed-mark').isVisible()).toBe(true);

    await panel.getByRole('button', { name: "Use the voice's own settings" }).click();
    await expect.poll(() => panel.locator('#settings-status').textContent(), { timeout: 5_000 }).toBe("Saved: the voice's own settings apply.");
    expect(((await (await fetch(settingsUrl)).json()) as { voice_settings: unknown }).voice_settings).toBeNull();
    expect(await panel.getByLabel('Speed').inputValue()).toBe('1');
    expect(await panel.locator('.mark:not([hidden])').count()).toBe(0);
    await fetch(settingsUrl, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ default_voice_id: 'cgSgspJ2msm6clMCkdW9' }) });
  });

  it('reconnects to live after the server restarts on the same port', async () => {
    const { page } = await visit();
    await waitForState(page, 'live');
    await stack.server.close();
    await waitForState(page, 'offline');
    expect(await page.locator('#status-label').textContent()).toBe('Offline');
    await screenshot(page, 'offline');

    await stack.restart();
    await waitForState(page, 'live', 15_000);
    const id = await stack.speak('Back.');
    await waitForPlayed(page, id);
  });

  it('falls back to REST when the WebSocket is unreachable: shows off-hours and the compose box still speaks', async () => {
    const closedPort = await unusedPort();
    // The page's CSP would block a WebSocket to another port before it is even tried; bypassing it
    // lets the browser really knock on a closed port, which is what this test is about.
    open = await openPage(browser, undefined, { bypassCSP: true });
    const { page } = open;
    await page.route('**/config.json', (route) =>
      route.fulfill({ json: { apiBase: './api/v1', wsUrl: `ws://127.0.0.1:${closedPort}/ws`, healthUrl: './health' } }),
    );
    await page.goto(stack.pageUrl());
    await waitForState(page, 'off-hours');
    expect(await page.locator('#status-label').textContent()).toBe('Off-hours');

    await page.getByLabel('Text to speak').fill('Via REST');
    await page.getByRole('button', { name: 'Speak' }).click();
    await page.locator('#history-list li').first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'off-hours');
    // The REST path has no audio.start: the page learns the id from X-Jessica-Utterance-Id.
    await expect.poll(async () => Object.keys((await report(page)).appendedBytes).length, { timeout: 10_000 }).toBe(1);
    const [id] = Object.keys((await report(page)).appendedBytes) as [string];
    await waitForPlayed(page, id);

    const sent = sentFor('Via REST');
    const seen = await report(page);
    expect(seen.appendedBytes[id]).toBe(sent.length);
    expect(seen.playedSeconds[id]).toBeGreaterThan(0.5);
    expect((await keptBytes(page, 'Via REST')).bytes.equals(sent)).toBe(true);
  });
});

/** A port nothing listens on: bind one, note it, let it go. */
async function unusedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
