import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveStack, type LiveStack } from './support/live-stack.js';

/**
 * The built page as the live server hands it out: the script and stylesheet under content-hashed
 * names that browsers may keep for a year, the HTML that names them revalidated on every load.
 */

const IMMUTABLE = 'public, max-age=31536000, immutable';
const DIST = new URL('../../web/dist/', import.meta.url);

describe('the page assets from the live server', () => {
  let stack: LiveStack;
  let html: string;
  let htmlHeaders: Headers;

  /** The `./…` script and stylesheet the page links. */
  const linked = (): { script: string; style: string } => {
    const script = /<script type="module" src="\.\/([^"]+)"/.exec(html)?.[1];
    const style = /<link rel="stylesheet" href="\.\/([^"]+)"/.exec(html)?.[1];
    if (!script || !style) throw new Error(`index.html links no script or stylesheet:\n${html}`);
    return { script, style };
  };

  beforeAll(async () => {
    stack = await startLiveStack();
    const response = await fetch(stack.pageUrl());
    expect(response.status).toBe(200);
    htmlHeaders = response.headers;
    html = await response.text();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('links a script and a stylesheet named by their content hash, and the build wrote nothing under the old fixed names', () => {
    const { script, style } = linked();
    expect(script).toMatch(/^app\.[A-Z0-9]{8}\.js$/);
    expect(style).toMatch(/^styles\.[A-Z0-9]{8}\.css$/);
    const built = readdirSync(DIST);
    expect(built).toEqual(expect.arrayContaining([script, style, 'index.html', 'config.json']));
    expect(built).not.toContain('app.js');
    expect(built).not.toContain('styles.css');
  });

  it('serves the hashed script and stylesheet immutable for a year, with the page security headers', async () => {
    const { script, style } = linked();
    for (const [name, type] of [
      [script, /^text\/javascript/],
      [style, /^text\/css/],
    ] as const) {
      const response = await fetch(new URL(name, stack.pageUrl()));
      expect(response.status, name).toBe(200);
      expect(response.headers.get('cache-control'), name).toBe(IMMUTABLE);
      expect(response.headers.get('content-type'), name).toMatch(type);
      expect(response.headers.get('content-security-policy'), name).toContain("default-src 'self'");
      expect((await response.text()).length, name).toBeGreaterThan(1000);
    }
  });

  it('revalidates the HTML on every load, at the root path and by its name', async () => {
    expect(htmlHeaders.get('cache-control')).toBe('no-cache');
    expect(htmlHeaders.get('content-type')).toMatch(/^text\/html/);
    const byName = await fetch(new URL('index.html', stack.pageUrl()));
    expect(byName.status).toBe(200);
    expect(byName.headers.get('cache-control')).toBe('no-cache');
    await byName.arrayBuffer();
  });

  it('never lets config.json be kept: it says where this server lives', async () => {
    const response = await fetch(new URL('config.json', stack.pageUrl()));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toMatch(/^no-(cache|store)$/);
    expect(await response.json()).toMatchObject({ apiBase: './api/v1', wsUrl: './ws' });
  });

  it('keeps source maps out of the year-long cache (their names follow the script, not their own content)', async () => {
    const { script } = linked();
    const response = await fetch(new URL(`${script}.map`, stack.pageUrl()));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).not.toContain('immutable');
    await response.arrayBuffer();
  });
});
