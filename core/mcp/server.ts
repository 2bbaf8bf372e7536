import { McpServer, type CallToolResult, type ServerContext, type StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { isJessicaError } from '../errors.js';
import { OUTPUT_FORMATS } from '../types.js';
import type { AudioResult, McpBackend, ToolReport } from './backend.js';

export interface McpServerOptions {
  backend: McpBackend;
  principal: string;
  version: string;
  /** The page a user should open to hear speech live. */
  pageUrl: string | undefined;
}

const text = z.string().describe('What to say. Markdown, code blocks and links are turned into speakable text.');
const voice = z.string().optional().describe('Voice name (e.g. "Jessica", any case) or voice id. Default: your settings.');
const model = z.string().optional().describe('Model id, e.g. eleven_flash_v2_5 (fastest). Default: your settings.');

const voiceSettingsShape = z
  .object({
    stability: z.number().min(0).max(1).optional(),
    similarity_boost: z.number().min(0).max(1).optional(),
    style: z.number().min(0).max(1).optional(),
    use_speaker_boost: z.boolean().optional(),
    speed: z.number().min(0.7).max(1.2).optional(),
  })
  .strict();

type JsonSchemaOptions = Parameters<StandardSchemaWithJSON['~standard']['jsonSchema']['input']>[0];

/**
 * A zod schema whose JSON Schema is worked out once. The SDK converts a tool's input schema per
 * server instance, for `tools/list` and again on each `tools/call` (its `Mcp-Param-*` header
 * check); every request has a fresh server, so without this each call converts it anew.
 * Validation stays zod's own.
 */
function convertedOnce<T extends z.ZodType>(schema: T): StandardSchemaWithJSON<z.input<T>, z.output<T>> {
  const standard = schema['~standard'];
  const converted = new Map<string, Record<string, unknown>>();
  const once = (io: 'input' | 'output') => (options: JsonSchemaOptions) => {
    const key = `${io} ${options.target}`;
    let json = converted.get(key);
    if (json === undefined) {
      json = standard.jsonSchema[io](options);
      converted.set(key, json);
    }
    return json;
  };
  return Object.freeze({ '~standard': { ...standard, jsonSchema: { input: once('input'), output: once('output') } } });
}

/** Tool input schemas, built once: every request registers the tools on a fresh server. */
const SPEAK_INPUT = convertedOnce(z.object({ text, voice, model, wait: z.boolean().optional().describe('Wait until the page has played it.') }));
const TTS_INPUT = convertedOnce(z.object({ text, voice, model, output_format: z.enum(OUTPUT_FORMATS).optional().describe('Audio format, e.g. mp3_44100_128.') }));
const LIST_VOICES_INPUT = convertedOnce(z.object({ search: z.string().max(100).optional() }));
const UPDATE_SETTINGS_INPUT = convertedOnce(z.object({
  default_voice_id: z.string().optional().describe('Voice id or name.'),
  default_model_id: z.string().optional(),
  output_format: z.enum(OUTPUT_FORMATS).optional(),
  voice_settings: voiceSettingsShape.nullable().optional().describe('Only the fields to set; null goes back to the voice\'s own settings.'),
  auto_play: z.boolean().optional(),
}));

function json(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> };
}

function failure(error: unknown): CallToolResult {
  const message = isJessicaError(error) ? `${error.code}: ${error.message}` : 'internal_error: the tool failed; the server logged why.';
  return { isError: true, content: [{ type: 'text', text: message }] };
}

async function run(action: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await action();
  } catch (error) {
    return failure(error);
  }
}

function audioBlock(result: AudioResult): CallToolResult['content'][number] {
  return { type: 'audio', data: Buffer.from(result.audio).toString('base64'), mimeType: result.mime };
}

/**
 * What an assistant is told once, in `server/discover` and `initialize`: how Jessica is meant to be
 * used, so it picks the right tool without trial and error.
 */
export const MCP_INSTRUCTIONS = [
  'Jessica speaks text aloud with ElevenLabs voices.',
  'speak_text plays speech on the Jessica page the user keeps open in a browser tab, streamed while it is synthesised; it returns as soon as the speech is queued. Keep it short and conversational.',
  'Pass wait: true to speak_text only when the next step depends on the user having heard it: the call then returns once the page reports it played.',
  'If no page is open, speak_text returns the audio inline together with the address of the page to open; suggest opening it.',
  'text_to_speech returns the audio itself (MP3 by default) for programs that need the file; it plays nothing.',
  'list_voices, list_models, get_settings, update_settings, get_usage and stop_speech manage voices, defaults, quota and playback.',
].join(' ');

/** The tool list is the same for every caller and changes only with a new version of the server. */
const TOOLS_LIST_HINT = { ttlMs: 60 * 60_000, cacheScope: 'public' } as const;

