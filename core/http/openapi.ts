import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import { OUTPUT_FORMATS } from '../types.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: unknown) => ({ 'application/json': { schema } });
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } } };

/** Every request may meet these: auth, the Origin and Host checks, the flood ceiling, an unexpected failure. */
const ALWAYS: ErrorCode[] = ['unauthorized', 'forbidden_origin', 'forbidden_host', 'rate_limited', 'internal_error'];
/** What a call to ElevenLabs can end in. */
const UPSTREAM: ErrorCode[] = ['upstream_auth_failed', 'upstream_quota_exceeded', 'upstream_error', 'upstream_busy', 'upstream_not_configured', 'upstream_timeout'];
/** What reading a JSON body can end in. */
const BODY: ErrorCode[] = ['invalid_request', 'payload_too_large', 'unsupported_media_type'];
const SYNTHESIS: ErrorCode[] = [...BODY, 'empty_text', 'text_too_long', 'unknown_voice', 'unknown_model', 'settings_unavailable', 'draining', ...UPSTREAM];

/**
 * The error responses of an operation, one per status, each naming the stable codes it can
 * carry (in the description and as the schema's `code` enum), so a client can switch on them.
 */
function errorResponses(codes: readonly ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...ALWAYS, ...codes])) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const example = list[0]!;
    responses[String(status)] = {
      description: list.join(', '),
      ...(status === 429 || status === 503 ? { headers: retryAfter } : {}),
      content: {
        'application/json': {
          schema: { allOf: [ref('Error'), { properties: { error: { properties: { code: { enum: list }, message: { type: 'string' } } } } }] },
          example: { error: { code: example, message: 'What went wrong, for humans.' } },
        },
      },
    };
  }
  return responses;
}

const ok = (description: string, schema: unknown) => ({ description, content: jsonContent(schema) });
const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  required: Object.keys(properties),
  additionalProperties: false,
  properties,
  ...extra,
});
const audioResponse = (description: string) => ({
  description,
  headers: {
    'X-Jessica-Characters': { schema: { type: 'integer' }, description: 'Characters synthesised.' },
    'X-Jessica-Utterance-Id': { schema: { type: 'string' }, description: 'The id of this utterance.' },
  },
  // One per codec of output_format; PCM carries its rate as a parameter (audio/L16;rate=24000;channels=1).
  content: Object.fromEntries(
    ['audio/mpeg', 'audio/ogg', 'audio/L16', 'audio/basic', 'audio/x-alaw-basic'].map((type) => [type, { schema: { type: 'string', contentMediaType: type } }]),
  ),
});
const VOICE_SETTINGS_PROPERTIES = {
  stability: { type: 'number', minimum: 0, maximum: 1 },
  similarity_boost: { type: 'number', minimum: 0, maximum: 1 },
  style: { type: 'number', minimum: 0, maximum: 1 },
  use_speaker_boost: { type: 'boolean' },
  speed: { type: 'number', minimum: 0.7, maximum: 1.2 },
};
const synthesisBody = { required: true, content: jsonContent(ref('SynthesisRequest')) };

