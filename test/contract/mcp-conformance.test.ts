import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { startYardstick } from '../support/yardstick-mcp.js';
import { startLambdaSite, type LambdaSite } from '../web/support/lambda-site.js';

/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`), which needs Node 22:
 * the `node` npm package brings it (scripts/node22.sh installs its binary where npm skipped the
 * install script). Each requirement set runs against the smallest server built on the SDK and
 * against Jessica in the same run; Jessica must pass every check that yardstick passes.
 * (Many scenarios need fixture tools, prompts and resources that no tools-only server has: both
 * fail those alike.)
 */
const NODE_22 = 'node_modules/node/bin/node';
const SUITE = 'node_modules/@modelcontextprotocol/conformance/dist/index.js';
const REQUIREMENTS = ['2026-07-28', '2025-11-25'] as const;
const available = existsSync(NODE_22) && existsSync(SUITE);

/**
 * A buffered Lambda response cannot stay open, so the handler refuses `subscriptions/listen`
 * in-band at once (`-32603`, no open stream billed until the timeout); the tool list never
 * changes, so a listener would hear nothing anyway.
 */
const LAMBDA_CANNOT_STREAM = new Set(['server-stateless › sep-2575-server-sends-subscription-ack', 'server-stateless › sep-2575-server-tags-subscription-id']);

type Checks = Map<string, { status: string; message: string | undefined }>;

function run(url: string, requirements: string): Promise<Checks> {
  const out = mkdtempSync(join(tmpdir(), 'jessica-conformance-'));
  return new Promise((resolve, reject) => {
    const child = spawn(NODE_22, [SUITE, 'server', '--url', url, '--requirements', requirements, '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    // The suite exits non-zero whenever any scenario fails, which every tools-only server does: the checks decide.
    child.on('close', () => {
      try {
        const checks: Checks = new Map();
        for (const dir of readdirSync(out)) {
          const scenario = dir.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
          const file = join(out, dir, 'checks.json');
          if (!existsSync(file)) continue;
          for (const check of JSON.parse(readFileSync(file, 'utf8')) as Array<{ id: string; status: string; errorMessage?: string }>) {
            checks.set(`${scenario} › ${check.id}`, { status: check.status, message: check.errorMessage });
          }
        }
        if (checks.size === 0) reject(new Error(`the conformance suite wrote no checks:\n${output.slice(-2000)}`));
        else resolve(checks);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
}

/** Checks the yardstick passes and the target does not, with what the suite said. */
function missed(yardstick: Checks, target: Checks, excused: ReadonlySet<string> = new Set()): string[] {
  const misses: string[] = [];
  for (const [id, check] of yardstick) {
    if (check.status !== 'SUCCESS' || excused.has(id)) continue;
    const mine = target.get(id);
    if (mine?.status !== 'SUCCESS') misses.push(`${id}: ${mine ? `${mine.status} ${mine.message ?? ''}` : 'not run'}`.trim());
  }
  return misses;
}

describe.skipIf(!available)('MCP conformance against the SDK yardstick, in the same run', () => {
  let yardstick: Awaited<ReturnType<typeof startYardstick>>;
  let live: Stack;
  let lambda: LambdaSite;

  beforeAll(async () => {
    [yardstick, live, lambda] = await Promise.all([startYardstick(), startStack(), startLambdaSite()]);
  });
  afterAll(async () => {
    await Promise.all([yardstick?.close(), live?.close(), lambda?.close()]);
  });

  for (const requirements of REQUIREMENTS) {
    it(`passes every ${requirements} check the yardstick passes, on the live server and the Lambda handler`, { timeout: 180_000 }, async () => {
      const [reference, onLive, onLambda] = await Promise.all([
        run(yardstick.url, requirements),
        run(live.url('/mcp'), requirements),
        run(`${lambda.url}/jessica/mcp`, requirements),
      ]);
      const passed = [...reference.values()].filter((check) => check.status === 'SUCCESS').length;
      expect(passed).toBeGreaterThan(20);
      expect({ live: missed(reference, onLive), lambda: missed(reference, onLambda, LAMBDA_CANNOT_STREAM) }).toEqual({ live: [], lambda: [] });
    });
  }
});

if (!available) {
  describe('MCP conformance', () => {
    it.skip('needs Node 22 from the node package (bash scripts/node22.sh) and @modelcontextprotocol/conformance; run npm ci first', () => undefined);
  });
}
