import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The user's environment file, `~/.config/jessica/env` (`JESSICA_ENV_FILE` overrides): where the
 * ElevenLabs key can live instead of the shell. The service unit reads it, and so do
 * `jessica serve`, `npm start` and `jessica doctor`, so all of them see the same configuration.
 */
export function userEnvFile(env: Env): string {
  return env['JESSICA_ENV_FILE'] || join(env['HOME'] || homedir(), '.config', 'jessica', 'env');
}

/** `NAME=value` lines (`export ` allowed, `#` comments, optional quotes), as systemd reads them. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim().replace(/^export\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) value = value.slice(1, -1);
    values[match[1]!] = value;
  }
  return values;
}

/** Reads the file; undefined when there is none. */
export function readUserEnv(path: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseEnvFile(text);
}

/** The environment with the file's values filling what it leaves unset: the environment wins. */
export function withUserEnv(env: Env): Record<string, string | undefined> {
  const file = readUserEnv(userEnvFile(env)) ?? {};
  const merged: Record<string, string | undefined> = { ...file };
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') merged[name] = value;
  return merged;
}
