import { ERROR_STATUS } from '../errors.js';
import { OUTPUT_FORMATS } from '../types.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: unknown) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: jsonContent(ref('Error')) });
const audioResponse = (description: string) => ({
  description,
  headers: {
    'X-Jessica-Characters': { schema: { type: 'integer' }, description: 'Characters synthesised.' },
    'X-Jessica-Utterance-Id': { schema: { type: 'string' } },
  },
  content: { 'audio/mpeg': { schema: { type: 'string', format: 'binary' } } },
});
const common = {
  '400': errorResponse('invalid_request, empty_text, text_too_long, unknown_voice or unknown_model'),
  '401': errorResponse('unauthorized'),
  '429': errorResponse('rate_limited'),
  '502': errorResponse('upstream_auth_failed, upstream_quota_exceeded or upstream_error'),
  '503': errorResponse('upstream_busy or upstream_not_configured'),
  '504': errorResponse('upstream_timeout'),
};
const synthesisBody = { required: true, content: jsonContent(ref('SynthesisRequest')) };

/** The OpenAPI 3.1 description of the REST API, served at `/api/v1/openapi.json`. */
export function openApiDocument(version: string, rootPath: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Jessica',
      version,
      description: 'ElevenLabs text-to-speech for AI assistants: synthesis, streaming, and live playback on the Jessica page.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: `${rootPath}/api/v1` }],
    security: [{ bearer: [] }],
    paths: {
      '/voices': {
        get: {
          summary: 'List voices',
          parameters: [{ name: 'search', in: 'query', schema: { type: 'string' } }],
          responses: { '200': { description: 'Voices', content: jsonContent({ type: 'object', properties: { voices: { type: 'array', items: ref('Voice') } } }) }, ...common },
        },
      },
      '/models': {
        get: {
          summary: 'List text-to-speech models',
          responses: { '200': { description: 'Models', content: jsonContent({ type: 'object', properties: { models: { type: 'array', items: ref('Model') } } }) }, ...common },
        },
      },
      '/tts': { post: { summary: 'Synthesise speech', requestBody: synthesisBody, responses: { '200': audioResponse('The whole audio'), ...common } } },
      '/tts/stream': {
        post: {
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
                'application/x-ndjson': { schema: ref('TimedAudioLine'), description: 'One line per audio chunk, with the words completed with it.' },
              },
            },
            ...common,
          },
        },
      },
      '/speak': {
        post: {
          summary: "Speak on the caller's open pages",
          requestBody: synthesisBody,
          responses: {
            '202': { description: 'Queued', content: jsonContent({ type: 'object', properties: { utterance_id: { type: 'string' }, listeners: { type: 'integer' } } }) },
            '409': errorResponse('no_listeners'),
            ...common,
            '503': errorResponse('live_channel_unavailable (off-hours), upstream_busy or upstream_not_configured'),
          },
        },
      },
      '/stop': {
        post: {
          summary: "Stop playback and clear the queue on the caller's pages",
          responses: { '200': { description: 'Stopped', content: jsonContent({ type: 'object', properties: { stopped: { type: 'integer' } } }) }, ...common },
        },
      },
      '/settings': {
        get: { summary: "The caller's settings", responses: { '200': { description: 'Settings', content: jsonContent(ref('Settings')) }, ...common } },
        patch: {
          summary: "Change the caller's settings",
          requestBody: { required: true, content: jsonContent(ref('SettingsPatch')) },
          responses: { '200': { description: 'Settings', content: jsonContent(ref('Settings')) }, ...common },
        },
      },
      '/usage': {
        get: {
          summary: 'Characters used in the current billing period',
          responses: {
            '200': {
              description: 'Usage',
              content: jsonContent({
                type: 'object',
                properties: {
                  character_count: { type: 'integer' },
                  character_limit: { type: 'integer' },
                  remaining: { type: 'integer' },
                  resets_at: { type: ['string', 'null'], format: 'date-time' },
                },
              }),
            },
            ...common,
          },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', enum: Object.keys(ERROR_STATUS) }, message: { type: 'string' } } },
          },
        },
        VoiceSettings: {
          type: 'object',
          properties: {
            stability: { type: 'number', minimum: 0, maximum: 1 },
            similarity_boost: { type: 'number', minimum: 0, maximum: 1 },
            style: { type: 'number', minimum: 0, maximum: 1 },
            use_speaker_boost: { type: 'boolean' },
            speed: { type: 'number', minimum: 0.7, maximum: 1.2 },
          },
        },
        SynthesisRequest: {
          type: 'object',
          required: ['text'],
          properties: {
            text: { type: 'string', description: 'Markdown, code and links are made speakable. Longer texts are split and stitched.' },
            voice: { type: 'string', description: 'Voice id or name (any case). Alias: voice_id.' },
            model: { type: 'string', description: 'Model id. Alias: model_id.' },
            output_format: { type: 'string', enum: [...OUTPUT_FORMATS] },
            voice_settings: ref('VoiceSettings'),
          },
        },
        Settings: {
          type: 'object',
          properties: {
            default_voice_id: { type: 'string' },
            default_model_id: { type: 'string' },
            output_format: { type: 'string', enum: [...OUTPUT_FORMATS] },
            voice_settings: ref('VoiceSettings'),
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
        SettingsPatch: { allOf: [ref('Settings')], description: 'Any subset of the settings; voice_settings may be partial.' },
        Voice: {
          type: 'object',
          properties: {
            voice_id: { type: 'string' },
            name: { type: 'string' },
            category: { type: 'string' },
            labels: { type: 'object', additionalProperties: { type: 'string' } },
            preview_url: { type: ['string', 'null'] },
          },
        },
        Model: {
          type: 'object',
          properties: {
            model_id: { type: 'string' },
            name: { type: 'string' },
            max_characters: { type: 'integer' },
            languages: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    },
  };
}
