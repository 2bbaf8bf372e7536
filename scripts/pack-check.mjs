#!/usr/bin/env node
// Proves the published package works on its own: packs the tarball, then from an empty
// directory runs `npx -y <tarball> serve` (the page and /health must answer) and
// `npx -y <tarball> mcp` (tools/list over stdio). Needs a prior `npm run build`; installs
// from the npm cache when it can (--prefer-offline).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'jessica-pack-'));
const STEP_TIMEOUT_MS = 180_000;

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function fail(message) {
  console.error(`pack check: ${message}`);
  process.exitCode = 1;
}

/** A clean environment: a home of its own (no env file, no settings), the npm cache kept. */
function cleanEnv(extra) {
  const home = join(work, 'home');
  return {
    PATH: process.env.PATH,
    HOME: home,
    npm_config_cache: process.env.npm_config_cache || join(process.env.HOME ?? home, '.npm'),
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...extra,
  };
}

function launch(args, env) {
  // As a user would type it, relative: npx takes an absolute path for a command, not a package.
  const child = spawn(npx, ['-y', `./${packed}`, ...args], {
    cwd: clean,
    env: cleanEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: npx runs the bin in a child, and a signal to npx alone leaves it running.
    detached: true,
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

/** Resolves with the first stdout line that `match` accepts (parsed as JSON). */
function firstLine(child, match, what) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    const onData = (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let parsed;
        try {
          parsed = JSON.parse(line);
        } catch {
          continue;
        }
        if (match(parsed)) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          resolve(parsed);
        }
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${what}`));
    });
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    process.kill(-child.pid, 'SIGTERM');
  });
}

const clean = join(work, 'clean');
mkdirSync(clean);
mkdirSync(join(work, 'home'));
// An empty directory but for the tarball: nothing else to lean on.
const packed = execFileSync(npm, ['pack', '--silent', '--pack-destination', clean], { cwd: root, encoding: 'utf8' }).trim().split('\n').at(-1);
console.log(`packed ${packed}`);

try {
  // serve: /health and the page.
  const server = launch(['serve'], { PORT: '0', JESSICA_SETTINGS: 'memory:', LOG_FORMAT: 'json' });
  try {
    const listening = await firstLine(server.child, (line) => line.message === 'jessica is listening', '"jessica is listening" log');
    const base = String(listening.url);
    const health = await (await fetch(`${base}health`)).json();
    if (health.status !== 'degraded' || health.upstream?.configured !== false) fail(`unexpected /health ${JSON.stringify(health)}`);
    const page = await fetch(base);
    const html = await page.text();
    if (page.status !== 200 || !html.includes('<html')) fail(`the page is not served from the package (HTTP ${page.status})`);
    console.log(`serve: /health ${JSON.stringify(health)}, page ${html.length} bytes`);
  } catch (error) {
    fail(`serve: ${error.message}\n${server.output()}`);
  } finally {
    await stop(server.child);
  }

  // mcp: initialize, then tools/list over stdio.
  const mcp = launch(['mcp'], { JESSICA_URL: 'http://127.0.0.1:9' });
  try {
    const send = (message) => mcp.child.stdin.write(`${JSON.stringify(message)}\n`);
    const initialized = firstLine(mcp.child, (line) => line.id === 1, 'initialize result');
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pack-check', version: '1.0.0' } },
    });
    const init = await initialized;
    if (!init.result?.serverInfo) fail(`initialize failed: ${JSON.stringify(init)}`);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const listed = firstLine(mcp.child, (line) => line.id === 2, 'tools/list result');
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    const tools = ((await listed).result?.tools ?? []).map((tool) => tool.name);
    if (!tools.includes('speak_text')) fail(`tools/list lacks speak_text: ${JSON.stringify(tools)}`);
    console.log(`mcp: ${init.result?.serverInfo?.name} ${init.result?.serverInfo?.version}, tools ${tools.join(', ')}`);
  } catch (error) {
    fail(`mcp: ${error.message}\n${mcp.output()}`);
  } finally {
    mcp.child.stdin.end();
    await stop(mcp.child);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (!process.exitCode) console.log('pack check: the tarball runs serve and mcp from a clean directory');
// Streams of a stopped group may linger for a moment; the verdict is in.
process.exit(process.exitCode ?? 0);
