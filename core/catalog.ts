import { JessicaError } from './errors.js';
import type { TtsProvider } from './ports.js';
import type { Model, Voice } from './types.js';

/** Upstream voice ids are 20 letters and digits. */
const VOICE_ID = /^[A-Za-z0-9]{20}$/;

/**
 * Voices and models, cached for a short TTL and fetched once however many callers ask at the
 * same moment. A failed fetch is not cached.
 */
export class Catalog {
  readonly #provider: TtsProvider;
  readonly #voices: Memo<Voice[]>;
  readonly #models: Memo<Model[]>;
  readonly #extraVoices = new Map<string, Voice>();

  constructor(provider: TtsProvider, ttlMs: number, now: () => number = Date.now) {
    this.#provider = provider;
    this.#voices = new Memo(() => provider.listVoices(), ttlMs, now);
    this.#models = new Memo(() => provider.listModels(), ttlMs, now);
  }

  async voices(search?: string): Promise<Voice[]> {
    const voices = await this.#voices.get();
    const needle = search?.trim().toLowerCase();
    if (!needle) return voices;
    return voices.filter(
      (voice) =>
        voice.name.toLowerCase().includes(needle) ||
        voice.category.toLowerCase().includes(needle) ||
        Object.values(voice.labels).some((label) => label.toLowerCase().includes(needle)),
    );
  }

  async models(): Promise<Model[]> {
    return this.#models.get();
  }

  /** A voice by id, or by name ignoring case. */
  async resolveVoice(reference: string): Promise<Voice> {
    const wanted = reference.trim();
    const voices = await this.voices();
    const byId = voices.find((voice) => voice.voice_id === wanted) ?? this.#extraVoices.get(wanted);
    if (byId) return byId;
    const lower = wanted.toLowerCase();
    const byName = voices.find((voice) => voice.name.toLowerCase() === lower) ?? voices.find((voice) => voice.name.toLowerCase().split(/\s+[-–(]/)[0] === lower);
    if (byName) return byName;
    // Shared-library voices are usable by id without being in the account's list.
    if (VOICE_ID.test(wanted)) {
      const voice = await this.#provider.getVoice(wanted);
      if (voice) {
        this.#extraVoices.set(voice.voice_id, voice);
        return voice;
      }
    }
    throw new JessicaError('unknown_voice', `No voice is called or has the id "${wanted.slice(0, 100)}". GET /voices lists them.`);
  }

  async resolveModel(reference: string): Promise<Model> {
    const wanted = reference.trim().toLowerCase();
    const model = (await this.models()).find((candidate) => candidate.model_id.toLowerCase() === wanted);
    if (!model) {
      throw new JessicaError('unknown_model', `No text-to-speech model has the id "${reference.slice(0, 100)}". GET /models lists them.`);
    }
    return model;
  }
}

/** One value loaded on demand, shared by concurrent callers, kept for `ttlMs`; failures are not kept. */
class Memo<T> {
  #entry: { value: Promise<T>; expires: number } | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(): Promise<T> {
    const now = this.now();
    if (this.#entry && this.#entry.expires > now) return this.#entry.value;
    const entry = { value: this.load(), expires: now + this.ttlMs };
    entry.value.catch(() => {
      if (this.#entry === entry) this.#entry = undefined;
    });
    this.#entry = entry;
    return entry.value;
  }
}
