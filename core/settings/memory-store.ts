import type { SettingsStore } from '../ports.js';
import type { Settings } from '../types.js';

/** Settings kept in this process only (tests, throwaway servers). */
export class MemorySettingsStore implements SettingsStore {
  readonly #settings = new Map<string, Settings>();

  async get(principal: string): Promise<Settings | undefined> {
    const settings = this.#settings.get(principal);
    return settings === undefined ? undefined : structuredClone(settings);
  }

  async update(principal: string, change: (current: Settings | undefined) => Settings): Promise<Settings> {
    // Synchronous read-modify-write (no await before the set): no other update can interleave.
    const current = this.#settings.get(principal);
    const next = change(current === undefined ? undefined : structuredClone(current));
    this.#settings.set(principal, structuredClone(next));
    return structuredClone(next);
  }
}
