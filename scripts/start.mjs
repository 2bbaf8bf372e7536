#!/usr/bin/env node
// `npm start`: builds only what is older than its sources, then runs the live server in this
// process. A second start with nothing changed costs a directory walk, not a compiler run.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (path) => join(root, path);

/** The TypeScript build: its inputs and the file tsc writes last. */
const SERVER = {
  inputs: ['core', 'fargate', 'handlers', 'tsconfig.json', 'tsconfig.build.json', 'package.json'],
  stamp: 'dist/.tsbuildinfo',
  outputs: ['dist/fargate/main.js', 'dist/fargate/cli.js'],
};
/** The page build (scripts/build-web.mjs). */
const WEB = {
  inputs: ['web/src', 'web/styles.css', 'web/index.html', 'scripts/build-web.mjs'],
  stamp: 'web/dist/index.html',
  // The script and stylesheet have content-hashed names: whichever the built index.html links.
  get outputs() {
    return ['web/dist/config.json', ...linkedAssets('web/dist/index.html')];
  },
};

/** `./name.js` and `./name.css` files an HTML file links; none when it does not exist. */
function linkedAssets(html) {
  if (!existsSync(at(html))) return [];
  const text = readFileSync(at(html), 'utf8');
  return [...text.matchAll(/(?:src|href)="\.\/([\w.-]+\.(?:js|css))"/g)].map((match) => join(dirname(html), match[1]));
}

/** Newest modification time under the given paths (files and directories, recursively). */
function newest(paths) {
  let latest = 0;
  const visit = (path) => {
    let stats;
    try {
      stats = statSync(path);
    } catch {
      return;
    }
    latest = Math.max(latest, stats.mtimeMs);
    if (stats.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  for (const path of paths) visit(at(path));
  return latest;
}

/** Stale when an output is missing or any input changed after the stamp was written. */
export function isStale(build) {
  if (![build.stamp, ...build.outputs].every((path) => existsSync(at(path)))) return true;
  return newest(build.inputs) > statSync(at(build.stamp)).mtimeMs;
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

export function buildIfStale() {
  if (isStale(SERVER)) {
    // An emitted file deleted by hand is invisible to tsc's incremental state: start clean then.
    if (!SERVER.outputs.every((path) => existsSync(at(path)))) rmSync(at(SERVER.stamp), { force: true });
    run(process.execPath, [at('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', SERVER.stamp]);
    chmodSync(at('dist/fargate/cli.js'), 0o755);
    // tsc leaves its state file alone when no output changed (a touched source): mark it fresh.
    const now = new Date();
    utimesSync(at(SERVER.stamp), now, now);
  }
  if (isStale(WEB)) run(process.execPath, [at('scripts/build-web.mjs')]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildIfStale();
  if (!process.argv.includes('--build-only')) {
    const { main } = await import(pathToFileURL(at('dist/fargate/main.js')).href);
    await main();
  }
}
