import { z } from 'zod';
import { JessicaError } from './errors.js';
import { outputFormatSchema, partialVoiceSettingsSchema } from './settings/schema.js';
import type { SpeechInput } from './types.js';

const reference = z.string().trim().min(1).max(100);

/** The synthesis body of every path; `voice_id` / `model_id` are accepted as aliases. */
export const speechInputSchema = z
  .object({
    text: z.string({ error: 'text is required and must be a string' }),
    voice: reference.optional(),
    voice_id: reference.optional(),
    model: reference.optional(),
    model_id: reference.optional(),
    output_format: outputFormatSchema.optional(),
    voice_settings: partialVoiceSettingsSchema.optional(),
  })
  .transform(
    (body): SpeechInput => ({
      text: body.text,
      voice: body.voice ?? body.voice_id,
      model: body.model ?? body.model_id,
      output_format: body.output_format,
      voice_settings: body.voice_settings,
    }),
  );

/** Validates untrusted input against a schema; failures become 400 invalid_request. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what = 'request'): T {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new JessicaError('invalid_request', `The ${what} must be a JSON object.`);
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw new JessicaError('invalid_request', `Invalid ${what}: ${problems.join('; ')}`);
}

export function parseSpeechInput(input: unknown): SpeechInput {
  return parseInput(speechInputSchema, input, 'speech request');
}
