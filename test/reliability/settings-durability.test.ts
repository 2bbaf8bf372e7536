import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSettingsStore } from '../../core/settings/file-store.js';
import { DEFAULT_SETTINGS } from '../../core/settings/schema.js';
import type { Settings } from '../../core/types.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../fake-elevenlabs/index.js';
import { spawnTs } from '../support/process.js';
import { startStack, type Stack } from '../support/stack.js';
import { lambdaHandler, type LambdaCall } from '../security/lambda-events.js';
import { memoryTable, type MemoryTable } from './memory-table.js';

const ROUNDS = 6;
/** Enough other principals that each write rewrites a file of some size, widening the window a kill can land in. */
const BYSTANDERS = 300;
const HAMMERED = 4;

/**
 * Seeds a settings file, then `rounds` times: starts a child hammering it, SIGKILLs the child at a
 * random moment, and checks the file. Returns the acknowledged writes and the temp files left.
 */
async function killRounds(rounds: number): Promise<{ acknowledged: number; leftovers: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'jessica-kill-'));
  const path = join(dir, 'settings.json');
  const seed = new FileSettingsStore(path);
  for (let index = 0; index < BYSTANDERS; index += 1) {
    await seed.update(`bystander-${index}`, () => ({ ...(DEFAULT_SETTINGS as Settings), default_voice_id: `bystander-voice-${index}` }));
  }
  let next = 0;
  let acknowledged = 0;
  for (let round = 0; round < rounds; round += 1) {
    const child = spawnTs('test/reliability/settings-hammer.ts', [path, String(next), String(HAMMERED)], {});
    const acks = () => [...child.output().matchAll(/^ack (\S+) (\d+)$/gm)].map((match) => ({ principal: match[1]!, n: Number(match[2]) }));
    // Every hammered principal written once (updates are queued in order), so the count below is exact.
    while (acks().length < HAMMERED) {
      if (child.child.exitCode !== null) throw new Error(`hammer exited early:\n${child.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 150));
    child.child.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');

    // The file parses as JSON, loads, and holds every principal.
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { principals: Record<string, unknown> };
    expect(Object.keys(parsed.principals)).toHaveLength(BYSTANDERS + HAMMERED);
    const store = new FileSettingsStore(path);
    expect(await store.get('bystander-7')).toMatchObject({ default_voice_id: 'bystander-voice-7' });
    // Durability: each principal holds its last acknowledged write, or one made after it.
    const seen = acks();
    acknowledged += seen.length;
    for (let index = 0; index < HAMMERED; index += 1) {
      const principal = `hammer-${index}`;
      const last = Math.max(-1, ...seen.filter((ack) => ack.principal === principal).map((ack) => ack.n));
      const stored = await store.get(principal);
      expect(Number(stored?.default_voice_id.slice(2) ?? -1), principal).toBeGreaterThanOrEqual(last);
    }
    next = Math.max(next, ...seen.map((ack) => ack.n)) + 1_000;
  }
  return { acknowledged, leftovers: readdirSync(dir).filter((name) => name.endsWith('.tmp')).length };
}

describe('settings file under SIGKILL', () => {
  it(`stays whole and keeps every acknowledged write across ${ROUNDS} kills at random moments`, async () => {
    // Two files side by side, half the rounds each, to keep the wall time down.
    const results = await Promise.all([killRounds(ROUNDS / 2), killRounds(ROUNDS / 2)]);
    expect(results.reduce((sum, result) => sum + result.acknowledged, 0)).toBeGreaterThan(ROUNDS);
    // Temporary files left by kills that landed mid-write are harmless leftovers, never read.
    for (const { leftovers } of results) expect(leftovers).toBeLessThanOrEqual(ROUNDS / 2);
  });
});

/** Two clients PATCH disjoint fields of the same principal at the same time; afterwards each one's last value is there. */
async function raceDisjointPatches(patch: (client: 'a' | 'b', body: Record<string, unknown>) => Promise<{ status: number; json: unknown }>, rounds: number) {
  const outcomes = { a: 0, b: 0, retried: 0 };
  const send = async (client: 'a' | 'b', body: Record<string, unknown>) => {
    for (;;) {
      const { status, json } = await patch(client, body);
      // A store that gave up after repeated conflicts says so with 503 and Retry-After; a client retries.
      if (status === 503 && (json as { error?: { code?: string } }).error?.code === 'settings_unavailable') {
        outcomes.retried += 1;
        continue;
      }
      expect(status, JSON.stringify(json)).toBe(200);
      return json as Settings;
    }
  };
  const loop = async (client: 'a' | 'b') => {
    for (let i = 1; i <= rounds; i += 1) {
      const value = Math.round((i / rounds) * 100) / 100;
      const body =
        client === 'a'
          ? { voice_settings: { stability: value }, auto_play: i % 2 === 0 }
          : { voice_settings: { style: value }, output_format: i % 2 === 0 ? 'mp3_44100_64' : 'mp3_22050_32' };
      const settings = await send(client, body);
      // Read-your-write: the response carries this client's own change.
      if (client === 'a') expect(settings.voice_settings?.stability).toBe(value);
      else expect(settings.voice_settings?.style).toBe(value);
      outcomes[client] += 1;
    }
  };
  await Promise.all([loop('a'), loop('b')]);
  return outcomes;
}

const expectBothLastValues = (settings: Settings, rounds: number) =>
  expect(settings).toMatchObject({
    voice_settings: { stability: 1, style: 1 },
    auto_play: rounds % 2 === 0,
    output_format: rounds % 2 === 0 ? 'mp3_44100_64' : 'mp3_22050_32',
  });

describe('concurrent PATCH /settings on the file store, through the live server', () => {
  const ROUND_COUNT = 40;
  let stack: Stack;
  let path: string;
  beforeAll(async () => {
    path = join(mkdtempSync(join(tmpdir(), 'jessica-race-')), 'settings.json');
    stack = await startStack({ JESSICA_SETTINGS: `file:${path}`, JESSICA_TOKENS: 'ann:ann-token-123456,ben:ben-token-123456', JESSICA_RATE_LIMIT: '100000' });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('loses no field when two clients PATCH the same principal at once', async () => {
    const outcomes = await raceDisjointPatches(async (_client, body) => {
      const response = await stack.request('/api/v1/settings', { method: 'PATCH', token: 'ann-token-123456', body });
      return { status: response.status, json: await response.json() };
    }, ROUND_COUNT);
    expect(outcomes).toMatchObject({ a: ROUND_COUNT, b: ROUND_COUNT, retried: 0 });
    const settings = (await (await stack.request('/api/v1/settings', { token: 'ann-token-123456' })).json()) as Settings;
    expectBothLastValues(settings, ROUND_COUNT);
    // What is on disk is what the server answers, and the other principal was never touched.
    const onDisk = JSON.parse(readFileSync(path, 'utf8')) as { principals: Record<string, Settings> };
    expect(onDisk.principals['ann']).toEqual(settings);
    expect(onDisk.principals['ben']).toBeUndefined();
  });
});

describe('concurrent PATCH /settings on the DynamoDB store, through two Lambda containers', () => {
  const ROUND_COUNT = 30;
  let fake: FakeElevenLabs;
  let table: MemoryTable;
  let containers: { a: LambdaCall; b: LambdaCall };
  const TOKEN = 'dyn-token-12345678';

  beforeAll(async () => {
    fake = await startFakeElevenLabs();
    table = memoryTable();
    const env = {
      ELEVENLABS_BASE_URL: fake.url,
      ELEVENLABS_API_KEY: fake.apiKey,
      JESSICA_TOKENS: `dyn:${TOKEN},other:other-token-1234567`,
      JESSICA_SETTINGS: 'dynamodb:jessica-settings-test',
      JESSICA_RATE_LIMIT: '100000',
    };
    const dynamo = () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }));
    containers = { a: lambdaHandler(env, { dynamo: dynamo() }).call, b: lambdaHandler(env, { dynamo: dynamo() }).call };
  });
  afterAll(async () => {
    table.restore();
    await fake.close();
  });

  it('loses no field when two containers PATCH the same principal at once, with real version conflicts', async () => {
    const outcomes = await raceDisjointPatches(async (client, body) => {
      const result = await containers[client]({ method: 'PATCH', path: '/api/v1/settings', token: TOKEN, body });
      return { status: result.statusCode ?? 0, json: result.json };
    }, ROUND_COUNT);
    expect(outcomes).toMatchObject({ a: ROUND_COUNT, b: ROUND_COUNT });
    // Conflicts really happened, and were resolved by re-reading rather than overwriting.
    expect(table.conflicts).toBeGreaterThan(0);
    for (const container of ['a', 'b'] as const) {
      const result = await containers[container]({ path: '/api/v1/settings', token: TOKEN });
      expectBothLastValues(result.json as Settings, ROUND_COUNT);
    }
    const item = table.items.get('dyn')!;
    expect(item['version']).toBe(table.puts);
    expect(table.items.has('other')).toBe(false);
  });
});