/** A tool call's channel back to the client: progress when the request carries a token, log messages at the level it asked for. */
function reportOf(ctx: ServerContext): ToolReport {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  return {
    progress(progress, total, message) {
      if (progressToken === undefined) return;
      void ctx.mcpReq
        .notify({ method: 'notifications/progress', params: { progressToken, progress, ...(total === undefined ? {} : { total }), message } })
        .catch(() => undefined);
    },
    log(level, message) {
      void ctx.mcpReq.log(level, message).catch(() => undefined);
    },
  };
}

/**
 * The MCP tools, registered once here; adapters only choose the transport. One server serves
 * one principal (the caller authenticated by the adapter).
 */
export function createMcpServer(options: McpServerOptions): McpServer {
  const { backend, principal, pageUrl } = options;
  const server = new McpServer(
    { name: 'jessica', title: 'Jessica', version: options.version },
    { instructions: MCP_INSTRUCTIONS, capabilities: { logging: {} }, cacheHints: { 'tools/list': TOOLS_LIST_HINT } },
  );

  server.registerTool(
    'speak_text',
    {
      title: 'Speak text',
      description:
        'Say text aloud on the user\'s open Jessica page, streamed as it is synthesised. Returns as soon as it is queued unless wait is true. If no page is open, returns the audio inline with the page address.',
      inputSchema: SPEAK_INPUT,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    ({ text, voice, model, wait }, ctx) =>
      run(async () => {
        const input = { text, voice, model };
        const report = reportOf(ctx);
        try {
          const spoken = await backend.speak(principal, input, { wait: wait ?? false, report });
          const where = `${spoken.listeners} page${spoken.listeners === 1 ? '' : 's'}`;
          const status = wait ? (spoken.played ? `Played on ${where}.` : `Sent to ${where}; playback was not confirmed.`) : `Speaking on ${where}.`;
          return { content: [{ type: 'text', text: `${status} (utterance ${spoken.utterance_id})` }], structuredContent: { ...spoken } };
        } catch (error) {
          if (!isJessicaError(error) || (error.code !== 'no_listeners' && error.code !== 'live_channel_unavailable')) throw error;
          report.log('warning', `${error.code}: ${error.message} Returning the audio inline.`);
          const audio = await backend.textToSpeech(principal, input, { report });
          const open = pageUrl ? ` Open ${pageUrl} to hear Jessica live.` : '';
          const why = error.code === 'no_listeners' ? 'No Jessica page is listening.' : 'Live playback is off-hours right now.';
          return {
            content: [{ type: 'text', text: `${why} Here is the audio instead (${audio.characters} characters, voice ${audio.voice}).${open}` }, audioBlock(audio)],
          };
        }
      }),
  );

  server.registerTool(
    'text_to_speech',
    {
      title: 'Text to speech',
      description: 'Synthesise text and return the audio as an MCP audio content block (MP3 by default).',
      inputSchema: TTS_INPUT,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    ({ text, voice, model, output_format }, ctx) =>
      run(async () => {
        const audio = await backend.textToSpeech(principal, { text, voice, model, output_format }, { report: reportOf(ctx) });
        return { content: [{ type: 'text', text: `${audio.characters} characters, voice ${audio.voice}, ${audio.mime}.` }, audioBlock(audio)] };
      }),
  );

  server.registerTool(
    'list_voices',
    {
      title: 'List voices',
      description: 'The voices available to this account, optionally filtered by a search term (name, accent, gender, use case).',
      inputSchema: LIST_VOICES_INPUT,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    ({ search }) => run(async () => json({ voices: await backend.listVoices(search) })),
  );

  server.registerTool(
    'list_models',
    {
      title: 'List models',
      description: 'Text-to-speech models with their per-request character limits and languages.',
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    () => run(async () => json({ models: await backend.listModels() })),
  );

  server.registerTool(
    'get_settings',
    { title: 'Get settings', description: 'Your default voice, model, output format and voice settings.', annotations: { readOnlyHint: true } },
    () => run(async () => json(await backend.getSettings(principal))),
  );

  server.registerTool(
    'update_settings',
    {
      title: 'Update settings',
      description: 'Change your defaults. Voice and model must exist; voice settings use the upstream ranges.',
      inputSchema: UPDATE_SETTINGS_INPUT,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    },
    (patch) =>
      run(async () => {
        const clean = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
        return json(await backend.updateSettings(principal, clean));
      }),
  );

  server.registerTool(
    'get_usage',
    { title: 'Get usage', description: 'Characters used and left in the current ElevenLabs billing period.', annotations: { readOnlyHint: true, openWorldHint: true } },
    () => run(async () => json(await backend.usage())),
  );

  server.registerTool(
    'stop_speech',
    { title: 'Stop speech', description: 'Stop what is playing and clear the queue on your pages.', annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true } },
    () => run(async () => json(await backend.stop(principal))),
  );

  return server;
}
