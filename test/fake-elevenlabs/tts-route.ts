import type { Cut, Piece } from './body-writer.js';
import { sleep, totalLength, writeBody } from './body-writer.js';
import { DEFAULT_MODEL_ID, findModel, findVoice } from './catalog.js';
import type { ErrorReply } from './error-bodies.js';
import { invalidParameters, legacyError, maxCharacters, validationError, voiceNotFound } from './error-bodies.js';
import type { Exchange } from './exchange.js';
import { COMMON_HEADERS, sendError } from './exchange.js';
import { applyFaults, authorize } from './guard.js';
import { randomAlnum, randomTraceId } from './ids.js';
import type { TtsParams } from './tts-request.js';
import { parseTtsRequest } from './tts-request.js';
import type { TtsVariant } from './tts-payload.js';
import { ttsPieces } from './tts-payload.js';
import type { SentAudio } from './types.js';

/**
 * The four TTS endpoints. Checks run in the API's order: schema (422) before the key (401),
 * then voice (404), model and parameters (400), text length (400), injected faults, success.
 */

const MAX_STITCHING_IDS = 3;

/** Python counts code points, not UTF-16 units, and so do the API's limits. */
function characterCount(text: string): number {
  return [...text].length;
}

/** Model and stitching checks that need a valid request and a known voice. */
function requestProblem(params: TtsParams, modelId: string): ErrorReply | undefined {
  const model = findModel(modelId);
  if (!model) return legacyError(400, 'model_not_found', `A model with model ID ${modelId} does not exist.`);
  if (!model.can_do_text_to_speech) {
    return legacyError(400, 'model_can_not_do_text_to_speech', `The model ${modelId} does not support text to speech.`);
  }
  if (modelId === 'eleven_v3' && (params.previousText || params.nextText)) {
    return legacyError(400, 'invalid_parameters', "Providing previous_text or next_text is not yet supported with the 'eleven_v3' model.");
  }
  if (modelId === 'eleven_v3' && (params.previousRequestIds?.length || params.nextRequestIds?.length)) {
    return legacyError(
      400,
      'invalid_parameters',
      "Providing previous_request_ids or next_request_ids is not yet supported with the 'eleven_v3' model.",
    );
  }
  for (const [field, ids] of [
    ['previous_request_ids', params.previousRequestIds],
    ['next_request_ids', params.nextRequestIds],
  ] as const) {
    if (ids && ids.length > MAX_STITCHING_IDS) {
      return invalidParameters(field, `You can provide at most ${MAX_STITCHING_IDS} ${field}, got ${ids.length}.`);
    }
  }
  const length = characterCount(params.text);
  if (length > model.maximum_text_length_per_request) return maxCharacters(length, model.maximum_text_length_per_request);
  return undefined;
}

/** Only MP3 has a documented content type; other formats are served as opaque bytes. */
function contentType(variant: TtsVariant, outputFormat: string): string {
  if (variant.timestamps) return 'application/json';
  return outputFormat.startsWith('mp3_') ? 'audio/mpeg' : 'application/octet-stream';
}

function successHeaders(exchange: Exchange, variant: TtsVariant, params: TtsParams, requestId: string): Record<string, string> {
  const { state } = exchange;
  return {
    ...COMMON_HEADERS,
    'content-type': contentType(variant, params.outputFormat),
    'request-id': requestId,
    'history-item-id': randomAlnum(20),
    'character-cost': String(characterCount(params.text)),
    'current-concurrent-requests': String(state.inFlightTts),
    'maximum-concurrent-requests': String(state.maxConcurrency),
    'x-trace-id': randomTraceId(),
    'access-control-expose-headers':
      'request-id, history-item-id, character-cost, current-concurrent-requests, maximum-concurrent-requests',
  };
}

async function respond(exchange: Exchange, variant: TtsVariant, params: TtsParams, pieces: Piece[], cut: Cut | undefined): Promise<void> {
  const { res, state, signal } = exchange;
  const requestId = randomAlnum(20);
  const headers = successHeaders(exchange, variant, params, requestId);
  if (!variant.stream) headers['content-length'] = String(totalLength(pieces));
  res.writeHead(200, headers);

  // The written pieces are joined when read, not on every write: joining as they go costs the square of the length.
  const written: Buffer[] = [];
  let joined: Buffer | undefined;
  const sent: SentAudio = {
    requestId,
    path: exchange.recorded.path,
    text: params.text,
    get bytes() {
      joined ??= Buffer.concat(written);
      return joined;
    },
    completed: false,
  };
  state.sentAudio.push(sent);
  state.chargeCharacters(characterCount(params.text));
  res.once('close', () => {
    if (!res.writableFinished) sent.completed = false;
  });

  const outcome = await writeBody(res, {
    pieces,
    delayMs: variant.stream ? state.tunables.chunkDelayMs : 0,
    gate: variant.stream ? state.gate : undefined,
    cut,
    signal,
    onWritten: (audio) => {
      if (audio.length === 0) return;
      written.push(audio);
      joined = undefined;
    },
  });
  if (outcome === 'completed' && !signal.aborted) sent.completed = true;
}

export function ttsRoute(variant: TtsVariant): (exchange: Exchange) => Promise<void> {
  return async (exchange) => {
    const parsed = parseTtsRequest(exchange.url.searchParams, exchange.rawBody, variant.stream);
    if (!parsed.ok) return sendError(exchange, validationError(parsed.items));
    if (!authorize(exchange)) return;

    const { params } = parsed;
    const voiceId = exchange.params.voice_id ?? '';
    if (!findVoice(voiceId)) return sendError(exchange, voiceNotFound(voiceId));
    const modelId = params.modelId ?? DEFAULT_MODEL_ID;
    const problem = requestProblem(params, modelId);
    if (problem) return sendError(exchange, problem);

    const admission = await applyFaults(exchange, {
      voiceId,
      textLength: characterCount(params.text),
      modelCharacterLimit: findModel(modelId)?.maximum_text_length_per_request ?? 10000,
    });
    if (!admission.through) return;

    const { state, signal } = exchange;
    // The time to first byte runs from the request, whatever the body takes to build: the
    // with-timestamps lines (JSON, base64) cost more than raw chunks, and must not count as
    // the time of whoever sent the request.
    const waited = sleep(state.tunables.ttfbMs, signal);
    const audio = state.audioFor(params.text, exchange.recorded);
    const pieces = ttsPieces(variant, params.text, audio, state.tunables.chunkSize, state.tunables.timestampClock);
    if (!(await waited)) return;
    await respond(exchange, variant, params, pieces, admission.cut);
  };
}
