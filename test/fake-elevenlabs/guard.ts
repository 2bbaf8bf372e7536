import { untilAborted } from './body-writer.js';
import type { Cut } from './body-writer.js';
import { invalidAuthorizationHeader, invalidKey, missingKey } from './error-bodies.js';
import type { Exchange } from './exchange.js';
import { sendError } from './exchange.js';
import type { FaultContext } from './faults.js';
import { faultAction } from './faults.js';

/** The checks between a valid request and its answer: the API key, then injected faults. */

/** Sends the 401 and returns false unless the `xi-api-key` header holds the right key. */
export function authorize(exchange: Exchange): boolean {
  const { headers } = exchange.recorded;
  const key = headers['xi-api-key'];
  if (key === undefined || key === '') {
    sendError(exchange, headers.authorization === undefined ? missingKey() : invalidAuthorizationHeader());
    return false;
  }
  if (key !== exchange.state.apiKey) {
    sendError(exchange, invalidKey());
    return false;
  }
  return true;
}

/** Lets the request through (with a cut to apply to its body, if any) or answers it with its fault. */
export type Admission = { through: true; cut: Cut | undefined } | { through: false };

export async function applyFaults(exchange: Exchange, context: Partial<FaultContext> = {}): Promise<Admission> {
  const { state } = exchange;
  const fault = state.faults.take(exchange.recorded.path);
  if (!fault) return { through: true, cut: undefined };
  const action = faultAction(fault, {
    voiceId: exchange.params.voice_id,
    textLength: 0,
    modelCharacterLimit: 10000,
    subscription: state.subscription,
    maxConcurrency: state.maxConcurrency,
    ...context,
  });
  if (action.type === 'cut') return { through: true, cut: action.cut };
  if (action.type === 'reply') sendError(exchange, action.reply);
  else await untilAborted(exchange.signal);
  return { through: false };
}

/** Auth, then faults: the order every non-TTS route uses. */
export async function admit(exchange: Exchange): Promise<Admission> {
  if (!authorize(exchange)) return { through: false };
  return applyFaults(exchange);
}
