#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
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
import { main as serve } from './main.js';
import { RemoteBackend } from './remote-backend.js';

const USAGE = `Usage: jessica <command> [options]

Commands:
  serve               Run the live server (same as npm start) on http://127.0.0.1:9020
  mcp                 MCP over stdio (Claude Desktop): speak_text goes to a running server
  say [text]          Speak through a running server (text from the arguments or stdin)

Options for mcp and say:
  --url <url>         The running server, root path included (env JESSICA_URL, default http://127.0.0.1:9020)
  --token <token>     Bearer token (env JESSICA_TOKEN)
  --voice <voice>     Voice name or id (say only)
  --model <model>     Model id (say only)
  --quiet             say: print nothing when no page is listening
`;

/** `jessica` command line. Returns the process exit code. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await serve(env);
      return -1; // keeps running until a signal
    case 'mcp':
      return mcp(rest, env);
    case 'say':
      return say(rest, env);
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
  const server = createMcpServer({ backend, principal: 'local', version: packageVersion(), pageUrl: `${remote.baseUrl.replace(/\/+$/, '')}/` });
  await server.connect(new StdioServerTransport());
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
    textToSpeech: fallback((backend, principal: string, input: unknown) => backend.textToSpeech(principal, input)),
    listVoices: fallback((backend, search?: string) => backend.listVoices(search)),
    listModels: fallback((backend) => backend.listModels()),
    getSettings: fallback((backend, principal: string) => backend.getSettings(principal)),
    updateSettings: fallback((backend, principal: string, patch: unknown) => backend.updateSettings(principal, patch)),
    usage: fallback((backend) => backend.usage()),
    stop: (principal) => remote.stop(principal),
  };
}

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
  const text = positionals.length > 0 ? positionals.join(' ') : await readStdin();
  if (!text.trim()) {
    process.stderr.write('jessica say: nothing to say (pass text or pipe it in)\n');
    return 2;
  }
  const backend = new RemoteBackend(remoteOptions(values, env));
  try {
    const result = await backend.speak('local', { text, voice: values.voice, model: values.model }, { wait: false });
    if (!values.quiet) process.stdout.write(`speaking on ${result.listeners} page(s): ${result.utterance_id}\n`);
    return 0;
  } catch (error) {
    const known = error instanceof JessicaError;
    // Hooks call this after every turn: nobody listening is normal, not a failure.
    if (known && error.code === 'no_listeners') {
      if (!values.quiet) process.stderr.write(`jessica say: ${error.message}\n`);
      return 0;
    }
    process.stderr.write(`jessica say: ${known ? `${error.code}: ${error.message}` : 'failed'}\n`);
    return 1;
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
