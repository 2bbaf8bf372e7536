import { describe, expect, it } from 'vitest';
import { MemorySettingsStore } from '../../../core/settings/memory-store.js';
import { applySettingsPatch, DEFAULT_SETTINGS } from '../../../core/settings/schema.js';
import type { Settings } from '../../../core/types.js';

const defaults = () => structuredClone(DEFAULT_SETTINGS) as Settings;

describe('MemorySettingsStore', () => {
  it('answers undefined for an unknown principal and keeps principals apart', async () => {
    const store = new MemorySettingsStore();
    expect(await store.get('alice')).toBeUndefined();
    await store.update('alice', () => ({ ...defaults(), auto_play: false }));
    expect((await store.get('alice'))?.auto_play).toBe(false);
    expect(await store.get('bob')).toBeUndefined();
  });

  it('hands out copies, so callers cannot change what is stored', async () => {
    const store = new MemorySettingsStore();
    const saved = await store.update('alice', () => defaults());
    saved.default_voice_id = 'changed';
    const read = await store.get('alice');
    read!.auto_play = false;
    expect(await store.get('alice')).toEqual(defaults());
  });

  it('loses nothing when many updates run at once', async () => {
    const store = new MemorySettingsStore();
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        store.update('alice', (current) => applySettingsPatch(current ?? defaults(), index % 2 === 0 ? { voice_settings: { stability: index / 100 } } : { voice_settings: { style: index / 100 } })),
      ),
    );
    expect((await store.get('alice'))?.voice_settings).toMatchObject({ stability: 0.48, style: 0.49 });
  });
});
