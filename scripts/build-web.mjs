#!/usr/bin/env node
// Builds the browser page into web/dist: one minified script, one stylesheet, the static
// index.html and a default config.json whose relative URLs work under any root path.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('../web/', import.meta.url));
const out = `${root}dist/`;
/** Budget for what a phone downloads before the page can speak. */
const GZIP_BUDGET_BYTES = 100 * 1024;

const DEFAULT_CONFIG = { apiBase: './api/v1', wsUrl: './ws', healthUrl: './health' };

const started = performance.now();
// Stale files from an earlier build would otherwise be served alongside the new ones.
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

await build({
  entryPoints: { app: `${root}src/main.ts`, styles: `${root}styles.css` },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
await copyFile(`${root}index.html`, `${out}index.html`);
await writeFile(`${out}config.json`, `${JSON.stringify(DEFAULT_CONFIG, null, 2)}\n`);

let gzippedTotal = 0;
const rows = [];
for (const name of ['app.js', 'styles.css', 'index.html']) {
  const bytes = await readFile(`${out}${name}`);
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  if (name !== 'index.html') gzippedTotal += gzipped;
  rows.push(`  ${name.padEnd(11)} ${kb(bytes.length).padStart(9)} raw ${kb(gzipped).padStart(9)} gzipped`);
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
