import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { isJessicaError } from '../errors.js';
import { OUTPUT_FORMATS } from '../types.js';
import type { AudioResult, McpBackend } from './backend.js';

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

/** Tool input shapes, built once: every request registers the tools on a fresh server. */
const SPEAK_INPUT = { text, voice, model, wait: z.boolean().optional().describe('Wait until the page has played it.') };
const TTS_INPUT = { text, voice, model, output_format: z.enum(OUTPUT_FORMATS).optional().describe('Audio format, e.g. mp3_44100_128.') };
const LIST_VOICES_INPUT = { search: z.string().max(100).optional() };
const UPDATE_SETTINGS_INPUT = {
  default_voice_id: z.string().optional().describe('Voice id or name.'),
  default_model_id: z.string().optional(),
  output_format: z.enum(OUTPUT_FORMATS).optional(),
  voice_settings: voiceSettingsShape.optional(),
  auto_play: z.boolean().optional(),
};

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
 * One JSON Schema validator for every server: the SDK would build an Ajv instance per server,
 * that is per request in stateless mode, and none of the tools needs it (it validates
 * elicitation answers).
 */
let validator: AjvJsonSchemaValidator | undefined;

/**
 * The MCP tools, registered once here; adapters only choose the transport. One server serves
 * one principal (the caller authenticated by the adapter).
 */
export function createMcpServer(options: McpServerOptions): McpServer {
  const { backend, principal, pageUrl } = options;
  const server = new McpServer(
    { name: 'jessica', title: 'Jessica', version: options.version },
    {
      instructions:
        'Jessica speaks text aloud with ElevenLabs voices. Use speak_text to say something to the user through their open Jessica page; keep it short and conversational.',
      jsonSchemaValidator: (validator ??= new AjvJsonSchemaValidator()),
    },
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
    ({ text, voice, model, wait }) =>
      run(async () => {
        const input = { text, voice, model };
        try {
          const spoken = await backend.speak(principal, input, { wait: wait ?? false });
          const where = `${spoken.listeners} page${spoken.listeners === 1 ? '' : 's'}`;
          const status = wait ? (spoken.played ? `Played on ${where}.` : `Sent to ${where}; playback was not confirmed.`) : `Speaking on ${where}.`;
          return { content: [{ type: 'text', text: `${status} (utterance ${spoken.utterance_id})` }], structuredContent: { ...spoken } };
        } catch (error) {
          if (!isJessicaError(error) || (error.code !== 'no_listeners' && error.code !== 'live_channel_unavailable')) throw error;
          const audio = await backend.textToSpeech(principal, input);
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
    ({ text, voice, model, output_format }) =>
      run(async () => {
        const audio = await backend.textToSpeech(principal, { text, voice, model, output_format });
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
