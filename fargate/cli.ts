#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import {
  backendFromJessica,
  composeJessica,
  createMcpServer,
  isJessicaError,
  JessicaError,
  loadConfig,
  packageVersion,
  silentLogger,
  noMetrics,
  type McpBackend,
} from '../core/index.js';
import { doctor } from './doctor.js';
import { main as serve } from './main.js';
import { RemoteBackend } from './remote-backend.js';
import { installService, serviceStatus, servicePaths, uninstallService, unitText, type ServicePlatform } from './service.js';
import { withUserEnv } from './user-env.js';

const USAGE = `Usage: jessica <command> [options]

Commands:
  serve               Run the live server (same as npm start) on http://127.0.0.1:9020
  mcp                 MCP over stdio (Claude Desktop): speak_text goes to a running server
  say [text]          Speak through a running server (text from the arguments or stdin)
  doctor              Check configuration, server, key, quota and listeners; print each fix
  service <action>    Run the server at login: install [--print] [--no-start], uninstall, status
                      (systemd user unit on Linux, launchd agent on macOS)

Options for mcp, say and doctor:
  --url <url>         The running server, root path included (env JESSICA_URL, default http://127.0.0.1:9020)
  --token <token>     Bearer token (env JESSICA_TOKEN)
  --voice <voice>     Voice name or id (say only)
  --model <model>     Model id (say only)
  --quiet             say: print nothing and exit 0 whatever happens (for hooks)

serve, say, doctor and the service read ~/.config/jessica/env (NAME=value lines, mode 600)
for what the environment leaves unset; JESSICA_ENV_FILE names another file.

Exit codes of say: 0 speaking, 1 failed (key, quota, upstream, token), 2 usage error,
  3 no server answers, 4 no page is listening; with --quiet always 0 (bad options: 2).
Exit codes of doctor: 0 speech works, 1 a problem was found.
Exit codes of service status: 0 running, 3 installed but not running, 4 not installed.
`;

/** `jessica` command line. Returns the process exit code. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    return await dispatch(argv, env);
  } catch (error) {
    // A malformed command line (unknown option, missing value) is a usage error, as documented.
    if (!(error instanceof TypeError && String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS'))) throw error;
    process.stderr.write(`jessica: ${error.message}\n`);
    return 2;
  }
}

async function dispatch(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await serve(withUserEnv(env));
      return -1; // keeps running until a signal
    case 'mcp':
      return mcp(rest, env);
    case 'say':
      return say(rest, withUserEnv(env));
    case 'doctor':
      return runDoctor(rest, env);
    case 'service':
      return service(rest, env);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    case '--version':
    case '-v':
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    default:
      process.stderr.write(`jessica: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

function remoteOptions(values: { url?: string | undefined; token?: string | undefined }, env: NodeJS.ProcessEnv) {
  return { baseUrl: values.url ?? env['JESSICA_URL'] ?? 'http://127.0.0.1:9020', token: values.token ?? env['JESSICA_TOKEN'] };
}

async function mcp(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({ args, options: { url: { type: 'string' }, token: { type: 'string' } }, strict: true });
  const remote = remoteOptions(values, env);
  const backend = withLocalFallback(new RemoteBackend(remote), env);
  const version = packageVersion();
  const pageUrl = `${remote.baseUrl.replace(/\/+$/, '')}/`;
  // Either protocol era: each connection gets the server definition the HTTP endpoint serves.
  serveStdio(() => createMcpServer({ backend, principal: 'local', version, pageUrl }));
  return -1;
}

/**
 * Without a reachable server, tools that only need synthesis still work when this process has
 * its own ElevenLabs key: the audio comes back inline.
 */
