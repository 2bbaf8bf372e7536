import { JessicaError } from './errors.js';
import type { TtsProvider } from './ports.js';
import type { Model, Voice } from './types.js';

/** Upstream voice ids are 20 letters and digits. */
const VOICE_ID = /^[A-Za-z0-9]{20}$/;

/**
 * Voices and models, cached for a short TTL and fetched once however many callers ask at the
 * same moment. A failed fetch is not cached. Once the TTL is over, callers get the list they had
 * at once while a fresh one is fetched beside them: a request's speech does not wait for a
 * catalogue round trip every TTL. A voice or model the old list lacks is looked up in the fresh one.
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
    const found = (await this.#find(this.#voices, (voices) => findVoice(voices, wanted))) ?? this.#extraVoices.get(wanted);
    if (found) return found;
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
    const model = await this.#find(this.#models, (models) => models.find((candidate) => candidate.model_id.toLowerCase() === wanted));
    if (!model) {
      throw new JessicaError('unknown_model', `No text-to-speech model has the id "${reference.slice(0, 100)}". GET /models lists them.`);
    }
    return model;
  }

  /** `pick` from the list at hand; if that list is past its TTL and lacks it, from the fresh one. */
  async #find<T, R>(memo: Memo<T>, pick: (value: T) => R | undefined): Promise<R | undefined> {
    const { value, stale } = await memo.read();
    return pick(value) ?? (stale ? pick(await memo.fresh()) : undefined);
  }
}

function findVoice(voices: Voice[], wanted: string): Voice | undefined {
  const byId = voices.find((voice) => voice.voice_id === wanted);
  if (byId) return byId;
  const lower = wanted.toLowerCase();
  return voices.find((voice) => voice.name.toLowerCase() === lower) ?? voices.find((voice) => voice.name.toLowerCase().split(/\s+[-–(]/)[0] === lower);
}

/**
 * One value loaded on demand, shared by concurrent callers, kept for `ttlMs`; failures are not
 * kept. Past its TTL the value is still served, and refreshed beside the caller (a failed
 * refresh keeps it); a TTL of 0 keeps nothing.
 */
class Memo<T> {
  #kept: { value: T; expires: number } | undefined;
  #loading: Promise<T> | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  async get(): Promise<T> {
    return (await this.read()).value;
  }

  /** The value at hand, and whether it is past its TTL (a refresh then starts on the next turn). */
  async read(): Promise<{ value: T; stale: boolean }> {
    const kept = this.#kept;
    if (kept === undefined || this.ttlMs === 0) return { value: await this.fresh(), stale: false };
    if (this.#isFresh(kept)) return { value: kept.value, stale: false };
    // The refresh starts on the next turn, so the caller's own upstream request goes first, on the
    // idle keep-alive socket; callers meanwhile share the one load (`fresh`), and none starts once
    // a fresh value is kept.
    setImmediate(() => {
      if (!this.#isFresh(this.#kept)) this.fresh().catch(() => undefined);
    });
    return { value: kept.value, stale: true };
  }

  #isFresh(kept: { expires: number } | undefined): boolean {
    return kept !== undefined && kept.expires > this.now();
  }

  /** A value loaded now (or the load under way); the one to keep once it arrives. */
  fresh(): Promise<T> {
    this.#loading ??= this.load().then(
      (value) => {
        this.#kept = { value, expires: this.now() + this.ttlMs };
        this.#loading = undefined;
        return value;
      },
      (error: unknown) => {
        this.#loading = undefined;
        throw error;
      },
    );
    return this.#loading;
  }
}
