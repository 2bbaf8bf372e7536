import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * Benchmark processes run as plain JavaScript, as the deployed server does (it runs the tsc
 * output), not under tsx: tsx's loader adds ~40 MiB of RSS and its own work to every process.
 * Each entry of bench/children/ is bundled once per run into a temporary directory.
 *
 * BENCH_JESSICA_SERVER=/path/to/other/checkout/fargate/server.ts bundles that server instead,
 * for before/after comparisons of a change.
 */

let dir: string | undefined;
const built = new Map<string, Promise<string>>();

/** Points the server child's `../../fargate/server.js` at another checkout. */
function serverOverride(path: string): Plugin {
  return {
    name: 'bench-server-override',
    setup(setup) {
      setup.onResolve({ filter: /fargate\/server\.js$/ }, (args) => (args.importer.includes(`${join('bench', 'children')}`) ? { path } : undefined));
    },
  };
}

export function bundledChild(entry: string): Promise<string> {
  let pending = built.get(entry);
  if (!pending) {
    if (!dir) {
      dir = mkdtempSync(join(tmpdir(), 'jessica-bench-'));
      const created = dir;
      process.once('exit', () => rmSync(created, { recursive: true, force: true }));
    }
    const outfile = join(dir, `${entry}.mjs`);
    const override = process.env['BENCH_JESSICA_SERVER'];
    pending = build({
      entryPoints: [fileURLToPath(new URL(`../children/${entry}.ts`, import.meta.url))],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      mainFields: ['module', 'main'],
      // CommonJS dependencies call require() for Node.js built-ins, which an ESM bundle lacks.
      banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" },
      plugins: override ? [serverOverride(override)] : [],
      // Read back by a child's CPU profile summary (bench/children/jessica.ts) to name source files; Node.js ignores it otherwise.
      sourcemap: 'external',
      logLevel: 'error',
    }).then(() => outfile);
    built.set(entry, pending);
  }
  return pending;
}
