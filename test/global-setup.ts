import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** Builds the page once so the live server can serve it to real-browser tests. */
export default function setup(): void {
  if (!existsSync('scripts/build-web.mjs')) return;
  const result = spawnSync(process.execPath, ['scripts/build-web.mjs'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('building web/ failed');
}
