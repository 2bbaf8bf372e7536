/**
 * Child process of settings-durability.test.ts: updates a file settings store as fast as it can
 * until it is killed. After each update resolves it prints `ack <principal> <n>`, so the parent
 * knows which writes were acknowledged when its SIGKILL landed.
 *
 * Usage: node --import tsx test/reliability/settings-hammer.ts <file> <first-n> <principals>
 */
import { FileSettingsStore } from '../../core/settings/file-store.js';
import { DEFAULT_SETTINGS } from '../../core/settings/schema.js';
import type { Settings } from '../../core/types.js';

const [path, first = '0', count = '4'] = process.argv.slice(2);
if (!path) throw new Error('usage: settings-hammer.ts <file> <first-n> <principals>');
const store = new FileSettingsStore(path);
const principals = Number(count);
let n = Number(first);

/** Several updates in flight at once, as concurrent requests would have them. */
async function worker(): Promise<void> {
  for (;;) {
    const mine = (n += 1);
    const principal = `hammer-${mine % principals}`;
    await store.update(principal, (current): Settings => ({
      ...(current ?? (DEFAULT_SETTINGS as Settings)),
      default_voice_id: `v-${mine}`,
      voice_settings: { ...(current ?? DEFAULT_SETTINGS).voice_settings, stability: (mine % 100) / 100 },
    }));
    process.stdout.write(`ack ${principal} ${mine}\n`);
  }
}

process.stdout.write('ready\n');
await Promise.all([worker(), worker(), worker()]);
