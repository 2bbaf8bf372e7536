import { createHash } from 'node:crypto';
import type { AudioCache, CachedAudio } from '../ports.js';

/**
 * An LRU cache of finished utterances bounded by total bytes. Entries larger than an eighth of
 * the capacity are not kept: one long reading must not evict every short phrase.
 */
export class LruAudioCache implements AudioCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, { audio: CachedAudio; bytes: number }>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): CachedAudio | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.audio;
  }

  set(key: string, audio: CachedAudio): void {
    const bytes = audio.chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    if (bytes === 0 || bytes > this.#maxBytes / 8) return;
    const existing = this.#entries.get(key);
    if (existing) {
      this.#entries.delete(key);
      this.#bytes -= existing.bytes;
    }
    this.#entries.set(key, { audio, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }
}

/** A stable key over everything that changes the audio. */
export function audioCacheKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
