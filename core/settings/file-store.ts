import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { JessicaError } from '../errors.js';
import type { SettingsStore } from '../ports.js';
import type { Settings } from '../types.js';
import { withDefaults } from './schema.js';

interface FileShape {
  version: 1;
  principals: Record<string, Settings>;
}

/**
 * Settings in one JSON file. Writes go to a temporary file that is synced and renamed over the
 * old one, so a crash leaves either the old or the new file, never a partial one. Updates are
 * serialised in this process so concurrent changes never lose a field. A corrupt file is
 * reported, never silently reset.
 */
export class FileSettingsStore implements SettingsStore {
  readonly #path: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.#path = path;
  }

  async get(principal: string): Promise<Settings | undefined> {
    const stored = (await this.#read()).principals[principal];
    return stored === undefined ? undefined : withDefaults(stored);
  }

  update(principal: string, change: (current: Settings | undefined) => Settings): Promise<Settings> {
    const run = this.#queue.then(async () => {
      const file = await this.#read();
      const stored = file.principals[principal];
      const next = change(stored === undefined ? undefined : withDefaults(stored));
      file.principals[principal] = next;
      await this.#write(file);
      return next;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #read(): Promise<FileShape> {
    let raw: string;
    try {
      raw = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, principals: {} };
      throw new JessicaError('settings_unavailable', 'The settings file cannot be read.', { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      throw new JessicaError('settings_unavailable', 'The settings file is corrupt; fix or remove it to continue.', { cause: error });
    }
    const principals = (parsed as Partial<FileShape> | null)?.principals;
    if (typeof principals !== 'object' || principals === null || Array.isArray(principals)) {
      throw new JessicaError('settings_unavailable', 'The settings file is corrupt; fix or remove it to continue.');
    }
    return { version: 1, principals: principals as Record<string, Settings> };
  }

  async #write(file: FileShape): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
    const temp = `${this.#path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, this.#path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
