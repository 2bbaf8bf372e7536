import { statSync } from 'node:fs';
import {
  composeJessica,
  ConfigError,
  isJessicaError,
  loadConfig,
  noMetrics,
  packageVersion,
  silentLogger,
  type Config,
  type Usage,
} from '../core/index.js';
import { readUserEnv, userEnvFile } from './user-env.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface DoctorOptions {
  env: Env;
  /** The server to check; default JESSICA_URL, else the address the configuration binds. */
  url?: string | undefined;
  token?: string | undefined;
  out: (text: string) => void;
}

type Outcome = 'ok' | 'warn' | 'fail' | 'skip';
interface Finding {
  outcome: Outcome;
  what: string;
  fix?: string;
}

/** What a test sentence spends: a handful of characters, once per run. */
const TEST_SENTENCE = 'Jessica is working.';
/** Below this many characters left, speech soon stops: say so before it does. */
const LOW_QUOTA = 1_000;

/**
 * `jessica doctor`: walks the path speech takes (configuration → server → key → quota → a page
 * listening) and prints each problem with its fix. Exit 0 only when speech would work. The
 * key never appears in the output: findings quote the server's error codes and messages, which
 * are secret-free by contract.
 */
export async function doctor(options: DoctorOptions): Promise<number> {
  const findings: Finding[] = [];
  const report = (finding: Finding) => {
    findings.push(finding);
    const label = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' }[finding.outcome];
    options.out(`  ${label}  ${finding.what}\n${finding.fix ? `        fix: ${finding.fix}\n` : ''}`);
  };
  options.out(`jessica doctor (${packageVersion()})\n`);

  // 1. Configuration: the environment, filled in from the env file as `serve` does.
  const envFile = userEnvFile(options.env);
  let fileValues: Record<string, string> | undefined;
  try {
    fileValues = readUserEnv(envFile);
  } catch (error) {
    report({ outcome: 'fail', what: `cannot read ${envFile}: ${(error as Error).message}`, fix: `chmod 600 ${envFile} and make it yours` });
  }
  if (fileValues) {
    const loose = (statSync(envFile).mode & 0o077) !== 0;
    report(
      loose
        ? { outcome: 'warn', what: `${envFile} is readable by other users`, fix: `chmod 600 ${envFile}` }
        : { outcome: 'ok', what: `env file ${envFile}` },
    );
  }
  const env: Record<string, string | undefined> = { ...fileValues };
  for (const [name, value] of Object.entries(options.env)) if (value) env[name] = value;
  let config: Config | undefined;
  try {
    config = loadConfig(env);
    report({ outcome: 'ok', what: 'configuration is valid' });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report({ outcome: 'fail', what: `configuration: ${error.message}`, fix: `correct ${error.variable} in the environment or in ${envFile}` });
  }

  // 2. The server.
  const base = (options.url ?? env['JESSICA_URL'] ?? `http://127.0.0.1:${config?.port || 9020}${config?.rootPath ?? ''}`).replace(/\/+$/, '');
  const token = options.token ?? env['JESSICA_TOKEN'];
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  let health: { status?: string; version?: string; upstream?: { configured?: boolean } } | undefined;
  try {
    const response = await call('GET', '/health');
    health = (await response.json()) as typeof health;
  } catch {
    health = undefined;
  }
  if (!health) {
    report({
      outcome: 'fail',
      what: `no Jessica server answers at ${base}`,
      fix: 'start one with `jessica serve` (or `npm start` in a clone), or keep it running with `jessica service install`',
    });
    // Without a server, the key can still be checked from here when this environment has it.
    await checkLocalKey(config, envFile, report);
    return summary(findings, options.out);
  }
  if (health.status === 'draining') report({ outcome: 'fail', what: `the server at ${base} is shutting down`, fix: 'wait for it to restart, or start it again' });
  else report({ outcome: 'ok', what: `server at ${base} answers (version ${health.version ?? 'unknown'}, ${health.status ?? 'unknown'})` });

  // 3. The key, as the server holds it: /usage goes upstream with it.
  if (health.upstream?.configured === false) {
    report({
      outcome: 'fail',
      what: 'the server has no ElevenLabs key',
      fix: `put ELEVENLABS_API_KEY=sk_... in ${envFile} (chmod 600) or the server's environment, then restart the server`,
    });
    report({ outcome: 'skip', what: 'quota and listeners: they need a key' });
    return summary(findings, options.out);
  }
  const usage = await call('GET', '/api/v1/usage').then(readResult<Usage>, (error: unknown) => ({ ok: false as const, code: 'live_channel_unavailable', message: String(error) }));
  if (!usage.ok) {
    report(problemOf(usage.code, usage.message, envFile));
    report({ outcome: 'skip', what: 'quota and listeners: they need the key to work' });
    return summary(findings, options.out);
  }
  report({ outcome: 'ok', what: 'ElevenLabs accepts the server\'s key' });

  // 4. Quota.
  report(quotaFinding(usage.value));
  if (usage.value.remaining <= 0) return summary(findings, options.out);

  // 5. A page listening: the only way to know is to speak, so speak a short sentence.
  const spoken = await call('POST', '/api/v1/speak', { text: TEST_SENTENCE }).then(readResult<{ listeners: number }>, (error: unknown) => ({
    ok: false as const,
    code: 'live_channel_unavailable',
    message: String(error),
  }));
  if (spoken.ok) {
    report({ outcome: 'ok', what: `${spoken.value.listeners} page(s) listening: you should hear "${TEST_SENTENCE}"` });
    report({ outcome: 'ok', what: 'nothing heard? click Enable audio on the page and check its volume' });
  } else if (spoken.code === 'no_listeners') {
    report({ outcome: 'fail', what: 'no page is listening', fix: `open ${base}/ in a browser, click Enable audio if asked, and keep the tab open` });
  } else {
    report(problemOf(spoken.code, spoken.message, envFile));
  }
  return summary(findings, options.out);
}

