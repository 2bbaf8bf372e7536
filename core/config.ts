import { homedir } from 'node:os';
import { join } from 'node:path';
import { hostName, LOOPBACK_HOST_NAMES, type HostPolicy } from './http/host.js';

/** Deployment configuration, read once from the environment. User settings live in a store. */
export interface Config {
  readonly target: Target;
  /** Never logged, never echoed. Absent: synthesis answers 503 upstream_not_configured. */
  readonly elevenLabsApiKey: string | undefined;
  readonly elevenLabsApiKeyParam: string | undefined;
  readonly elevenLabsBaseUrl: string;
  readonly host: string;
  readonly port: number;
  /** '' or a path like '/jessica' (no trailing slash). */
  readonly rootPath: string;
  /** Bearer tokens by principal; undefined when auth is off (loopback only). */
  readonly tokens: ReadonlyArray<{ readonly principal: string; readonly token: string }> | undefined;
  readonly allowAnonymous: boolean;
  /** Undefined: same origin only. */
  readonly allowedOrigins: readonly string[] | undefined;
  /** The `Host` values served (DNS-rebinding protection), from JESSICA_ALLOWED_HOSTS or derived. */
  readonly allowedHosts: HostPolicy;
  readonly settings: SettingsLocation;
  readonly logLevel: LogLevel;
  /** `LOG_FORMAT`; undefined: the adapter decides (pretty on a terminal, JSON otherwise). */
  readonly logFormat: LogFormat | undefined;
  readonly maxTextLength: number;
  readonly upstreamTimeoutMs: number;
  readonly upstreamConcurrency: number;
  readonly upstreamRetries: number;
  readonly drainTimeoutMs: number;
  readonly cacheBytes: number;
  readonly catalogTtlMs: number;
  /** Synthesis requests that reach the upstream (they spend the user's credits), per principal and minute. */
  readonly rateLimitPerMinute: number;
  /** Characters sent upstream per principal and minute. */
  readonly characterLimitPerMinute: number;
  /** Every request, spending or not, per principal and minute: a ceiling against floods only. */
  readonly floodLimitPerMinute: number;
  /** Where the page lives, for messages that tell a user what to open. */
  readonly publicUrl: string | undefined;
  readonly pubsubUrl: string | undefined;
}

export type Target = 'fargate' | 'lambda';
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
export type LogFormat = 'json' | 'pretty';
export type SettingsLocation =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'memory' }
  | { readonly kind: 'dynamodb'; readonly table: string };

/** A configuration value is missing or malformed; the message names the variable. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

type Env = Readonly<Record<string, string | undefined>>;

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string): boolean {
  const raw = text(env, name);
  if (raw === undefined) return false;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

function parseUrl(name: string, raw: string, protocols: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `not a valid URL: "${raw}"`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${url.protocol}"`);
  }
  return url;
}

function parseRootPath(raw: string | undefined): string {
  if (raw === undefined || raw === '/') return '';
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(raw)) {
    throw new ConfigError('ROOT_PATH', `expected a path starting with "/", got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

function parseTokens(raw: string | undefined): Config['tokens'] {
  if (raw === undefined) return undefined;
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  const seen = new Set<string>();
  const tokens = entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const principal = colon > 0 ? entry.slice(0, colon).trim() : '';
    const token = colon > 0 ? entry.slice(colon + 1).trim() : '';
    // The message names the position, never the token itself.
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(principal) || token.length < 8) {
      throw new ConfigError(
        'JESSICA_TOKENS',
        `entry ${index + 1} must be name:token (name of letters, digits, . _ @ -; token of 8 characters or more)`,
      );
    }
    if (seen.has(principal)) throw new ConfigError('JESSICA_TOKENS', `principal "${principal}" appears twice`);
    seen.add(principal);
    return Object.freeze({ principal, token });
  });
  if (tokens.length === 0) throw new ConfigError('JESSICA_TOKENS', 'is set but names no token');
  return Object.freeze(tokens);
}

function parseOrigins(raw: string | undefined): readonly string[] | undefined {
  if (raw === undefined) return undefined;
  const origins = raw.split(',').map((origin) => origin.trim()).filter(Boolean);
  for (const origin of origins) {
    if (origin === '*') throw new ConfigError('JESSICA_ALLOWED_ORIGINS', 'a wildcard is not allowed; list the origins');
    const url = parseUrl('JESSICA_ALLOWED_ORIGINS', origin, ['http:', 'https:']);
    if (url.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError('JESSICA_ALLOWED_ORIGINS', `"${origin}" is not an origin (scheme://host[:port])`);
    }
  }
  return Object.freeze(origins.map((origin) => origin.replace(/\/$/, '')));
}

/**
 * JESSICA_ALLOWED_HOSTS: comma-separated host names (a port is ignored), `.example.com` for any
 * name below it, or `*` (only with tokens) for a proxy in front that rewrites Host. Unset: the
 * hosts of JESSICA_PUBLIC_URL and of each allowed origin. The loopback names are always served;
 * IP literals too when the server is bound beyond loopback.
 */
