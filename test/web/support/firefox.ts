import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { readView, type PageReport } from './browser.js';

const run = promisify(execFile);

/** Debian's Firefox ESR; `FIREFOX_PATH` points elsewhere. */
export const FIREFOX_PATH = process.env['FIREFOX_PATH'] ?? '/usr/bin/firefox-esr';

/**
 * Why Firefox tests cannot run here, or undefined when they can. In CI a missing Firefox is a
 * failure, not a skip: `.ci/run` installs it.
 */
export function firefoxMissing(): string | undefined {
  if (existsSync(FIREFOX_PATH)) return undefined;
  const reason = `Firefox tests skipped: ${FIREFOX_PATH} is not installed (apt-get install firefox-esr pulseaudio pulseaudio-utils, or set FIREFOX_PATH)`;
  if (process.env['CI']) throw new Error(reason.replace('skipped', 'cannot run in CI'));
  return reason;
}

/** A sound server for the browser: without a sound device Firefox's Web Audio crashes the page. */
export interface SoundServer {
  /** Environment for a client of this server. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A private PulseAudio daemon with a null sink as its default, in a directory of its own, so
 * test files never share one and the machine's own audio (if any) is left alone. An already
 * reachable server named by `PULSE_SERVER` is used as it is.
 */
export async function startSoundServer(): Promise<SoundServer> {
  const given = process.env['PULSE_SERVER'];
  if (given && (await reachable({ PULSE_SERVER: given }))) return { env: { PULSE_SERVER: given }, close: () => Promise.resolve() };
  const dir = mkdtempSync(join(tmpdir(), 'jessica-pulse-'));
  // The daemon puts its socket, pid file and cookie under these; nothing lands in the real home.
  const daemonEnv: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: dir, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config') };
  delete daemonEnv['PULSE_SERVER'];
  try {
    await run('pulseaudio', ['-D', '--exit-idle-time=-1', '--disallow-exit=false', '--log-target=stderr'], { env: daemonEnv });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('Firefox needs a sound server and PulseAudio would not start (apt-get install pulseaudio pulseaudio-utils)', { cause: error });
  }
  const client = { PULSE_SERVER: `unix:${join(dir, 'pulse', 'native')}`, PULSE_COOKIE: join(dir, 'config', 'pulse', 'cookie') };
  const pactl = (...args: string[]) => run('pactl', args, { env: { ...daemonEnv, ...client } });
  await pactl('load-module', 'module-null-sink', 'sink_name=null');
  await pactl('set-default-sink', 'null');
  return {
    env: client,
    async close() {
      const pidFile = join(dir, 'pulse', 'pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
      if (Number.isInteger(pid) && pid > 0 && signal(pid, 'SIGTERM')) {
        // The daemon tidies its directory as it exits; remove it only once the daemon is gone.
        for (let waited = 0; waited < 5_000 && signal(pid, 0); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends a signal; false when the process no longer exists. */
function signal(pid: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

async function reachable(env: Record<string, string>): Promise<boolean> {
  try {
    await run('pactl', ['info'], { env: { ...process.env, ...env } });
    return true;
  } catch {
    return false;
  }
}

/** Headless Firefox over WebDriver BiDi, allowed to autoplay, playing into `sound`. */
export function launchFirefox(sound: SoundServer): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    env: { ...process.env, ...sound.env } as Record<string, string>,
    extraPrefsFirefox: { 'media.autoplay.default': 0, 'media.autoplay.blocking_policy': 0 },
  });
}

/** The same view as `report` in browser.ts, read through puppeteer. */
export function reportOf(page: Page): Promise<PageReport> {
  return page.evaluate(readView);
}

export async function waitForStateIn(page: Page, state: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((wanted) => (window as unknown as { __jessica?: { state: string } }).__jessica?.state === wanted, { timeout }, state);
}

export async function waitForPlayedIn(page: Page, id: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction((wanted) => (window as unknown as { __jessica: { playedIds: string[] } }).__jessica.playedIds.includes(wanted), { timeout }, id);
}
