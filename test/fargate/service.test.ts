import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnTs } from '../support/process.js';

/** A strict reader for the plist subset launchd uses: throws on any tag that does not nest. */
function parsePlist(text: string): unknown {
  const body = text.replace(/^<\?xml[^>]*\?>\s*<!DOCTYPE plist[^>]*>\s*/, '');
  const tokens = body.match(/<[^>]+>|[^<]+/g) ?? [];
  let at = 0;
  const next = () => tokens[at++]?.trim() ?? '';
  const peek = () => {
    while (at < tokens.length && tokens[at]!.trim() === '') at += 1;
    return tokens[at]?.trim() ?? '';
  };
  const unescape = (value: string) => value.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  const textUntil = (close: string) => {
    let value = '';
    while (peek() !== close) {
      const token = tokens[at++];
      if (token === undefined || token.startsWith('<')) throw new Error(`expected ${close}, got ${token}`);
      value += token;
    }
    at += 1;
    return unescape(value);
  };
  const value = (): unknown => {
    const open = (peek(), next());
    if (open === '<true/>') return true;
    if (open === '<false/>') return false;
    if (open === '<string>') return textUntil('</string>');
    if (open === '<array>') {
      const items: unknown[] = [];
      while (peek() !== '</array>') items.push(value());
      next();
      return items;
    }
    if (open === '<dict>') {
      const dict: Record<string, unknown> = {};
      while (peek() !== '</dict>') {
        if (next() !== '<key>') throw new Error('expected <key>');
        const key = textUntil('</key>');
        dict[key] = value();
      }
      next();
      return dict;
    }
    throw new Error(`unexpected ${open}`);
  };
  if ((peek(), next()) !== '<plist version="1.0">') throw new Error('expected <plist version="1.0">');
  const root = value();
  if ((peek(), next()) !== '</plist>' || peek() !== '') throw new Error('trailing content after the root dict');
  return root;
}

describe('jessica service', () => {
  let home: string;
  let env: Record<string, string>;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'jessica-home-'));
    // Never the real user's home: every path the command writes derives from these.
    env = { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') };
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  async function cli(args: string[]) {
    const child = spawnTs('fargate/cli.ts', args, env);
    const { code } = await child.exited;
    return { code, output: child.output() };
  }

  it('install --print: a systemd unit that runs serve with the env file, absolute paths, valid for systemd-analyze', async (context) => {
    const { code, output } = await cli(['service', 'install', '--print', '--platform', 'linux']);
    expect(code).toBe(0);
    const execStart = /^ExecStart=(.+)$/m.exec(output)?.[1]?.split(' ') ?? [];
    expect(execStart).toHaveLength(3);
    expect(execStart[0]).toBe(process.execPath);
    expect(execStart[1]).toMatch(/\/dist\/fargate\/cli\.js$/);
    expect(execStart[2]).toBe('serve');
    expect(execStart.slice(0, 2).every(isAbsolute)).toBe(true);
    expect(output).toContain(`EnvironmentFile=-${join(home, '.config', 'jessica', 'env')}`);
    expect(output).toMatch(/^WantedBy=default\.target$/m);
    // --print writes nothing.
    expect(existsSync(join(home, 'xdg', 'systemd', 'user', 'jessica.service'))).toBe(false);

    if (spawnSync('systemd-analyze', ['--version']).error) {
      context.skip('systemd-analyze is not installed; the unit was checked by its fields only');
    }
    const unit = join(home, 'jessica.service');
    writeFileSync(unit, output);
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(`${verify.stdout}${verify.stderr}`).toBe('');
    expect(verify.status).toBe(0);
  });

  it('install --print on macOS: a well-formed launchd plist that runs serve at login', async () => {
    const { code, output } = await cli(['service', 'install', '--print', '--platform', 'darwin']);
    expect(code).toBe(0);
    const plist = parsePlist(output) as Record<string, unknown>;
    expect(plist['Label']).toBe('dev.jessica.server');
    const program = plist['ProgramArguments'] as string[];
    expect(program[0]).toBe(process.execPath);
    expect(program[1]).toMatch(/\/dist\/fargate\/cli\.js$/);
    expect(program[2]).toBe('serve');
    expect(program.slice(0, 2).every(isAbsolute)).toBe(true);
    expect(plist['EnvironmentVariables']).toEqual({ JESSICA_ENV_FILE: join(home, '.config', 'jessica', 'env') });
    expect(plist['RunAtLoad']).toBe(true);
    expect(isAbsolute(plist['StandardOutPath'] as string)).toBe(true);
  });

  it('install --no-start writes the unit and a private env file; status and uninstall see it', async () => {
    const installed = await cli(['service', 'install', '--no-start', '--platform', 'linux']);
    expect(installed.code, installed.output).toBe(0);
    const unitFile = join(home, 'xdg', 'systemd', 'user', 'jessica.service');
    const envFile = join(home, '.config', 'jessica', 'env');
    expect(readFileSync(unitFile, 'utf8')).toContain('ExecStart=');
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(envFile, 'utf8')).toMatch(/^# ELEVENLABS_API_KEY=/m);

    const uninstalled = await cli(['service', 'uninstall', '--no-start', '--platform', 'linux']);
    expect(uninstalled.code).toBe(0);
    expect(existsSync(unitFile)).toBe(false);
    expect(existsSync(envFile)).toBe(true);
    const status = await cli(['service', 'status', '--platform', 'linux']);
    expect(status.code).toBe(4);
    expect(status.output).toMatch(/not installed/);
  });

  it('install makes an existing env file private and keeps its content', async () => {
    const envFile = join(home, '.config', 'jessica', 'env');
    await cli(['service', 'install', '--no-start', '--platform', 'darwin']);
    writeFileSync(envFile, 'ELEVENLABS_API_KEY=sk_kept\n');
    chmodSync(envFile, 0o644);
    const again = await cli(['service', 'install', '--no-start', '--platform', 'darwin']);
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/private \(mode 600\)/);
    expect(again.output).not.toContain('sk_kept');
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(envFile, 'utf8')).toBe('ELEVENLABS_API_KEY=sk_kept\n');
    expect(existsSync(join(home, 'Library', 'LaunchAgents', 'dev.jessica.server.plist'))).toBe(true);
  });

  it('refuses an unknown action with a usage error', async () => {
    const { code, output } = await cli(['service', 'restart', '--platform', 'linux']);
    expect(code).toBe(2);
    expect(output).toMatch(/expected install, uninstall or status/);
  });
});