function parseAllowedHosts(
  raw: string | undefined,
  context: { bindHost: string; publicUrl: URL | undefined; origins: readonly string[] | undefined; tokens: Config['tokens'] },
): HostPolicy {
  const names = new Set(LOOPBACK_HOST_NAMES);
  const suffixes: string[] = [];
  if (raw === undefined) {
    for (const url of [context.publicUrl, ...(context.origins ?? []).map((origin) => new URL(origin))]) {
      if (url) names.add(url.hostname.toLowerCase());
    }
  } else {
    const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
    if (entries.includes('*')) {
      if (entries.length > 1) throw new ConfigError('JESSICA_ALLOWED_HOSTS', '"*" stands alone; list host names or use "*" only');
      if (context.tokens === undefined) throw new ConfigError('JESSICA_ALLOWED_HOSTS', '"*" needs JESSICA_TOKENS: without tokens any web page could call this server');
      return Object.freeze({ any: true });
    }
    for (const entry of entries) {
      const suffix = entry.startsWith('.');
      const name = hostName(suffix ? entry.slice(1) : entry);
      if (name === undefined) throw new ConfigError('JESSICA_ALLOWED_HOSTS', `"${entry}" is not a host name`);
      if (suffix) suffixes.push(`.${name}`);
      else names.add(name);
    }
  }
  return Object.freeze({ any: false, names, suffixes: Object.freeze(suffixes), ipLiterals: !isLoopbackHost(context.bindHost) });
}

function parseSettings(raw: string | undefined, home: string): SettingsLocation {
  if (raw === undefined) return { kind: 'file', path: join(home, '.config', 'jessica', 'settings.json') };
  if (raw === 'memory:') return { kind: 'memory' };
  if (raw.startsWith('file:') && raw.length > 'file:'.length) return { kind: 'file', path: raw.slice('file:'.length) };
  if (raw.startsWith('dynamodb:') && /^dynamodb:[A-Za-z0-9_.-]{3,255}$/.test(raw)) {
    return { kind: 'dynamodb', table: raw.slice('dynamodb:'.length) };
  }
  throw new ConfigError('JESSICA_SETTINGS', `expected file:<path>, memory: or dynamodb:<table>, got "${raw}"`);
}

function parseLogLevel(raw: string | undefined): LogLevel {
  const level = (raw ?? 'info').toUpperCase();
  if (level === 'WARNING') return 'WARN';
  if (level === 'DEBUG' || level === 'INFO' || level === 'WARN' || level === 'ERROR' || level === 'SILENT') return level;
  throw new ConfigError('LOG_LEVEL', `expected debug, info, warn, error or silent, got "${raw}"`);
}

function parseLogFormat(raw: string | undefined): LogFormat | undefined {
  if (raw === undefined) return undefined;
  const format = raw.toLowerCase();
  if (format === 'json' || format === 'pretty') return format;
  throw new ConfigError('LOG_FORMAT', `expected json or pretty, got "${raw}"`);
}