type Result<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

async function readResult<T>(response: Response): Promise<Result<T>> {
  const body = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
  if (response.ok) return { ok: true, value: body as T };
  return { ok: false, code: body?.error?.code ?? `http_${response.status}`, message: body?.error?.message ?? `HTTP ${response.status}` };
}

function problemOf(code: string, message: string, envFile: string): Finding {
  const fixes: Record<string, string> = {
    upstream_auth_failed: `create a key at https://elevenlabs.io/app/settings/api-keys (Text to Speech and User read access), put ELEVENLABS_API_KEY=<key> in ${envFile}, restart the server`,
    upstream_quota_exceeded: 'the ElevenLabs account is out of credits: wait for the monthly reset or change the plan',
    upstream_not_configured: `put ELEVENLABS_API_KEY=sk_... in ${envFile} (chmod 600), then restart the server`,
    unauthorized: 'the server requires a token: pass --token or set JESSICA_TOKEN to one of its JESSICA_TOKENS',
    upstream_timeout: 'ElevenLabs did not answer in time: check the network, then run `jessica doctor` again',
    upstream_error: 'ElevenLabs failed: try again in a minute (https://status.elevenlabs.io)',
    upstream_busy: 'too many requests in flight: try again in a moment',
    rate_limited: 'too many requests: wait a minute',
    draining: 'the server is shutting down: wait for it to restart',
  };
  const what = code === 'upstream_auth_failed' ? `ElevenLabs rejects the key (${code}): ${message}` : `${code}: ${message}`;
  return { outcome: 'fail', what, fix: fixes[code] ?? 'see the message above' };
}

function quotaFinding(usage: Usage): Finding {
  const resets = usage.resets_at ? `, resets ${usage.resets_at}` : '';
  if (usage.remaining <= 0) {
    return { outcome: 'fail', what: `quota used up: ${usage.character_count} of ${usage.character_limit} characters${resets}`, fix: 'wait for the reset or change the ElevenLabs plan' };
  }
  const what = `${usage.remaining} characters left of ${usage.character_limit}${resets}`;
  return usage.remaining < LOW_QUOTA ? { outcome: 'warn', what, fix: 'speech stops when this reaches 0' } : { outcome: 'ok', what };
}

/** Checks the key this environment holds straight against ElevenLabs (no server needed). */
async function checkLocalKey(config: Config | undefined, envFile: string, report: (finding: Finding) => void): Promise<void> {
  if (!config?.elevenLabsApiKey) {
    report({ outcome: 'skip', what: 'key: no ELEVENLABS_API_KEY in this environment or the env file to check' });
    return;
  }
  const jessica = composeJessica({ config: { ...config, settings: { kind: 'memory' } }, version: packageVersion(), logger: silentLogger, metrics: noMetrics });
  try {
    const usage = await jessica.usage();
    report({ outcome: 'ok', what: 'ElevenLabs accepts the key in this environment' });
    report(quotaFinding(usage));
  } catch (error) {
    if (!isJessicaError(error)) throw error;
    report(problemOf(error.code, error.message, envFile));
  }
}

function summary(findings: Finding[], out: (text: string) => void): number {
  const problems = findings.filter((finding) => finding.outcome === 'fail').length;
  out(problems === 0 ? 'Speech works.\n' : `Speech would not work: ${problems} problem${problems === 1 ? '' : 's'} above.\n`);
  return problems === 0 ? 0 : 1;
}
