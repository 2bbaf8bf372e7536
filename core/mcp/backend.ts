import { JessicaError } from '../errors.js';
import type { Jessica } from '../jessica.js';
import { concatBytes } from '../speech.js';
import type { Model, Settings, Usage, Voice } from '../types.js';

export interface SpokenResult {
  utterance_id: string;
  listeners: number;
  /** With `wait`: whether a listener reported the utterance played to the end. */
  played?: boolean;
}

export interface AudioResult {
  audio: Uint8Array;
  mime: string;
  utterance_id: string;
  characters: number;
  voice: string;
}

/** A tool call's channel back to its client; both are no-ops where the client asked for neither. */
export interface ToolReport {
  /** `progress` rises with every call; `total` when it is known. */
  progress(progress: number, total: number | undefined, message: string): void;
  log(level: 'info' | 'warning', message: string): void;
}

/** Sends nothing: for callers with no client to tell. */
export const SILENT_REPORT: ToolReport = Object.freeze({ progress: () => undefined, log: () => undefined });

/** Progress notifications while audio arrives, at most one per this many bytes. */
const PROGRESS_STEP_BYTES = 32 * 1024;

/**
 * What the MCP tools need. The live server and Lambda back it with the core directly; the
 * stdio CLI backs it with a client of a running server.
 */
export interface McpBackend {
  /** Throws JessicaError `no_listeners` or `live_channel_unavailable` when nobody can hear it. */
  speak(principal: string, input: unknown, options: { wait: boolean; report?: ToolReport }): Promise<SpokenResult>;
  textToSpeech(principal: string, input: unknown, options?: { report?: ToolReport }): Promise<AudioResult>;
  listVoices(search?: string): Promise<Voice[]>;
  listModels(): Promise<Model[]>;
  getSettings(principal: string): Promise<Settings>;
  updateSettings(principal: string, patch: unknown): Promise<Settings>;
  usage(): Promise<Usage>;
  stop(principal: string): Promise<{ stopped: number }>;
}

export function backendFromJessica(jessica: Jessica, options: { waitTimeoutMs?: number } = {}): McpBackend {
  const waitTimeoutMs = options.waitTimeoutMs ?? 5 * 60_000;
  return {
    async speak(principal, input, { wait, report = SILENT_REPORT }) {
      const queued = await jessica.speak(principal, input);
      if (!wait) return { utterance_id: queued.utterance_id, listeners: queued.listeners };
      const where = `${queued.listeners} page${queued.listeners === 1 ? '' : 's'}`;
      report.progress(1, 3, `Queued on ${where}.`);
      const outcome = await queued.finished;
      if (outcome === 'failed') throw new JessicaError('upstream_error', 'The speech could not be synthesised; see the page for details.');
      if (outcome === 'ended') report.progress(2, 3, `Sent to ${where}; waiting for playback to end.`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitTimeoutMs)));
      const played = outcome === 'ended' ? await Promise.race([queued.played, timeout]) : false;
      clearTimeout(timer);
      report.progress(3, 3, played ? 'Played.' : 'Playback was not confirmed.');
      return { utterance_id: queued.utterance_id, listeners: queued.listeners, played };
    },
    async textToSpeech(principal, input, { report = SILENT_REPORT } = {}) {
      const { plan, chunks } = await jessica.openStream(principal, input);
      if (plan.parts.length > 1) report.log('info', `The text is longer than one request of ${plan.modelId} takes: synthesising it in ${plan.parts.length} parts.`);
      const parts: Uint8Array[] = [];
      let bytes = 0;
      let reported = 0;
      for await (const chunk of chunks) {
        parts.push(chunk);
        bytes += chunk.byteLength;
        if (bytes - reported >= PROGRESS_STEP_BYTES) {
          reported = bytes;
          report.progress(bytes, undefined, `${bytes} bytes of audio so far.`);
        }
      }
      return { audio: concatBytes(parts), mime: plan.mime, utterance_id: plan.utteranceId, characters: plan.characters, voice: plan.voiceName };
    },
    listVoices: (search) => jessica.listVoices(search),
    listModels: () => jessica.listModels(),
    getSettings: (principal) => jessica.getSettings(principal),
    updateSettings: (principal, patch) => jessica.updateSettings(principal, patch),
    usage: () => jessica.usage(),
    stop: (principal) => jessica.stop(principal),
  };
}