/**
 * Reads, validates and freezes the configuration. Fails fast with a message naming the
 * variable. `target: 'lambda'` treats the service as publicly reachable, so it needs tokens
 * (or an explicit `JESSICA_ALLOW_ANONYMOUS=true`) whatever `HOST` says.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Env, options: { target?: Target; home?: string } = {}): Config {
  const target = options.target ?? 'fargate';
  const host = text(env, 'HOST') ?? '127.0.0.1';
  const tokens = parseTokens(text(env, 'JESSICA_TOKENS'));
  const allowAnonymous = bool(env, 'JESSICA_ALLOW_ANONYMOUS');
  const reachable = target === 'lambda' || !isLoopbackHost(host);
  if (reachable && tokens === undefined && !allowAnonymous) {
    throw new ConfigError(
      'JESSICA_TOKENS',
      target === 'lambda'
        ? 'required on Lambda (or set JESSICA_ALLOW_ANONYMOUS=true to serve without auth)'
        : `required when HOST=${host} is not a loopback address (or set JESSICA_ALLOW_ANONYMOUS=true)`,
    );
  }
  const baseUrl = parseUrl('ELEVENLABS_BASE_URL', text(env, 'ELEVENLABS_BASE_URL') ?? 'https://api.elevenlabs.io', [
    'http:',
    'https:',
  ]);
  const publicUrlText = text(env, 'JESSICA_PUBLIC_URL');
  const publicUrl = publicUrlText === undefined ? undefined : parseUrl('JESSICA_PUBLIC_URL', publicUrlText, ['http:', 'https:']);
  const allowedOrigins = parseOrigins(text(env, 'JESSICA_ALLOWED_ORIGINS'));
  const pubsubUrl = text(env, 'JESSICA_PUBSUB');
  return Object.freeze({
    target,
    elevenLabsApiKey: text(env, 'ELEVENLABS_API_KEY'),
    elevenLabsApiKeyParam: text(env, 'ELEVENLABS_API_KEY_PARAM'),
    elevenLabsBaseUrl: baseUrl.toString().replace(/\/+$/, ''),
    host,
    port: integer(env, 'PORT', 9020, 0, 65535),
    rootPath: parseRootPath(text(env, 'ROOT_PATH')),
    tokens,
    allowAnonymous,
    allowedOrigins,
    allowedHosts: parseAllowedHosts(text(env, 'JESSICA_ALLOWED_HOSTS'), { bindHost: host, publicUrl, origins: allowedOrigins, tokens }),
    settings: parseSettings(text(env, 'JESSICA_SETTINGS'), options.home ?? homedir()),
    logLevel: parseLogLevel(text(env, 'LOG_LEVEL')),
    logFormat: parseLogFormat(text(env, 'LOG_FORMAT')),
    maxTextLength: integer(env, 'JESSICA_MAX_TEXT', 20_000, 1, 1_000_000),
    upstreamTimeoutMs: integer(env, 'JESSICA_UPSTREAM_TIMEOUT_MS', 15_000, 100, 600_000),
    upstreamConcurrency: integer(env, 'JESSICA_UPSTREAM_CONCURRENCY', 4, 1, 100),
    upstreamRetries: integer(env, 'JESSICA_UPSTREAM_RETRIES', 2, 0, 10),
    drainTimeoutMs: integer(env, 'JESSICA_DRAIN_TIMEOUT_MS', 25_000, 0, 600_000),
    cacheBytes: integer(env, 'JESSICA_CACHE_BYTES', 32 * 1024 * 1024, 0, 2 ** 31),
    catalogTtlMs: integer(env, 'JESSICA_CATALOG_TTL_MS', 5 * 60_000, 0, 24 * 3_600_000),
    rateLimitPerMinute: integer(env, 'JESSICA_RATE_LIMIT', 600, 1, 1_000_000),
    characterLimitPerMinute: integer(env, 'JESSICA_CHARACTER_LIMIT', 100_000, 1, 100_000_000),
    floodLimitPerMinute: integer(env, 'JESSICA_FLOOD_LIMIT', 12_000, 1, 10_000_000),
    publicUrl: publicUrl?.toString(),
    pubsubUrl: pubsubUrl === undefined ? undefined : parseUrl('JESSICA_PUBSUB', pubsubUrl, ['redis:', 'rediss:']).toString(),
  });
}
