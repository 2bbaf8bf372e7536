import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../core/http/openapi.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'jessica-openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the OpenAPI document under @redocly/cli lint (recommended rules)', () => {
  it('reports no error and no warning, under the root path and without one', async () => {
    for (const [name, rootPath] of [['root.json', ''], ['jessica.json', '/jessica']] as const) {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(openApiDocument('1.2.3', rootPath), null, 2));
      // JSON output: the problems as data, not a banner to parse. Lint exits non-zero on errors only.
      const { stdout } = await run(join('node_modules', '.bin', 'redocly'), ['lint', path, '--format', 'json'], {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
        maxBuffer: 16 * 1024 * 1024,
      });
      const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string }> };
      expect(report.problems.map((problem) => `${problem.ruleId}: ${problem.message}`)).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    }
  }, 60_000);
});
