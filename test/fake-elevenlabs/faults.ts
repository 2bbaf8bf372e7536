import type { ErrorReply } from './error-bodies.js';
import {
  invalidKey,
  legacyError,
  maxCharacters,
  plainError,
  quotaExceeded,
  systemBusy,
  tooManyConcurrent,
  unusualActivity,
  validationError,
  voiceNotFound,
} from './error-bodies.js';
import type { Cut } from './body-writer.js';
import type { Fault, FaultScope } from './types.js';

/** Injected failures: a queue of faults, each matching some paths a number of times. */

export const TTS_PATH = /^\/v1\/text-to-speech\//;

interface Entry {
  fault: Fault;
  path: RegExp;
  remaining: number;
}

export class FaultQueue {
  private entries: Entry[] = [];

  inject(fault: Fault, scope: FaultScope = {}): void {
    const times = scope.times ?? Infinity;
    if (!(times >= 1) || (Number.isFinite(times) && !Number.isInteger(times))) {
      throw new RangeError(`FaultScope.times must be a positive integer or Infinity, got ${times}`);
    }
    this.entries.push({ fault, path: scope.path ?? TTS_PATH, remaining: times });
  }

  /** The first queued fault whose scope matches `path`, used up once. */
  take(path: string): Fault | undefined {
    const index = this.entries.findIndex((entry) => {
      entry.path.lastIndex = 0; // a /g or /y RegExp keeps state between test() calls
      return entry.path.test(path);
    });
    const entry = this.entries[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.entries.splice(index, 1);
    return entry.fault;
  }

  clear(): void {
    this.entries = [];
  }
}

/** What the request being failed was about, so error messages read like real ones. */
export interface FaultContext {
  voiceId: string | undefined;
  textLength: number;
  modelCharacterLimit: number;
  subscription: Record<string, unknown>;
  maxConcurrency: number;
}

export type FaultAction = { type: 'reply'; reply: ErrorReply } | { type: 'stall' } | { type: 'cut'; cut: Cut };

function numberField(record: Record<string, unknown>, key: string, fallback: number): number {
  const value = record[key];
  return typeof value === 'number' ? value : fallback;
}

function quotaReply(context: FaultContext): ErrorReply {
  const limit = numberField(context.subscription, 'character_limit', 10000);
  const used = numberField(context.subscription, 'character_count', limit);
  const required = Math.max(context.textLength, 1);
  const remaining = Math.max(0, Math.min(limit - used, required - 1));
  return quotaExceeded(limit, remaining, required);
}

function replyFor(fault: Exclude<Fault, { kind: 'stall' | 'stall_mid_stream' | 'reset_mid_stream' }>, context: FaultContext): ErrorReply {
  switch (fault.kind) {
    case 'invalid_key':
      return invalidKey();
    case 'invalid_key_legacy':
      return legacyError(401, 'invalid_api_key', 'Invalid API key');
    case 'quota_exceeded':
      return quotaReply(context);
    case 'unusual_activity':
      return unusualActivity();
    case 'voice_not_found':
      return voiceNotFound(context.voiceId ?? 'unknown');
    case 'validation':
      return validationError([{ type: 'missing', loc: ['body', 'text'], msg: 'Field required', input: null }]);
    case 'max_characters':
      return maxCharacters(Math.max(context.textLength, context.modelCharacterLimit + 1), context.modelCharacterLimit);
    case 'busy':
      return systemBusy();
    case 'too_many_concurrent':
      return tooManyConcurrent(context.maxConcurrency);
    case 'server_error':
      return plainError(fault.status ?? 500);
    case 'retry_after':
      return { ...systemBusy(), headers: { 'retry-after': String(fault.seconds) } };
  }
}

export function faultAction(fault: Fault, context: FaultContext): FaultAction {
  switch (fault.kind) {
    case 'stall':
      return { type: 'stall' };
    case 'stall_mid_stream':
      return { type: 'cut', cut: { mode: 'stall', afterBytes: fault.afterBytes } };
    case 'reset_mid_stream':
      return { type: 'cut', cut: { mode: 'reset', afterBytes: fault.afterBytes } };
    default:
      return { type: 'reply', reply: replyFor(fault, context) };
  }
}
