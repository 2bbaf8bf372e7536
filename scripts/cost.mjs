#!/usr/bin/env node
// Monthly AWS cost of Jessica for a usage profile, from the dated price table docs/prices.json.
//
//   node scripts/cost.mjs [--calls-per-day 100] [--active-hours 9] [--connections 1] [--days 30] [--json]
//
// Prints the seed's design (x86 Fargate in private subnets behind a NAT gateway) next to the
// default this repository ships (ARM64 Fargate with a public IP, WebSockets through CloudFront)
// and the alternatives the Terraform variables offer, among them several tasks sharing the live
// channel through ElastiCache Serverless for Valkey. docs/costs.md explains the rows.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const DEFAULT_PROFILE = Object.freeze({ callsPerDay: 100, activeHours: 9, connections: 1, days: 30 });

const round2 = (value) => Math.round(value * 100) / 100;

/**
 * Estimates the monthly bill of every design for one usage profile.
 *
 * @param {{callsPerDay: number, activeHours: number, connections: number, days: number}} profile
 *   API calls per day, hours per day with a running task, average open WebSockets while
 *   active, days per month with an active window.
 * @param {{prices: object, assumptions: object}} table the parsed docs/prices.json
 * @returns {{profile: object, date: string, designs: Record<string, {label: string, items: {item: string, usd: number}[], total: number}>, ceilings: object}}
 * @example
 * const { designs } = estimate(DEFAULT_PROFILE, loadPrices());
 * console.log(designs.default.total);
 */
