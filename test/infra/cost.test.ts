import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Design {
  label: string;
  items: { item: string; usd: number }[];
  total: number;
}
interface CostModel {
  DEFAULT_PROFILE: { callsPerDay: number; activeHours: number; connections: number; days: number };
  estimate(
    profile: Partial<CostModel['DEFAULT_PROFILE']>,
    table: unknown,
  ): { profile: CostModel['DEFAULT_PROFILE']; date: string; designs: Record<string, Design> };
}

// A plain ESM script without type declarations: imported through a widened specifier.
const specifier: string = '../../scripts/cost.mjs';
const { estimate, DEFAULT_PROFILE } = (await import(specifier)) as CostModel;
const table: unknown = JSON.parse(readFileSync('docs/prices.json', 'utf8'));
const seedProfile = { callsPerDay: 100, activeHours: 9, connections: 1, days: 30 };

describe('cost model', () => {
  it('uses a dated price table', () => {
    expect((table as { date: string }).date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('defaults to the seed usage profile: 100 calls a day, 9 active hours', () => {
    expect(DEFAULT_PROFILE).toEqual(seedProfile);
  });

  it('puts the seed design (private subnets + NAT gateway) in the tens of dollars', () => {
    const { seed } = estimate(seedProfile, table).designs;
    expect(seed?.total).toBeGreaterThanOrEqual(20);
    expect(seed?.total).toBeLessThan(100);
    expect(seed?.items.find(({ item }) => item === 'NAT gateway 24/7')?.usd).toBeGreaterThan(30);
  });

  it('keeps the shipped default at or under $15 a month for the seed usage', () => {
    const { designs } = estimate(seedProfile, table);
    expect(designs['default']?.total).toBeLessThanOrEqual(15);
    expect(designs['default']?.items.map(({ item }) => item).join()).not.toMatch(/NAT/);
  });

  it('stays under $15 even for the full 12-hour window every day of the month', () => {
    expect(estimate({ ...seedProfile, activeHours: 12 }, table).designs['default']?.total).toBeLessThanOrEqual(15);
  });

  it('prices the alternatives the Terraform variables offer above the default', () => {
    const { designs } = estimate(seedProfile, table);
    const base = designs['default']?.total ?? Infinity;
    for (const id of ['alb', 'nat_instance_alb', 'nat_gateway_alb', 'default_waf', 'valkey_2_tasks']) expect(designs[id]?.total, id).toBeGreaterThan(base);
  });

  it('prices the Valkey pub/sub option: the cache 24/7 at the 100 MB minimum, cents of ECPUs, a second task', () => {
    const prices = (table as { prices: { elasticacheServerlessValkey: Record<string, unknown> } }).prices.elasticacheServerlessValkey;
    expect(prices).toMatchObject({ minimumDataStorageGb: 0.1, dataStorageGbHour: 0.084, ecpuPerMillion: 0.0023 });
    expect(prices['checked']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(prices['source']).toMatch(/https:\/\//);

    const { designs } = estimate(seedProfile, table);
    const valkey = designs['valkey_2_tasks'];
    const base = designs['default'];
    expect(valkey?.label).toMatch(/pubsub = "valkey_serverless"/);
    const usd = (design: Design | undefined, item: string): number | undefined => design?.items.find((line) => line.item === item)?.usd;
    // 730 h x 0.1 GB x $0.084 = $6.13, whether or not a task runs.
    expect(usd(valkey, 'ElastiCache Serverless Valkey storage 24/7 (100 MB min.)')).toBe(6.13);
    expect(usd(valkey, 'ElastiCache Serverless Valkey ECPUs')).toBeLessThan(0.05);
    expect(usd(valkey, 'Fargate ARM64 0.5 vCPU / 1 GB x 2 tasks')).toBeCloseTo(2 * (usd(base, 'Fargate ARM64 0.5 vCPU / 1 GB') ?? 0), 1);
    expect(usd(valkey, 'Task public IPv4 while running x 2 tasks')).toBeCloseTo(2 * (usd(base, 'Task public IPv4 while running') ?? 0), 1);
    // Everything else is the default's, but for target tracking's two alarms (max_tasks > 1) and
    // the second task's Cloud Map instance.
    expect(usd(valkey, 'CloudWatch: 7 alarms')).toBeCloseTo((usd(base, 'CloudWatch: 5 alarms') ?? 0) + 0.2, 2);
    const extra =
      (usd(valkey, 'Fargate ARM64 0.5 vCPU / 1 GB x 2 tasks') ?? 0) +
      (usd(valkey, 'Task public IPv4 while running x 2 tasks') ?? 0) +
      0.2 +
      (usd(valkey, 'Cloud Map instance while running x 2 tasks') ?? 0) -
      (usd(base, 'Cloud Map instance while running') ?? 0);
    const cache = valkey?.items.filter(({ item }) => item.startsWith('ElastiCache')).reduce((sum, line) => sum + line.usd, 0) ?? 0;
    const ownTasks = (usd(base, 'Fargate ARM64 0.5 vCPU / 1 GB') ?? 0) + (usd(base, 'Task public IPv4 while running') ?? 0);
    expect(valkey?.total).toBeCloseTo((base?.total ?? 0) - ownTasks + extra + cache, 2);
    expect(valkey?.total).toBeGreaterThan(20);
    expect(valkey?.total).toBeLessThan(25);
  });

  it('lists the Valkey pub/sub design in the printed table', () => {
    const run = spawnSync(process.execPath, ['scripts/cost.mjs'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\$\s*\d+\.\d{2}\s+valkey_2_tasks\s+Default \+ Valkey pub\/sub/);
  });

  it('keeps the shipped default at or under $8.00 a month for the seed usage, with every line item shown', () => {
    const run = spawnSync(process.execPath, ['scripts/cost.mjs'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const { designs } = estimate(seedProfile, table);
    expect(designs['default']?.total).toBeLessThanOrEqual(8);
    for (const { item, usd } of designs['default']?.items ?? []) expect(run.stdout).toContain(`${item.padEnd(52)} ${`$${usd.toFixed(2)}`.padStart(9)}`);
  });

  it('bills exactly the metric series the code publishes, and only for the hours they are published', async () => {
    const fargate = await import('../../fargate/observability.js');
    const lambda = await import('../../handlers/lib/observability.js');
    expect([...fargate.BILLED_METRICS].sort()).toEqual([...lambda.BILLED_METRICS].sort());
    const { designs } = estimate(seedProfile, table);
    const metricItems = designs['default']?.items.filter(({ item }) => item.startsWith('CloudWatch metric ')) ?? [];
    expect(metricItems.map(({ item }) => item.split(' ')[2]).sort()).toEqual([...lambda.BILLED_METRICS].sort());
    // ActiveConnections only while a task runs: 270 of 730 hours at $0.30 a metric-month.
    expect(metricItems.find(({ item }) => item.includes('ActiveConnections'))?.usd).toBe(0.11);
  });

  it('prices the flood ceiling with the reserved concurrency serverless.yml sets', () => {
    const { ceilings } = estimate(seedProfile, table) as unknown as { ceilings: { streamFlood: { reservedConcurrency: number; durationUsd: number } } };
    const reserved = /reservedConcurrency:\s*\n\s*http: (\d+)\s*\n\s*stream: (\d+)/.exec(readFileSync('serverless.yml', 'utf8'));
    expect(Number(reserved?.[2])).toBe(ceilings.streamFlood.reservedConcurrency);
    // 5 x 1 GB x 730 h x 3600 s x $0.0000133334.
    expect(ceilings.streamFlood.durationUsd).toBeCloseTo(ceilings.streamFlood.reservedConcurrency * 730 * 3600 * 0.0000133334, 1);
  });

  it('grows with usage', () => {
    const light = estimate(seedProfile, table).designs['default']?.total ?? 0;
    const heavy = estimate({ callsPerDay: 100_000, activeHours: 12, connections: 50, days: 30 }, table).designs['default']?.total ?? 0;
    expect(heavy).toBeGreaterThan(light);
  });

  it('prints the estimate from the command line and rejects a bad flag value', () => {
    const run = spawnSync(process.execPath, ['scripts/cost.mjs', '--calls-per-day', '100', '--active-hours', '9', '--json'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const printed = JSON.parse(run.stdout) as { designs: Record<string, Design> };
    expect(printed.designs['default']?.total).toBe(estimate(seedProfile, table).designs['default']?.total);
    const bad = spawnSync(process.execPath, ['scripts/cost.mjs', '--active-hours', '25'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--active-hours/);
  });
});
