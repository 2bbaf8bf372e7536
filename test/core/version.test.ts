import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packageVersion, projectUrl } from '../../core/version.js';

describe('packageVersion', () => {
  it("is the version in the project's package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(packageVersion()).toBe(pkg.version);
  });
});

describe('projectUrl', () => {
  it('takes homepage first, then repository, as a page a person can open', () => {
    expect(projectUrl({ homepage: 'https://example.org/jessica', repository: 'https://example.org/repo' })).toBe('https://example.org/jessica');
    expect(projectUrl({ repository: { url: 'git+https://example.org/jessica.git' } })).toBe('https://example.org/jessica');
    expect(projectUrl({ repository: 'https://example.org/jessica' })).toBe('https://example.org/jessica');
  });

  it('is undefined when the package names neither', () => {
    expect(projectUrl({})).toBeUndefined();
  });
});