export function estimate(profile, table) {
  const { prices: p, assumptions: a } = table;
  const { callsPerDay, activeHours, connections, days } = { ...DEFAULT_PROFILE, ...profile };

  const taskHours = activeHours * days;
  const calls = callsPerDay * days;
  const lambdaCalls = calls * (1 - activeHours / 24);
  const audioGb = (calls * a.audioKbPerCall) / 1024 / 1024;

  const fargate = (arch) => taskHours * (a.taskVcpu * p.fargate[arch].vcpuHour + a.taskGb * p.fargate[arch].gbHour);
  const lambdaGbSeconds = lambdaCalls * a.lambdaSecondsPerCall * a.lambdaGb;
  const lambda =
    (Math.max(0, lambdaCalls - p.lambda.freeRequests) / 1e6) * p.lambda.requestsPerMillion +
    Math.max(0, lambdaGbSeconds - p.lambda.freeGbSeconds) * p.lambda.arm64GbSecond;
  // One image pull per active day plus the AWS API traffic (logs, SSM, DynamoDB) and the audio.
  const natGb = audioGb + a.imageGb * days + a.awsApiGbPerMonth;
  const alwaysOn = a.hoursPerMonth;

  // A custom metric series is billed for the hours in which it is published (CloudWatch
  // prorates by the hour). ActiveConnections comes from running tasks only; UpstreamErrors from
  // either runtime, counted for every hour of the month (an upper bound: it is published only
  // in hours with a failed ElevenLabs call).
  const seriesHours = { task: Math.min(taskHours, alwaysOn), always: alwaysOn };
  const metrics = Object.entries(a.billedMetrics).map(([name, when]) => ({
    item: `CloudWatch metric ${name} (${Math.round(seriesHours[when])} h)`,
    usd: (seriesHours[when] / alwaysOn) * p.cloudwatch.metricMonth,
  }));
  const alarms = (count) => ({ item: `CloudWatch: ${count} alarms`, usd: count * p.cloudwatch.alarmMonth });
  // The HTTP API's VPC link finds the task through Cloud Map (not with an ALB).
  const cloudMap = (tasks = 1) => ({
    item: `Cloud Map instance while running${tasks > 1 ? ` x ${tasks} tasks` : ''}`,
    usd: tasks * (taskHours / alwaysOn) * p.cloudMap.instanceMonth,
  });

  const common = [
    { item: 'HTTP API requests', usd: (calls / 1e6) * p.httpApi.perMillion },
    { item: 'Lambda off-hours (always-free tier applied)', usd: lambda },
    ...metrics,
    {
      item: 'CloudWatch Logs (7-day retention)',
      usd: a.logsGbPerMonth * p.cloudwatch.logsIngestGb + a.logsGbPerMonth * (7 / 30) * p.cloudwatch.logsStorageGbMonth,
    },
    { item: 'CloudWatch Logs Insights (dashboard log widgets)', usd: a.logsInsightsGbScannedPerMonth * p.cloudwatch.logsInsightsGb },
    { item: 'ECR (last 5 images)', usd: a.imageGb * a.imagesKept * p.ecr.gbMonth },
    {
      item: 'DynamoDB settings (on-demand)',
      usd: (calls / 1e6) * p.dynamodb.readsPerMillion + ((calls * 0.05) / 1e6) * p.dynamodb.writesPerMillion,
    },
    { item: 'S3 + CloudFront page (always-free tier)', usd: Math.max(0, audioGb - p.cloudfront.freeGb) * p.cloudfront.gb },
  ];

  const natGateway = [
    { item: 'NAT gateway 24/7', usd: alwaysOn * p.natGateway.hour },
    { item: 'NAT gateway public IPv4 24/7', usd: alwaysOn * p.publicIpv4.hour },
    { item: 'NAT gateway data processed', usd: natGb * p.natGateway.gb },
  ];
  const natInstance = [
    { item: 'NAT instance (t4g.nano, fck-nat) + EBS', usd: p.natInstance.month + p.natInstance.ebsMonth },
    { item: 'NAT instance public IPv4 24/7', usd: alwaysOn * p.publicIpv4.hour },
  ];
  const alb = [
    { item: 'Internal ALB 24/7 (CloudFront VPC origin)', usd: alwaysOn * p.alb.hour },
    {
      item: 'ALB LCU',
      usd: taskHours * Math.max(a.albLcuWhileActive, connections / 3000) * p.alb.lcuHour,
    },
  ];
  const taskIp = { item: 'Task public IPv4 while running', usd: taskHours * p.publicIpv4.hour };
  const waf = {
    item: `WAF on CloudFront (ACL + ${a.wafRules} rules)`,
    usd: p.waf.aclMonth + a.wafRules * p.waf.ruleMonth + (calls / 1e6) * p.waf.requestsPerMillion,
  };
  // pubsub = "valkey_serverless": the cache is billed 24/7 (at least the 100 MB minimum); its
  // ECPUs come from every task's presence/lease refreshes and from the audio of the calls
  // Fargate serves, moved into the cache once and out to each listening task.
  const valkey = p.elasticacheServerlessValkey;
  const pubsubTasks = a.pubsubTasks;
  const fargateCalls = calls * Math.min(1, activeHours / 24);
  const valkeyEcpus =
    pubsubTasks * taskHours * a.pubsubEcpuPerTaskHour +
    fargateCalls * (a.audioKbPerCall * (1 + a.pubsubListeningTasks) + a.pubsubEcpuPerCallOverhead);
  const valkeyPubsub = [
    {
      item: 'ElastiCache Serverless Valkey storage 24/7 (100 MB min.)',
      usd: alwaysOn * Math.max(valkey.minimumDataStorageGb, a.pubsubDataGb) * valkey.dataStorageGbHour,
    },
    { item: 'ElastiCache Serverless Valkey ECPUs', usd: (valkeyEcpus / 1e6) * valkey.ecpuPerMillion },
  ];
  const websocketApi = [
    { item: 'NLB 24/7 (WebSocket API private integration)', usd: alwaysOn * p.nlb.hour },
    {
      item: 'WebSocket API connection-minutes + messages',
      usd:
        ((connections * taskHours * 60) / 1e6) * p.websocketApi.connectionMinutesPerMillion +
        ((calls * 20) / 1e6) * p.websocketApi.messagesPerMillion,
    },
  ];

  const designs = {
    seed: {
      label: 'Seed design: x86 Fargate in private subnets, NAT gateway 24/7, HTTP API + VPC link (no working WebSocket path)',
      items: [{ item: 'Fargate x86 0.5 vCPU / 1 GB', usd: fargate('x86') }, ...natGateway, alarms(a.alarms), cloudMap(), ...common],
    },
    default: {
      label: 'Default: ARM64 Fargate with a public IP (no NAT), WebSocket via CloudFront -> task',
      items: [{ item: 'Fargate ARM64 0.5 vCPU / 1 GB', usd: fargate('arm64') }, taskIp, alarms(a.alarms), cloudMap(), ...common],
    },
    default_waf: {
      label: 'Default + WAF on CloudFront (cloudfront_web_acl_arn)',
      items: [{ item: 'Fargate ARM64 0.5 vCPU / 1 GB', usd: fargate('arm64') }, taskIp, waf, alarms(a.alarms), cloudMap(), ...common],
    },
    valkey_2_tasks: {
      label: `Default + Valkey pub/sub (pubsub = "valkey_serverless"), ${pubsubTasks} tasks for the whole active window`,
      items: [
        { item: `Fargate ARM64 0.5 vCPU / 1 GB x ${pubsubTasks} tasks`, usd: pubsubTasks * fargate('arm64') },
        { item: `Task public IPv4 while running x ${pubsubTasks} tasks`, usd: pubsubTasks * taskIp.usd },
        ...valkeyPubsub,
        // max_tasks > 1: target tracking and the two alarms it creates.
        alarms(a.alarms + a.targetTrackingAlarms),
        cloudMap(pubsubTasks),
        ...common,
      ],
    },
    alb: {
      label: 'ws_ingress = "alb": public-IP task behind an internal ALB',
      items: [{ item: 'Fargate ARM64 0.5 vCPU / 1 GB', usd: fargate('arm64') }, taskIp, ...alb, alarms(a.alarms - a.cloudfrontOnlyAlarms), ...common],
    },
    nat_instance_alb: {
      label: 'egress = "nat_instance" + ALB: private subnets behind fck-nat',
      items: [{ item: 'Fargate ARM64 0.5 vCPU / 1 GB', usd: fargate('arm64') }, ...natInstance, ...alb, alarms(a.alarms - a.cloudfrontOnlyAlarms), ...common],
    },
    nat_gateway_alb: {
      label: 'egress = "nat_gateway" + ALB: private subnets behind a NAT gateway (ARM64)',
      items: [{ item: 'Fargate ARM64 0.5 vCPU / 1 GB', usd: fargate('arm64') }, ...natGateway, ...alb, alarms(a.alarms - a.cloudfrontOnlyAlarms), ...common],
    },
    websocket_api: {
      label: 'Considered, not built: seed + API Gateway WebSocket API with an NLB private integration',
      items: [{ item: 'Fargate x86 0.5 vCPU / 1 GB', usd: fargate('x86') }, ...natGateway, ...websocketApi, alarms(a.alarms), cloudMap(), ...common],
    },
  };

  // What an unauthenticated flood of the public stream Function URL can cost at most: its
  // reserved concurrency bounds how many invocations run at once, so duration is bounded by
  // concurrency x memory x the month; requests by how fast the handler rejects a bad token.
  const flood = a.streamFlood;
  const monthSeconds = alwaysOn * 3600;
  const ceilings = {
    streamFlood: {
      reservedConcurrency: flood.reservedConcurrency,
      durationUsd: round2(flood.reservedConcurrency * flood.memoryGb * monthSeconds * p.lambda.arm64GbSecond),
      requestsUsd: round2(((flood.reservedConcurrency * monthSeconds) / (flood.rejectMs / 1000) / 1e6) * p.lambda.requestsPerMillion),
      rejectMs: flood.rejectMs,
    },
  };

  const totals = Object.fromEntries(
    Object.entries(designs).map(([id, { label, items }]) => {
      const rounded = items.map(({ item, usd }) => ({ item, usd: round2(usd) }));
      return [id, { label, items: rounded, total: round2(rounded.reduce((sum, { usd }) => sum + usd, 0)) }];
    }),
  );
  return { profile: { callsPerDay, activeHours, connections, days }, date: table.date, designs: totals, ceilings };
}

