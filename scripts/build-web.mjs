#!/usr/bin/env node
// Builds the browser page into web/dist: one minified script and one stylesheet under
// content-hashed names (app.<hash>.js, styles.<hash>.css), the index.html that names them, and a
// default config.json whose relative URLs work under any root path. A hashed file never changes
// under its name, so servers may let browsers and CDNs keep it for a year (immutable); only
// index.html and config.json are revalidated on every load.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const repo = fileURLToPath(new URL('../', import.meta.url));
const root = `${repo}web/`;
const out = `${root}dist/`;
/** Budget for what a phone downloads before the page can speak. */
const GZIP_BUDGET_BYTES = 100 * 1024;

const DEFAULT_CONFIG = { apiBase: './api/v1', wsUrl: './ws', healthUrl: './health' };
/** What web/index.html links, by the entry point that replaces it. */
const ENTRIES = { app: { source: `${root}src/main.ts`, link: './app.js' }, styles: { source: `${root}styles.css`, link: './styles.css' } };

const started = performance.now();
// Stale files from an earlier build would otherwise be served alongside the new ones.
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const { metafile } = await build({
  entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, entry]) => [name, entry.source])),
  outdir: out,
  // Paths (and so the hashes) relative to the repository, whatever directory the build runs from.
  absWorkingDir: repo,
  entryNames: '[name].[hash]',
  metafile: true,
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});

/** Entry name → hashed file name, from what esbuild wrote. */
const hashed = {};
for (const [path, output] of Object.entries(metafile.outputs)) {
  if (!output.entryPoint || path.endsWith('.map')) continue;
  const name = Object.keys(ENTRIES).find((entry) => `${repo}${output.entryPoint}` === ENTRIES[entry].source);
  if (name) hashed[name] = basename(path);
}
let html = await readFile(`${root}index.html`, 'utf8');
for (const [name, entry] of Object.entries(ENTRIES)) {
  if (!hashed[name]) throw new Error(`esbuild wrote no output for ${entry.source}`);
  const linked = `"${entry.link}"`;
  if (html.split(linked).length !== 2) throw new Error(`web/index.html must reference ${entry.link} exactly once`);
  html = html.replace(linked, `"./${hashed[name]}"`);
}
await writeFile(`${out}config.json`, `${JSON.stringify(DEFAULT_CONFIG, null, 2)}\n`);
// Written last: scripts/start.mjs takes it as the stamp of a complete build.
await writeFile(`${out}index.html`, html);

let gzippedTotal = 0;
const rows = [];
for (const name of [hashed.app, hashed.styles, 'index.html']) {
  const bytes = await readFile(`${out}${name}`);
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  if (name !== 'index.html') gzippedTotal += gzipped;
  rows.push(`  ${name.padEnd(24)} ${kb(bytes.length).padStart(9)} raw ${kb(gzipped).padStart(9)} gzipped`);
}
console.log(`web/dist built in ${Math.round(performance.now() - started)} ms\n${rows.join('\n')}`);
console.log(`  JS + CSS ${kb(gzippedTotal)} gzipped (budget ${kb(GZIP_BUDGET_BYTES)})`);
if (gzippedTotal > GZIP_BUDGET_BYTES) {
  console.error(`web/dist is over its size budget: ${kb(gzippedTotal)} > ${kb(GZIP_BUDGET_BYTES)} gzipped`);
  process.exit(1);
}

function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
