import { readFileSync } from 'node:fs';

/** The package version, read once by the composition root that asks for it. */
export function packageVersion(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@jessica-tts/jessica' && pkg.version) return pkg.version;
    } catch {
      // Try the next location: sources and the built tree sit at different depths.
    }
  }
  return '0.0.0';
}
