import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/**
 * Builds the server (dist/) and the page (web/dist/) once, before any test: the CLI, service and
 * container tests run the built server, and a fresh clone or a stale build must not make them
 * test other code than the source's.
 */
export default function setup(): void {
  if (!existsSync('scripts/build-web.mjs')) return;
  const result = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}
