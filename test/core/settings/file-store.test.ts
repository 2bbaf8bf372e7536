import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSettingsStore } from '../../../core/settings/file-store.js';
import { applySettingsPatch, DEFAULT_SETTINGS } from '../../../core/settings/schema.js';
import type { Settings } from '../../../core/types.js';
import { GEORGE_ID, rejectionOf, tempDir } from '../support/fakes.js';

const defaults = () => structuredClone(DEFAULT_SETTINGS) as Settings;

function storeIn(dir = tempDir()): { store: FileSettingsStore; path: string; dir: string } {
  const path = join(dir, 'nested', 'settings.json');
  return { store: new FileSettingsStore(path), path, dir };
}

describe('FileSettingsStore', () => {
  it('answers undefined for a principal it has never seen, without creating the file', async () => {
    const { store, path } = storeIn();
    expect(await store.get('alice')).toBeUndefined();
    expect(() => statSync(path)).toThrow();
  });

  it('persists an update where a new store on the same file reads it', async () => {
    const { store, path } = storeIn();
    const saved = await store.update('alice', (current) => applySettingsPatch(current ?? defaults(), { default_voice_id: GEORGE_ID, auto_play: false }));
    expect(saved).toMatchObject({ default_voice_id: GEORGE_ID, auto_play: false });
    expect(await new FileSettingsStore(path).get('alice')).toEqual(saved);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 1, principals: { alice: saved } });
  });

  it('gives the change function the current settings', async () => {
    const { store } = storeIn();
    await store.update('alice', () => ({ ...defaults(), output_format: 'pcm_16000' }));
    let seen: Settings | undefined;
    await store.update('alice', (current) => {
      seen = current;
      return current!;
    });
    expect(seen?.output_format).toBe('pcm_16000');
  });

  it('writes the file privately and leaves no temporary file behind', async () => {
    const { store, path } = storeIn();
    for (let index = 0; index < 5; index += 1) await store.update(`p${index}`, () => defaults());
    expect(readdirSync(join(path, '..'))).toEqual(['settings.json']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('loses nothing when 50 updates of different principals run at once', async () => {
    const { store, path } = storeIn();
    const principals = Array.from({ length: 50 }, (_, index) => `user${index}`);
    await Promise.all(principals.map((principal, index) => store.update(principal, () => ({ ...defaults(), voice_settings: { stability: index / 50 } }))));
    const file = JSON.parse(readFileSync(path, 'utf8')) as { principals: Record<string, Settings> };
    expect(Object.keys(file.principals).sort()).toEqual([...principals].sort());
    for (const [index, principal] of principals.entries()) expect(file.principals[principal]?.voice_settings?.stability).toBe(index / 50);
  });

  it('loses no field when 50 updates of different fields of one principal run at once', async () => {
    const { store, path } = storeIn();
    const patches = Array.from({ length: 50 }, (_, index) => {
      switch (index % 5) {
        case 0:
          return { voice_settings: { stability: index / 100 } };
        case 1:
          return { voice_settings: { similarity_boost: index / 100 } };
        case 2:
          return { voice_settings: { style: index / 100 } };
        case 3:
          return { auto_play: index % 2 === 0 };
        default:
          return { output_format: 'pcm_16000' as const };
      }
    });
    await Promise.all(patches.map((patch) => store.update('alice', (current) => applySettingsPatch(current ?? defaults(), patch))));
    const stored = await new FileSettingsStore(path).get('alice');
    // Each field holds the value of the last update that touched it.
    expect(stored?.voice_settings).toMatchObject({ stability: 45 / 100, similarity_boost: 46 / 100, style: 47 / 100 });
    expect(stored?.auto_play).toBe(48 % 2 === 0);
    expect(stored?.output_format).toBe('pcm_16000');
  });

  it('reports a corrupt file as settings_unavailable and leaves it untouched', async () => {
    const { store, path } = storeIn();
    mkdirSync(join(path, '..'), { recursive: true });
    const corrupt = '{"version":1,"principals":{"alice":';
    writeFileSync(path, corrupt);
    for (const attempt of [store.get('alice'), store.update('alice', () => defaults())]) {
      expect(await rejectionOf(attempt)).toMatchObject({ code: 'settings_unavailable', status: 503 });
    }
    expect(readFileSync(path, 'utf8')).toBe(corrupt);
  });

  it('reports JSON without a principals object as corrupt and leaves it untouched', async () => {
    const { store, path } = storeIn();
    mkdirSync(join(path, '..'), { recursive: true });
    for (const content of ['null', '[]', '{"principals":[]}', '{"version":1}']) {
      writeFileSync(path, content);
      expect(await rejectionOf(store.update('alice', () => defaults()))).toMatchObject({ code: 'settings_unavailable' });
      expect(readFileSync(path, 'utf8')).toBe(content);
    }
  });

  it('reports a file it cannot read as settings_unavailable', async () => {
    const dir = tempDir();
    const store = new FileSettingsStore(dir); // a directory, not a file
    expect(await rejectionOf(store.get('alice'))).toMatchObject({ code: 'settings_unavailable' });
  });

  it('keeps serving updates after one failed', async () => {
    const { store, path } = storeIn();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, 'not json');
    const failed = store.update('alice', () => defaults());
    const fixed = failed.catch(() => writeFileSync(path, '{"version":1,"principals":{}}'));
    await fixed;
    expect(await rejectionOf(failed)).toMatchObject({ code: 'settings_unavailable' });
    await expect(store.update('alice', () => defaults())).resolves.toEqual(defaults());
  });

  it('fails the update, and stores nothing, when the change function throws', async () => {
    const { store } = storeIn();
    await store.update('alice', () => defaults());
    expect(await rejectionOf(store.update('alice', () => { throw new Error('bad change'); }))).toMatchObject({ message: 'bad change' });
    expect(await store.get('alice')).toEqual(defaults());
  });

  it('fills fields missing from an older file with the defaults', async () => {
    const { store, path } = storeIn();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify({ version: 1, principals: { alice: { default_voice_id: GEORGE_ID, voice_settings: { speed: 1.1 } } } }));
    expect(await store.get('alice')).toEqual({ ...defaults(), default_voice_id: GEORGE_ID, voice_settings: { speed: 1.1 } });
  });

  it('reads a file an earlier version wrote with the old default voice settings as none set', async () => {
    const { store, path } = storeIn();
    mkdirSync(join(path, '..'), { recursive: true });
    const legacy = { default_voice_id: GEORGE_ID, default_model_id: 'eleven_flash_v2_5', output_format: 'mp3_44100_128', auto_play: true };
    const oldDefaults = { stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1 };
    writeFileSync(path, JSON.stringify({ version: 1, principals: { alice: { ...legacy, voice_settings: oldDefaults }, bob: { ...legacy, voice_settings: { ...oldDefaults, speed: 1.1 } } } }));
    // Files from before word timings read with the default: on.
    expect(await store.get('alice')).toEqual({ ...legacy, voice_settings: null, word_timings: true });
    expect((await store.get('bob'))?.voice_settings).toEqual({ ...oldDefaults, speed: 1.1 });
    // The next write stores what it read: none set.
    await store.update('alice', (current) => applySettingsPatch(current ?? defaults(), { auto_play: false }));
    expect((JSON.parse(readFileSync(path, 'utf8')) as { principals: Record<string, Settings> }).principals['alice']?.voice_settings).toBeNull();
  });
});