/** The OpenAPI 3.1 description of the REST API, served at `/api/v1/openapi.json`. */
export function openApiDocument(version: string, rootPath: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Jessica',
      version,
      description:
        'ElevenLabs text-to-speech for AI assistants: synthesis, streaming, and live playback on the Jessica page. ' +
        'Errors are `{"error": {"code", "message"}}` with a stable code. A server started with JESSICA_TOKENS asks for ' +
        '`Authorization: Bearer <token>` on every route; a loopback server without tokens asks for none.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: `${rootPath}/api/v1` }],
    security: [{ bearer: [] }, {}],
    tags: [
      { name: 'speech', description: 'Synthesis, streaming and live playback.' },
      { name: 'catalog', description: 'Voices and models of the ElevenLabs account.' },
      { name: 'settings', description: "The caller's defaults." },
      { name: 'account', description: 'Usage and this document.' },
    ],
    paths: {
      '/voices': {
        get: {
          operationId: 'listVoices',
          tags: ['catalog'],
          summary: 'List voices',
          parameters: [{ name: 'search', in: 'query', description: 'Part of a name, description or label.', schema: { type: 'string', maxLength: 100 } }],
          responses: { '200': ok('Voices', object({ voices: { type: 'array', items: ref('Voice') } })), ...errorResponses(UPSTREAM) },
        },
      },
      '/voices/{voice_id}/settings': {
        get: {
          operationId: 'getVoiceSettings',
          tags: ['catalog'],
          summary: "The voice's own settings, as stored with it at ElevenLabs",
          description: "What the voice speaks with while the caller's `voice_settings` is null.",
          parameters: [{ name: 'voice_id', in: 'path', required: true, description: 'Voice id or name.', schema: { type: 'string', maxLength: 100 } }],
          responses: { '200': ok('Voice settings', ref('StoredVoiceSettings')), ...errorResponses(['unknown_voice', ...UPSTREAM]) },
        },
      },
      '/models': {
        get: {
          operationId: 'listModels',
          tags: ['catalog'],
          summary: 'List text-to-speech models',
          responses: { '200': ok('Models', object({ models: { type: 'array', items: ref('Model') } })), ...errorResponses(UPSTREAM) },
        },
      },
      '/tts': {
        post: {
          operationId: 'synthesize',
          tags: ['speech'],
          summary: 'Synthesise speech',
          requestBody: synthesisBody,
          responses: { '200': audioResponse('The whole audio'), ...errorResponses(SYNTHESIS) },
        },
      },
      '/tts/stream': {
        post: {
          operationId: 'synthesizeStream',
          tags: ['speech'],
          summary: 'Synthesise speech, streamed as it is produced',
          parameters: [
            {
              name: 'timestamps',
              in: 'query',
              schema: { type: 'boolean' },
              description: 'true (or an Accept of application/x-ndjson): newline-delimited JSON lines {audio_base64, words} instead of raw audio.',
            },
          ],
          requestBody: synthesisBody,
          responses: {
            '200': {
              ...audioResponse('Chunked audio'),
              content: {
                ...audioResponse('').content,
                // One line per audio chunk, with the words completed with it (TimedAudioLine says so).
                'application/x-ndjson': { schema: ref('TimedAudioLine') },
              },
            },
            ...errorResponses(SYNTHESIS),
          },
        },
      },
      '/speak': {
        post: {
          operationId: 'speak',
          tags: ['speech'],
          summary: "Speak on the caller's open pages",
          requestBody: synthesisBody,
          responses: {
            '202': ok('Queued', object({ utterance_id: { type: 'string' }, listeners: { type: 'integer', minimum: 1 } })),
            ...errorResponses([...SYNTHESIS, 'no_listeners', 'live_channel_unavailable']),
          },
        },
      },
      '/stop': {
        post: {
          operationId: 'stopSpeech',
          tags: ['speech'],
          summary: "Stop playback and clear the queue on the caller's pages",
          responses: { '200': ok('Stopped', object({ stopped: { type: 'integer', minimum: 0 } })), ...errorResponses(['live_channel_unavailable']) },
        },
      },
      '/settings': {
        get: {
          operationId: 'getSettings',
          tags: ['settings'],
          summary: "The caller's settings",
          responses: { '200': ok('Settings', ref('Settings')), ...errorResponses(['settings_unavailable']) },
        },
        patch: {
          operationId: 'updateSettings',
          tags: ['settings'],
          summary: "Change the caller's settings",
          requestBody: { required: true, content: jsonContent(ref('SettingsPatch')) },
          responses: {
            '200': ok('Settings', ref('Settings')),
            ...errorResponses([...BODY, 'unknown_voice', 'unknown_model', 'settings_unavailable', ...UPSTREAM]),
          },
        },
      },
      '/usage': {
        get: {
          operationId: 'getUsage',
          tags: ['account'],
          summary: 'Characters used in the current billing period',
          responses: {
            '200': ok(
              'Usage',
              object({
                character_count: { type: 'integer' },
                character_limit: { type: 'integer' },
                remaining: { type: 'integer' },
                resets_at: { type: ['string', 'null'], format: 'date-time' },
              }),
            ),
            ...errorResponses(UPSTREAM),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          tags: ['account'],
          summary: 'This document',
          responses: { '200': ok('OpenAPI 3.1', { type: 'object', required: ['openapi', 'paths'], properties: { openapi: { type: 'string' }, paths: { type: 'object' } } }), ...errorResponses([]) },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token of JESSICA_TOKENS.' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          additionalProperties: false,
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string', enum: Object.keys(ERROR_STATUS) }, message: { type: 'string' } },
            },
          },
        },
        VoiceSettings: {
          type: 'object',
          description: 'Any subset: only the fields given override the voice’s own.',
          additionalProperties: false,
          properties: VOICE_SETTINGS_PROPERTIES,
        },
        StoredVoiceSettings: { ...object(VOICE_SETTINGS_PROPERTIES), description: 'All five, as stored with the voice.' },
        SynthesisRequest: {
          type: 'object',
          required: ['text'],
          properties: {
            text: { type: 'string', description: 'Markdown, code and links are made speakable. Longer texts are split and stitched.' },
            voice: { type: 'string', description: 'Voice id or name (any case). Alias: voice_id.' },
            model: { type: 'string', description: 'Model id. Alias: model_id.' },
            output_format: { type: 'string', enum: [...OUTPUT_FORMATS] },
            voice_settings: { ...ref('VoiceSettings'), description: 'On top of the caller’s voice settings, for this request only.' },
          },
        },
        Settings: {
          type: 'object',
          required: ['default_voice_id', 'default_model_id', 'output_format', 'voice_settings', 'auto_play'],
          properties: {
            default_voice_id: { type: 'string' },
            default_model_id: { type: 'string' },
            output_format: { type: 'string', enum: [...OUTPUT_FORMATS] },
            voice_settings: {
              description: 'Only what the caller set; null: none, the voice’s own stored settings apply and none are sent upstream.',
              anyOf: [ref('VoiceSettings'), { type: 'null' }],
            },
            auto_play: { type: 'boolean' },
            word_timings: { type: 'boolean', description: 'Live listeners get audio.words frames (default true).' },
          },
        },
        TimedAudioLine: {
          type: 'object',
          required: ['audio_base64', 'words'],
          properties: {
            audio_base64: { type: 'string', format: 'byte' },
            words: {
              type: 'array',
              items: {
                type: 'object',
                required: ['text', 'start_ms', 'end_ms'],
                properties: { text: { type: 'string' }, start_ms: { type: 'integer' }, end_ms: { type: 'integer' } },
              },
            },
          },
        },
        SettingsPatch: {
          type: 'object',
          description: 'Any subset of the settings. voice_settings is merged field by field; null clears it.',
          additionalProperties: false,
          properties: {
            default_voice_id: { type: 'string', description: 'Voice id or name.' },
            default_model_id: { type: 'string' },
            output_format: { type: 'string', enum: [...OUTPUT_FORMATS] },
            voice_settings: { anyOf: [ref('VoiceSettings'), { type: 'null' }] },
            auto_play: { type: 'boolean' },
          },
        },
        Voice: object({
          voice_id: { type: 'string' },
          name: { type: 'string' },
          category: { type: 'string' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          preview_url: { type: ['string', 'null'] },
        }),
        Model: object({
          model_id: { type: 'string' },
          name: { type: 'string' },
          max_characters: { type: 'integer' },
          languages: { type: 'array', items: { type: 'string' } },
        }),
      },
    },
  };
}
