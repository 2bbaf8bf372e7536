import { readFileSync } from 'node:fs';

interface PackageManifest {
  name?: string;
  version?: string;
  homepage?: string;
  repository?: string | { url?: string };
}

function readManifest(): PackageManifest | undefined {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as PackageManifest;
      if (pkg.name === '@jessica-tts/jessica') return pkg;
    } catch {
      // Try the next location: sources and the built tree sit at different depths.
    }
  }
  return undefined;
}

/** The package version, read once by the composition root that asks for it. */
export function packageVersion(): string {
  return readManifest()?.version || '0.0.0';
}

/** The project's web address (`homepage`, else `repository`), if the package names one. */
export function projectUrl(manifest: PackageManifest | undefined = readManifest()): string | undefined {
  const repository = typeof manifest?.repository === 'string' ? manifest.repository : manifest?.repository?.url;
  const url = manifest?.homepage || repository;
  if (!url) return undefined;
  // npm's `git+https://…/x.git` form names the same page a person would open.
  return url.replace(/^git\+/, '').replace(/\.git$/, '');
}
