import { JessicaError } from '../errors.js';
import type { Jessica } from '../jessica.js';
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

/**
 * What the MCP tools need. The live server and Lambda back it with the core directly; the
 * stdio CLI backs it with a client of a running server.
 */
export interface McpBackend {
  /** Throws JessicaError `no_listeners` or `live_channel_unavailable` when nobody can hear it. */
  speak(principal: string, input: unknown, options: { wait: boolean }): Promise<SpokenResult>;
  textToSpeech(principal: string, input: unknown): Promise<AudioResult>;
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
    async speak(principal, input, { wait }) {
      const queued = await jessica.speak(principal, input);
      if (!wait) return { utterance_id: queued.utterance_id, listeners: queued.listeners };
      const outcome = await queued.finished;
      if (outcome === 'failed') throw new JessicaError('upstream_error', 'The speech could not be synthesised; see the page for details.');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitTimeoutMs)));
      const played = outcome === 'ended' ? await Promise.race([queued.played, timeout]) : false;
      clearTimeout(timer);
      return { utterance_id: queued.utterance_id, listeners: queued.listeners, played };
    },
    async textToSpeech(principal, input) {
      const { plan, audio } = await jessica.synthesize(principal, input);
      return { audio, mime: plan.mime, utterance_id: plan.utteranceId, characters: plan.characters, voice: plan.voiceName };
    },
    listVoices: (search) => jessica.listVoices(search),
    listModels: () => jessica.listModels(),
    getSettings: (principal) => jessica.getSettings(principal),
    updateSettings: (principal, patch) => jessica.updateSettings(principal, patch),
    usage: () => jessica.usage(),
    stop: (principal) => jessica.stop(principal),
  };
}