function withLocalFallback(remote: McpBackend, env: NodeJS.ProcessEnv): McpBackend {
  if (!env['ELEVENLABS_API_KEY']) return remote;
  let local: McpBackend | undefined;
  const localBackend = () =>
    (local ??= backendFromJessica(
      composeJessica({
        config: loadConfig({ ...env, JESSICA_SETTINGS: env['JESSICA_SETTINGS'] ?? 'memory:', JESSICA_TOKENS: undefined, HOST: '127.0.0.1' }),
        version: packageVersion(),
        logger: silentLogger,
        metrics: noMetrics,
      }),
    ));
  const unreachable = (error: unknown) => isJessicaError(error) && error.code === 'live_channel_unavailable';
  const fallback =
    <A extends unknown[], R>(call: (backend: McpBackend, ...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(remote, ...args);
      } catch (error) {
        if (!unreachable(error)) throw error;
        return call(localBackend(), ...args);
      }
    };
  return {
    speak: (principal, input, options) => remote.speak(principal, input, options),
    textToSpeech: fallback((backend, principal: string, input: unknown, options?: Parameters<McpBackend['textToSpeech']>[2]) => backend.textToSpeech(principal, input, options)),
    listVoices: fallback((backend, search?: string) => backend.listVoices(search)),
    listModels: fallback((backend) => backend.listModels()),
    getSettings: fallback((backend, principal: string) => backend.getSettings(principal)),
    updateSettings: fallback((backend, principal: string, patch: unknown) => backend.updateSettings(principal, patch)),
    usage: fallback((backend) => backend.usage()),
    stop: (principal) => remote.stop(principal),
  };
}

/** Exit codes of `jessica say` (documented in USAGE and README). */
const SAY_EXIT = { spoken: 0, failed: 1, usage: 2, noServer: 3, noListener: 4 } as const;

async function say(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      voice: { type: 'string' },
      model: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  // Hooks run this after every turn: with --quiet nothing it meets (no server, no page, no
  // credits) may print or fail, or every turn would show an error in the assistant.
  const fail = (code: number, line: string) => {
    if (values.quiet) return 0;
    process.stderr.write(`jessica say: ${line}\n`);
    return code;
  };
  const text = positionals.length > 0 ? positionals.join(' ') : await readStdin();
  if (!text.trim()) return fail(SAY_EXIT.usage, 'nothing to say (pass text or pipe it in)');
  const backend = new RemoteBackend(remoteOptions(values, env));
  try {
    const result = await backend.speak('local', { text, voice: values.voice, model: values.model }, { wait: false });
    if (!values.quiet) process.stdout.write(`speaking on ${result.listeners} page(s): ${result.utterance_id}\n`);
    return SAY_EXIT.spoken;
  } catch (error) {
    if (!(error instanceof JessicaError)) return fail(SAY_EXIT.failed, `failed: ${error instanceof Error ? error.message : String(error)}`);
    if (error.code === 'no_listeners') return fail(SAY_EXIT.noListener, `no_listeners: ${error.message}`);
    if (error.code === 'live_channel_unavailable') {
      return fail(SAY_EXIT.noServer, `${error.code}: ${error.message} Start it with \`jessica serve\` or \`jessica service install\`.`);
    }
    return fail(SAY_EXIT.failed, `${error.code}: ${error.message}`);
  }
}

async function runDoctor(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({ args, options: { url: { type: 'string' }, token: { type: 'string' } }, strict: true });
  return doctor({ env, url: values.url, token: values.token, out: (text) => process.stdout.write(text) });
}

async function service(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { print: { type: 'boolean', default: false }, 'no-start': { type: 'boolean', default: false }, platform: { type: 'string' } },
    strict: true,
  });
  const platform = values.platform ?? process.platform;
  if (platform !== 'linux' && platform !== 'darwin') {
    process.stderr.write(`jessica service: runs on Linux (systemd) and macOS (launchd), not ${platform}; run \`jessica serve\` instead\n`);
    return 1;
  }
  const options = { platform: platform as ServicePlatform, env, noStart: values['no-start'], out: (text: string) => process.stdout.write(text) };
  switch (positionals[0]) {
    case 'install':
      if (values.print) {
        process.stdout.write(unitText(options.platform, servicePaths(options.platform, env)));
        return 0;
      }
      return installService(options);
    case 'uninstall':
      return uninstallService(options);
    case 'status':
      return serviceStatus(options);
    default:
      process.stderr.write(`jessica service: expected install, uninstall or status\n\n${USAGE}`);
      return 2;
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  run(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`jessica: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