/** Reads docs/prices.json next to this script. */
export function loadPrices(path = fileURLToPath(new URL('../docs/prices.json', import.meta.url))) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function parseProfile(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'calls-per-day': { type: 'string' },
      'active-hours': { type: 'string' },
      connections: { type: 'string' },
      days: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const number = (name, fallback, max) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > max) throw new Error(`--${name} expects a number from 0 to ${max}, got "${raw}"`);
    return value;
  };
  return {
    help: values.help,
    json: values.json,
    profile: {
      callsPerDay: number('calls-per-day', DEFAULT_PROFILE.callsPerDay, 1e9),
      activeHours: number('active-hours', DEFAULT_PROFILE.activeHours, 24),
      connections: number('connections', DEFAULT_PROFILE.connections, 1e6),
      days: number('days', DEFAULT_PROFILE.days, 31),
    },
  };
}

function format(result) {
  const usd = (value) => `$${value.toFixed(2)}`.padStart(9);
  const { callsPerDay, activeHours, connections, days } = result.profile;
  const lines = [
    `Jessica monthly estimate (prices of ${result.date}, us-east-1): ${callsPerDay} calls/day, ` +
      `${activeHours} h/day active, ${connections} open WebSocket(s), ${days} days`,
  ];
  for (const id of ['seed', 'default']) {
    const design = result.designs[id];
    lines.push('', `${design.label}`);
    for (const { item, usd: value } of design.items) lines.push(`  ${item.padEnd(52)} ${usd(value)}`);
    lines.push(`  ${'total'.padEnd(52)} ${usd(design.total)}`);
  }
  const { streamFlood } = result.ceilings;
  lines.push(
    '',
    `Ceiling of an unauthenticated flood on the stream Function URL (reserved concurrency ${streamFlood.reservedConcurrency}): ` +
      `duration <= $${streamFlood.durationUsd.toFixed(2)}/month, requests <= $${streamFlood.requestsUsd.toFixed(2)}/month at ${streamFlood.rejectMs} ms per rejection`,
  );
  lines.push('', 'All designs:');
  for (const [id, design] of Object.entries(result.designs)) {
    lines.push(`  ${usd(design.total)}  ${id.padEnd(17)} ${design.label}`);
  }
  return lines.join('\n');
}

function main(argv) {
  const { help, json, profile } = parseProfile(argv);
  if (help) {
    console.log('usage: node scripts/cost.mjs [--calls-per-day N] [--active-hours H] [--connections C] [--days D] [--json]');
    return;
  }
  const result = estimate(profile, loadPrices());
  console.log(json ? JSON.stringify(result, null, 2) : format(result));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`cost: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  }
}
