import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeJessica, type ComposeOptions } from '../../../core/compose.js';
import { loadConfig, type Config } from '../../../core/config.js';
import { ElevenLabsClient, type ElevenLabsClientOptions } from '../../../core/elevenlabs/client.js';
import type { Jessica } from '../../../core/jessica.js';
import { LocalSemaphore } from '../../../core/limiter.js';
import type { ListenerConnection } from '../../../core/live/hub.js';
import type { ServerMessage } from '../../../core/live/messages.js';
import type { Logger, MetricName, MetricsSink } from '../../../core/ports.js';
import type { SpeechPlan } from '../../../core/speech.js';
import { mimeTypeFor, type OutputFormat } from '../../../core/types.js';
import type { FakeElevenLabs } from '../../fake-elevenlabs/index.js';

/** Shared fakes and builders for the core tests: everything here records, nothing here stubs behaviour away. */

export const JESSICA_ID = 'cgSgspJ2msm6clMCkdW9';
export const GEORGE_ID = 'JBFqnCBsd6RMkjVDRZzb';
/** A legacy voice: absent from /v2/voices, found by GET /v1/voices/{id}. */
export const RACHEL_ID = '21m00Tcm4TlvDq8ikWAM';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  extra: Array<Record<string, unknown>>;
}

export function recordingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (message: string, ...extra: Array<Record<string, unknown>>) =>
      entries.push({ level, message, extra });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function recordingMetrics(): MetricsSink & { counts: Map<MetricName, number>; timings: Array<[MetricName, number]> } {
  const counts = new Map<MetricName, number>();
  const timings: Array<[MetricName, number]> = [];
  return {
    counts,
    timings,
    count(name, value = 1) {
      counts.set(name, (counts.get(name) ?? 0) + value);
    },
    timing(name, milliseconds) {
      timings.push([name, milliseconds]);
    },
  };
}

export function tempDir(prefix = 'jessica-core-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The configuration a test server would load, pointed at the fake. */
export function configFor(fake: FakeElevenLabs, env: Record<string, string | undefined> = {}, options: { target?: 'fargate' | 'lambda' } = {}): Config {
  return loadConfig(
    {
      ELEVENLABS_BASE_URL: fake.url,
      ELEVENLABS_API_KEY: fake.apiKey,
      JESSICA_SETTINGS: 'memory:',
      JESSICA_UPSTREAM_TIMEOUT_MS: '2000',
      ...env,
    },
    { home: tempDir(), ...options },
  );
}

/** The standard wiring of the core against the fake. */
export function jessicaFor(
  fake: FakeElevenLabs,
  env: Record<string, string | undefined> = {},
  extra: Partial<Omit<ComposeOptions, 'config'>> = {},
): { jessica: Jessica; config: Config } {
  const config = configFor(fake, env);
  const jessica = composeJessica({ config, version: '9.9.9-test', logger: recordingLogger(), metrics: recordingMetrics(), ...extra });
  return { jessica, config };
}

export function clientFor(fake: FakeElevenLabs, options: Partial<ElevenLabsClientOptions> = {}): ElevenLabsClient {
  return new ElevenLabsClient({
    baseUrl: fake.url,
    apiKey: fake.apiKey,
    timeoutMs: 2_000,
    retries: 2,
    retryBaseMs: 5,
    retryMaxMs: 50,
    limiter: new LocalSemaphore(4),
    userAgent: 'jessica/9.9.9-test',
    logger: recordingLogger(),
    metrics: recordingMetrics(),
    ...options,
  });
}

export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Settles with the rejection of `promise`, failing when it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** A text with `sentences` distinct sentences, about 50 characters each. */
export function longText(sentences: number): string {
  return Array.from({ length: sentences }, (_, index) => `Sentence number ${index + 1} is here to be read aloud.`).join(' ');
}

export function planFor(text: string, overrides: Partial<SpeechPlan> = {}): SpeechPlan {
  const outputFormat: OutputFormat = overrides.outputFormat ?? 'mp3_44100_128';
  return {
    utteranceId: `utt_${Math.random().toString(36).slice(2, 12)}`,
    text,
    parts: [text],
    voiceId: JESSICA_ID,
    voiceName: 'Jessica',
    modelId: 'eleven_flash_v2_5',
    outputFormat,
    mime: mimeTypeFor(outputFormat),
    voiceSettings: undefined,
    characters: text.length,
    wordTimings: false,
    ...overrides,
  };
}

export type Frame = { kind: 'json'; message: ServerMessage } | { kind: 'audio'; bytes: Buffer };

/** An in-memory page: records every frame it is sent, reports whatever backlog the test sets. */
export class FakeListener implements ListenerConnection {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  backlog = 0;
  onJson: ((message: ServerMessage) => void) | undefined;

  constructor(readonly id: string) {}

  sendJson(message: ServerMessage): void {
    this.frames.push({ kind: 'json', message });
    this.onJson?.(message);
  }

  sendAudio(bytes: Uint8Array): void {
    this.frames.push({ kind: 'audio', bytes: Buffer.from(bytes) });
  }

  bufferedBytes(): number {
    return this.backlog;
  }

  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }

  /** Frame kinds in order, audio runs collapsed to one `audio` entry, e.g. `['audio.start', 'audio', 'audio.end']`. */
  sequence(): string[] {
    const out: string[] = [];
    for (const frame of this.frames) {
      const name = frame.kind === 'audio' ? 'audio' : frame.message.type;
      if (name === 'audio' && out.at(-1) === 'audio') continue;
      out.push(name);
    }
    return out;
  }

  audio(): Buffer {
    return Buffer.concat(this.frames.flatMap((frame) => (frame.kind === 'audio' ? [frame.bytes] : [])));
  }

  messages(type?: ServerMessage['type']): ServerMessage[] {
    return this.frames.flatMap((frame) => (frame.kind === 'json' && (type === undefined || frame.message.type === type) ? [frame.message] : []));
  }
}
