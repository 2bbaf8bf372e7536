import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from '@cdktf/hcl2json';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cronTime,
  dataSource,
  loadTerraformDir,
  nested,
  resolve,
  resource,
  terraformDirs,
  variableDefault,
  walkBlocks,
  type Block,
  type TerraformDir,
} from './hcl.js';

let service: TerraformDir;
let infrastructure: TerraformDir;
let site: TerraformDir;
let table: TerraformDir;
let all: TerraformDir[];

beforeAll(async () => {
  all = await Promise.all(terraformDirs().map((dir) => loadTerraformDir(dir)));
  const byPath = (path: string): TerraformDir => {
    const dir = all.find((candidate) => candidate.path === path);
    if (!dir) throw new Error(`missing ${path}`);
    return dir;
  };
  service = byPath('terraform/modules/service');
  infrastructure = byPath('terraform/infrastructure');
  site = byPath('terraform/modules/static-site');
  table = byPath('terraform/modules/settings-table');
});

/** The JSON-ish text inside `${jsonencode(...)}`, whitespace collapsed, for pattern checks. */
function flat(value: unknown): string {
  return String(value).replace(/\s+/g, ' ');
}

/** The origin-record workflow's states (a plain HCL object local, so hcl2json renders it as JSON). */
function originRecordStates(): Record<string, Block> {
  const states = service.locals['origin_record_states'];
  if (typeof states !== 'object' || states === null) throw new Error('modules/service: no local origin_record_states');
  return states as Record<string, Block>;
}

/** The Route 53 changes of a changeResourceRecordSets Task state, [] for any other state. */
function changes(state: Block): Block[] {
  const batch = (state['Arguments'] as { ChangeBatch?: { Changes?: Block[] } } | undefined)?.ChangeBatch;
  return batch?.Changes ?? [];
}

describe('terraform layout', () => {
  it('has every root and module the issue names', () => {
    expect(all.map((dir) => dir.path)).toEqual(
      expect.arrayContaining([
        'terraform/local',
        'terraform/infrastructure',
        'terraform/modules/service',
        'terraform/modules/static-site',
        'terraform/examples/central-infrastructure',
        'terraform/examples/central-infrastructure/services/jessica',
      ]),
    );
  });

  it('pins only hashicorp/aws ~> 5.100 everywhere', () => {
    for (const dir of all) {
      const required = dir.terraform.flatMap((block) => (Array.isArray(block['required_providers']) ? block['required_providers'] : []));
      expect(required, dir.path).not.toHaveLength(0);
      for (const providers of required) {
        expect(Object.keys(providers as Block), dir.path).toEqual(['aws']);
        expect((providers as Block)['aws'], dir.path).toMatchObject({ source: 'hashicorp/aws', version: '~> 5.100' });
      }
    }
  });

  it('commits a CLI config that installs the provider from the filesystem mirror', () => {
    const config = readFileSync('terraform/.terraformrc', 'utf8');
    expect(config).toMatch(/filesystem_mirror\s*{\s*path\s*=\s*"\/opt\/tf-plugins"/);
    expect(config).toMatch(/direct\s*{\s*exclude\s*=\s*\["registry\.terraform\.io\/hashicorp\/\*"\]/);
  });

  it('is formatted (terraform fmt -check) when terraform is installed', () => {
    const version = spawnSync('terraform', ['version'], { encoding: 'utf8' });
    if (version.error) {
      console.warn('terraform not installed: fmt check skipped (scripts/terraform-check.sh says so too)');
      return;
    }
    // stdout lists the files fmt would rewrite; stderr may carry CLI-config warnings.
    const fmt = spawnSync('terraform', ['fmt', '-check', '-recursive', 'terraform'], { encoding: 'utf8' });
    expect(fmt.stdout).toBe('');
    expect(fmt.status).toBe(0);
  });
});

describe('modules/service', () => {
  it('starts one task at 08:00 and scales to zero at 20:00, Monday to Friday, Europe/Berlin', () => {
    const scaleOut = resource(service, 'aws_appautoscaling_scheduled_action.scale_out');
    const scaleIn = resource(service, 'aws_appautoscaling_scheduled_action.scale_in');
    expect(resolve(service, scaleOut['schedule'])).toBe('cron(0 8 ? * MON-FRI *)');
    expect(resolve(service, scaleIn['schedule'])).toBe('cron(0 20 ? * MON-FRI *)');
    expect(resolve(service, scaleOut['timezone'])).toBe('Europe/Berlin');
    expect(resolve(service, scaleIn['timezone'])).toBe('Europe/Berlin');
    expect(nested(scaleOut, 'scalable_target_action')).toMatchObject({ min_capacity: 1 });
    expect(nested(scaleIn, 'scalable_target_action')).toEqual({ min_capacity: 0, max_capacity: 0 });
  });

  it('lets the autoscaling target reach zero and leaves desired_count to autoscaling', () => {
    const target = resource(service, 'aws_appautoscaling_target.service');
    expect(target).toMatchObject({ min_capacity: 0, scalable_dimension: 'ecs:service:DesiredCount', service_namespace: 'ecs' });
    const ecsService = resource(service, 'aws_ecs_service.service');
    expect(ecsService['desired_count']).toBe(0);
    expect(nested(ecsService, 'lifecycle')['ignore_changes']).toEqual(expect.arrayContaining(['${desired_count}']));
  });

  it('tracks the ActiveConnections metric of namespace Jessica, dimension service=jessica', () => {
    const policy = resource(service, 'aws_appautoscaling_policy.active_connections');
    expect(policy['policy_type']).toBe('TargetTrackingScaling');
    const metric = nested(nested(policy, 'target_tracking_scaling_policy_configuration'), 'customized_metric_specification');
    expect(resolve(service, metric['namespace'])).toBe('Jessica');
    expect(metric['metric_name']).toBe('ActiveConnections');
    expect(resolve(service, nested(metric, 'dimensions')['value'])).toBe('jessica');
  });

  it('keeps the last 5 images and scans on push', () => {
    const policy = flat(resource(service, 'aws_ecr_lifecycle_policy.keep_last_5')['policy']);
    expect(policy).toMatch(/tagStatus = "any"/);
    expect(policy).toMatch(/countType = "imageCountMoreThan"/);
    expect(policy).toMatch(/countNumber = 5\b/);
    expect(policy).toMatch(/type = "expire"/);
    expect(nested(resource(service, 'aws_ecr_repository.service'), 'image_scanning_configuration')).toEqual({ scan_on_push: true });
  });

  it('keeps container logs for 7 days', () => {
    expect(resolve(service, resource(service, 'aws_cloudwatch_log_group.service')['retention_in_days'])).toBe(7);
  });

  it('runs 0.5 vCPU / 1 GB on ARM64 Fargate', () => {
    const task = resource(service, 'aws_ecs_task_definition.service');
    expect(resolve(service, task['cpu'])).toBe(512);
    expect(resolve(service, task['memory'])).toBe(1024);
    expect(task['requires_compatibilities']).toEqual(['FARGATE']);
    expect(nested(task, 'runtime_platform')).toEqual({ cpu_architecture: 'ARM64', operating_system_family: 'LINUX' });
  });

  it('probes /health, logs through awslogs with a stream prefix and injects the key from SSM', () => {
    const containers = flat(resource(service, 'aws_ecs_task_definition.service')['container_definitions']);
    expect(containers).toMatch(/healthCheck = \{ command = \["CMD", "node", "-e", "fetch\('\$\{local\.health_url\}'\)/);
    expect(service.locals['health_url']).toBe('http://127.0.0.1:${var.container_port}${var.root_path}/health');
    expect(resolve(service, '${var.container_port}')).toBe(9020);
    expect(containers).toMatch(/logDriver = "awslogs"/);
    expect(containers).toMatch(/awslogs-stream-prefix = var\.name/);
    expect(containers).toMatch(/secrets = \[for key in sort\(keys\(local\.secrets\)\)/);
    expect(flat(service.locals['secrets'])).toMatch(/ELEVENLABS_API_KEY = var\.elevenlabs_api_key_parameter_arn/);
    expect(flat(service.locals['secrets'])).toMatch(/JESSICA_TOKENS = var\.tokens_parameter_arn/);
  });

  it('stops the container only after the drain deadline, within the Fargate maximum', () => {
    const formula = /^\$\{min\(120, ceil\(var\.drain_timeout_ms \/ 1000\) \+ (\d+)\)\}$/.exec(String(service.locals['stop_timeout']));
    expect(formula).not.toBeNull();
    const drainSeconds = Number(variableDefault(service, 'drain_timeout_ms')) / 1000;
    expect(drainSeconds).toBe(25);
    const stopTimeout = Math.min(120, Math.ceil(drainSeconds) + Number(formula?.[1]));
    // The server needs the drain deadline plus up to 5 s to close its sockets.
    expect(stopTimeout).toBeGreaterThan(drainSeconds + 5);
    expect(stopTimeout).toBeLessThanOrEqual(120);
    expect(flat(resource(service, 'aws_ecs_task_definition.service')['container_definitions'])).toMatch(
      /stopTimeout = local\.stop_timeout/,
    );
  });

  it('sets the environment the server reads', () => {
    const environment = service.locals['environment'];
    const text = flat(environment);
    for (const [name, value] of Object.entries({
      HOST: '"0.0.0.0"',
      NODE_ENV: '"production"',
      ROOT_PATH: 'var.root_path',
      JESSICA_SETTINGS: '"dynamodb:\\$\\{module.settings_table.name\\}"',
      JESSICA_ALLOWED_ORIGINS: 'join\\(",", var.allowed_origins\\)',
      JESSICA_DRAIN_TIMEOUT_MS: 'tostring\\(var.drain_timeout_ms\\)',
      JESSICA_PUBLIC_URL: 'var.public_url',
      ELEVENLABS_BASE_URL: 'var.elevenlabs_base_url',
      LOG_LEVEL: 'var.log_level',
    })) {
      expect(text, name).toMatch(new RegExp(`${name} += ${value}`));
    }
    expect(variableDefault(service, 'root_path')).toBe('/jessica');
  });

  it('rolls back failed deployments with the circuit breaker', () => {
    expect(nested(resource(service, 'aws_ecs_service.service'), 'deployment_circuit_breaker')).toEqual({ enable: true, rollback: true });
  });

  it('defaults to the cheapest egress that keeps the task unreachable: a public IP, no NAT', () => {
    expect(variableDefault(service, 'egress')).toBe('public_ip');
    const network = nested(resource(service, 'aws_ecs_service.service'), 'network_configuration');
    expect(network['assign_public_ip']).toBe('${!local.private_egress}');
    expect(service.locals['private_egress']).toBe('${var.egress != "public_ip"}');
    for (const dir of all) {
      for (const address of dir.resources.keys()) {
        if (dir.path !== 'terraform/examples/central-infrastructure') expect(address, dir.path).not.toMatch(/^aws_nat_gateway\./);
      }
    }
  });

  it('admits the container port only from the VPC link, CloudFront origin-facing ranges or the ALB', () => {
    const sources = [...service.resources]
      .filter(([address, rule]) => address.startsWith('aws_vpc_security_group_ingress_rule.') && rule['security_group_id'] === '${aws_security_group.task.id}')
      .map(([, rule]) => rule['referenced_security_group_id'] ?? rule['prefix_list_id']);
    expect(sources.sort()).toEqual([
      '${aws_security_group.alb[0].id}',
      '${data.aws_ec2_managed_prefix_list.cloudfront_origin_facing.id}',
      '${var.vpc_link_security_group_id}',
    ]);
    expect(dataSource(service, 'aws_ec2_managed_prefix_list.cloudfront_origin_facing')['name']).toBe(
      'com.amazonaws.global.cloudfront.origin-facing',
    );
  });

  it('registers SRV records in Cloud Map for the VPC link', () => {
    const discovery = resource(service, 'aws_service_discovery_service.service');
    expect(nested(nested(discovery, 'dns_config'), 'dns_records')).toMatchObject({ type: 'SRV' });
    const dynamicBlocks = resource(service, 'aws_ecs_service.service')['dynamic'] as Block;
    const registries = nested(dynamicBlocks, 'service_registries');
    expect(nested(registries, 'content')).toMatchObject({
      registry_arn: '${aws_service_discovery_service.service[0].arn}',
      container_port: '${var.container_port}',
    });
  });

  it('grants the task role only item access to the settings table', () => {
    const policy = dataSource(service, 'aws_iam_policy_document.task');
    const statements = policy['statement'] as Block[];
    expect(statements).toHaveLength(1);
    for (const statement of statements) {
      const actions = statement['actions'] as string[];
      expect(actions.every((action) => /^dynamodb:[A-Z][A-Za-z]+$/.test(action))).toBe(true);
      expect(statement['resources']).toEqual(['${module.settings_table.arn}']);
    }
    const attachments = [...service.resources].filter(
      ([address, block]) => address.startsWith('aws_iam_role_policy') && block['role'] === '${aws_iam_role.task.id}',
    );
    expect(attachments.map(([address]) => address)).toEqual(['aws_iam_role_policy.task']);
  });
});

describe('modules/service: the shared live channel (pub/sub) and several tasks', () => {
  const cacheAddress = 'aws_elasticache_serverless_cache.pubsub';

  it('is off by default and switched by pubsub = none | valkey_serverless | external', () => {
    expect(variableDefault(service, 'pubsub')).toBe('none');
    const conditions = ((service.variables.get('pubsub')?.['validation'] ?? []) as Block[]).map((rule) => rule['condition']);
    expect(conditions).toContain('${contains(["none", "valkey_serverless", "external"], var.pubsub)}');
    expect(service.locals['use_valkey']).toBe('${var.pubsub == "valkey_serverless"}');
  });

  it('creates the cache, its security group and both rules only when pubsub = "valkey_serverless"', () => {
    for (const address of [
      cacheAddress,
      'aws_security_group.pubsub',
      'aws_vpc_security_group_ingress_rule.pubsub_from_task',
      'aws_vpc_security_group_egress_rule.task_to_pubsub',
    ]) {
      expect(resource(service, address)['count'], address).toBe('${local.use_valkey ? 1 : 0}');
    }
    // Nothing else in the module refers to the cache unconditionally.
    const cacheTypes = [...service.resources.keys()].filter((address) => address.startsWith('aws_elasticache_'));
    expect(cacheTypes).toEqual([cacheAddress]);
  });

  it('is ElastiCache Serverless for Valkey 8 in the task subnets, capped at 1 GB and 5000 ECPU/s, without snapshots', () => {
    const cache = resource(service, cacheAddress);
    expect(cache['engine']).toBe('valkey');
    expect(resolve(service, cache['major_engine_version'])).toBe('8');
    expect(cache['subnet_ids']).toBe('${local.task_subnet_ids}');
    expect(cache['security_group_ids']).toEqual(['${aws_security_group.pubsub[0].id}']);
    expect(cache['snapshot_retention_limit']).toBe(0);
    expect(cache).not.toHaveProperty('user_group_id');
    const limits = nested(cache, 'cache_usage_limits');
    const storage = nested(limits, 'data_storage');
    expect(resolve(service, storage['maximum'])).toBe(1);
    expect(storage['unit']).toBe('GB');
    expect(resolve(service, nested(limits, 'ecpu_per_second')['maximum'])).toBe(5000);
  });

  it("admits TCP 6379 to the cache from the task's security group only", () => {
    const rules = [...service.resources].filter(
      ([address, rule]) => address.startsWith('aws_vpc_security_group_ingress_rule.') && rule['security_group_id'] === '${aws_security_group.pubsub[0].id}',
    );
    expect(rules.map(([address]) => address)).toEqual(['aws_vpc_security_group_ingress_rule.pubsub_from_task']);
    const [[, rule] = ['', {}]] = rules;
    expect(rule['referenced_security_group_id']).toBe('${aws_security_group.task.id}');
    expect(rule['ip_protocol']).toBe('tcp');
    expect(resolve(service, rule['from_port'])).toBe(6379);
    expect(resolve(service, rule['to_port'])).toBe(6379);
    for (const key of ['cidr_ipv4', 'cidr_ipv6', 'prefix_list_id']) expect(rule, key).not.toHaveProperty(key);
    // The cache's group has no egress rule of its own (security groups are stateful).
    const cacheEgress = [...service.resources].filter(
      ([address, block]) => address.startsWith('aws_vpc_security_group_egress_rule.') && block['security_group_id'] === '${aws_security_group.pubsub[0].id}',
    );
    expect(cacheEgress).toEqual([]);
  });

  it('lets the task open TCP 6379 towards the cache and nowhere else besides HTTPS', () => {
    const egress = resource(service, 'aws_vpc_security_group_egress_rule.task_to_pubsub');
    expect(egress).toMatchObject({
      security_group_id: '${aws_security_group.task.id}',
      referenced_security_group_id: '${aws_security_group.pubsub[0].id}',
      ip_protocol: 'tcp',
    });
    expect(resolve(service, egress['from_port'])).toBe(6379);
    expect(resolve(service, egress['to_port'])).toBe(6379);
    const taskEgress = [...service.resources]
      .filter(([address, block]) => address.startsWith('aws_vpc_security_group_egress_rule.') && block['security_group_id'] === '${aws_security_group.task.id}')
      .map(([address]) => address);
    expect(taskEgress.sort()).toEqual(['aws_vpc_security_group_egress_rule.task_https', 'aws_vpc_security_group_egress_rule.task_to_pubsub']);
  });

  it('wires JESSICA_PUBSUB=rediss://<endpoint>:<port> into the task when the cache exists, from SSM with "external"', () => {
    const pubsubEnvironment = flat(service.locals['pubsub_environment']);
    expect(pubsubEnvironment).toMatch(/^\$\{local\.use_valkey \? \{ JESSICA_PUBSUB = "rediss:\/\//);
    expect(pubsubEnvironment).toContain(
      'rediss://${aws_elasticache_serverless_cache.pubsub[0].endpoint[0].address}:${aws_elasticache_serverless_cache.pubsub[0].endpoint[0].port}',
    );
    expect(pubsubEnvironment).toMatch(/: \{\}\}$/);
    expect(flat(service.locals['environment'])).toMatch(/local\.pubsub_environment, var\.extra_environment\)\}$/);
    expect(flat(service.locals['secrets'])).toMatch(/var\.pubsub == "external" \? \{ JESSICA_PUBSUB = var\.pubsub_parameter_arn \} : \{\}/);
  });

  it('refuses max_tasks > 1 without pub/sub, in the variable and in a terraform test run', async () => {
    const rules = (service.variables.get('max_tasks')?.['validation'] ?? []) as Block[];
    const rule = rules.find((candidate) => candidate['condition'] === '${var.max_tasks == 1 || var.pubsub != "none"}');
    expect(rule?.['error_message']).toMatch(/max_tasks > 1 needs pubsub/);
    expect(variableDefault(service, 'max_tasks')).toBe(1);
    expect(resource(service, 'aws_appautoscaling_target.service')['max_capacity']).toBe('${var.max_tasks}');

    const path = 'terraform/modules/service/tests/inputs.tftest.hcl';
    const tests = (await parse(path, readFileSync(path, 'utf8'))) as { run?: Record<string, Block[]> };
    const refused = tests.run?.['several_tasks_need_a_shared_channel']?.[0];
    expect(refused?.['expect_failures']).toEqual(['${var.max_tasks}']);
    const refusedVariables = nested(refused ?? {}, 'variables');
    expect(refusedVariables['max_tasks']).toBeGreaterThan(1);
    expect(refusedVariables).not.toHaveProperty('pubsub');
    const allowed = nested(tests.run?.['valkey_pubsub_for_several_tasks']?.[0] ?? {}, 'variables');
    expect(allowed).toMatchObject({ pubsub: 'valkey_serverless' });
    expect(allowed['max_tasks']).toBeGreaterThan(1);
  });

  it('hands the CloudFront origin record to another healthy task when its task stops', () => {
    const states = originRecordStates();
    expect(states['ListOtherTasks']?.['Resource']).toMatch(/aws-sdk:ecs:listTasks$/);
    const handOver = changes(states['HandOver'] ?? {});
    expect(handOver.map((change) => change['Action'])).toEqual(['DELETE', 'CREATE']);
    expect(flat(handOver[1]?.['ResourceRecordSet'])).toMatch(/\$states\.input\.other/);
    const statements = dataSource(service, 'aws_iam_policy_document.origin_record')['statement'] as Block[];
    const describeTasks = statements.find((statement) => statement['sid'] === 'DescribeServiceTasks');
    expect(describeTasks?.['actions']).toEqual(['ecs:DescribeTasks']);
    expect(describeTasks?.['resources']).toEqual(['${replace(aws_ecs_cluster.service.arn, ":cluster/", ":task/")}/*']);
  });

  it('passes pubsub through the infrastructure root', () => {
    expect(variableDefault(infrastructure, 'pubsub')).toBe('none');
    expect(infrastructure.modules.get('service')?.['pubsub']).toBe('${var.pubsub}');
  });
});

describe('settings table', () => {
  it('is keyed by principal, on demand, with point-in-time recovery', () => {
    const settings = resource(table, 'aws_dynamodb_table.settings');
    expect(settings).toMatchObject({ hash_key: 'principal', billing_mode: 'PAY_PER_REQUEST' });
    expect(nested(settings, 'attribute')).toEqual({ name: 'principal', type: 'S' });
    expect(nested(settings, 'point_in_time_recovery')).toEqual({ enabled: true });
  });
});

describe('infrastructure/api-gw-integration.tf', () => {
  it('routes ANY /jessica/{proxy+} and leaves its target to the switch function', () => {
    const route = resource(infrastructure, 'aws_apigatewayv2_route.jessica');
    expect(resolve(infrastructure, route['route_key'])).toBe('ANY /jessica/{proxy+}');
    expect(nested(route, 'lifecycle')['ignore_changes']).toEqual(['${target}']);
    expect(route['target']).toBe('integrations/${aws_apigatewayv2_integration.lambda.id}');
  });

  it('has a Fargate integration through the VPC link and a Lambda integration with payload 2.0', () => {
    expect(resource(infrastructure, 'aws_apigatewayv2_integration.fargate')).toMatchObject({
      integration_type: 'HTTP_PROXY',
      connection_type: 'VPC_LINK',
      integration_uri: '${module.service.integration_uri}',
    });
    expect(resource(infrastructure, 'aws_apigatewayv2_integration.lambda')).toMatchObject({
      integration_type: 'AWS_PROXY',
      payload_format_version: '2.0',
    });
  });

  it('looks the serverless.yml functions up by name', () => {
    expect(infrastructure.locals['lambda_function_names']).toEqual({
      http: '${var.name}-${var.stage}-http',
      stream: '${var.name}-${var.stage}-stream',
      switch: '${var.name}-${var.stage}-switch',
    });
    expect(dataSource(infrastructure, 'aws_lambda_function.switch')['function_name']).toBe('${local.lambda_function_names.switch}');
  });

  it('switches to Lambda before scale-in and to Fargate after scale-out, in the same time zone', () => {
    const toLambda = resource(infrastructure, 'aws_scheduler_schedule.switch_to_lambda');
    const toFargate = resource(infrastructure, 'aws_scheduler_schedule.switch_to_fargate');
    const scaleIn = cronTime(String(variableDefault(infrastructure, 'scale_in_cron')));
    const scaleOut = cronTime(String(variableDefault(infrastructure, 'scale_out_cron')));
    const lambdaAt = cronTime(String(resolve(infrastructure, toLambda['schedule_expression'])));
    const fargateAt = cronTime(String(resolve(infrastructure, toFargate['schedule_expression'])));
    expect(lambdaAt.minutes).toBeLessThan(scaleIn.minutes);
    expect(fargateAt.minutes).toBeGreaterThan(scaleOut.minutes);
    expect([lambdaAt.days, fargateAt.days]).toEqual([scaleIn.days, scaleOut.days]);
    expect(resolve(infrastructure, toLambda['schedule_expression_timezone'])).toBe('Europe/Berlin');
    expect(nested(toLambda, 'target')['arn']).toBe('${data.aws_lambda_function.switch.arn}');
    // The root's schedule defaults match the module's.
    expect(variableDefault(infrastructure, 'scale_in_cron')).toBe(variableDefault(service, 'scale_in_cron'));
    expect(variableDefault(infrastructure, 'scale_out_cron')).toBe(variableDefault(service, 'scale_out_cron'));
    expect(variableDefault(infrastructure, 'timezone')).toBe(variableDefault(service, 'timezone'));
  });

  it('sends the switch function the actions it understands, with its ECS event rules left to serverless.yml', () => {
    const input = (address: string): unknown => nested(resource(infrastructure, address), 'target')['input'];
    expect(input('aws_scheduler_schedule.switch_to_lambda')).toBe('${jsonencode({ action = "to-lambda" })}');
    expect(input('aws_scheduler_schedule.switch_to_fargate')).toBe('${jsonencode({ action = "auto" })}');
    const serverless = readFileSync('serverless.yml', 'utf8');
    expect(serverless).toMatch(/detail-type: \[ECS Task State Change\]/);
    expect([...infrastructure.resources.keys()].filter((address) => address.startsWith('aws_cloudwatch_event_rule.'))).toEqual([]);
    expect(resource(infrastructure, 'aws_lambda_permission.http_from_api')['principal']).toBe('apigateway.amazonaws.com');
  });

  it('tells the page where the API and the WebSocket live under /jessica', () => {
    const config = (infrastructure.modules.get('site')?.['page_config'] ?? {}) as Record<string, unknown>;
    const resolved = Object.fromEntries(Object.entries(config).map(([key, value]) => [key, resolve(infrastructure, value)]));
    expect(resolved).toEqual({ apiBase: '/jessica/api/v1', wsUrl: '/jessica/ws', healthUrl: '/jessica/health', requiresAuth: true });
  });

  it('offers an optional JWT authorizer, off by default', () => {
    expect(variableDefault(infrastructure, 'jwt_authorizer')).toBeNull();
    expect(resource(infrastructure, 'aws_apigatewayv2_authorizer.jwt')['authorizer_type']).toBe('JWT');
  });
});

describe('infrastructure monitoring and deploy', () => {
  it('alarms on 5xx, upstream errors and a missing task during active hours', () => {
    expect(resource(infrastructure, 'aws_cloudwatch_metric_alarm.api_5xx')).toMatchObject({ namespace: 'AWS/ApiGateway', metric_name: '5xx' });
    expect(resource(infrastructure, 'aws_cloudwatch_metric_alarm.upstream_errors')['metric_name']).toBe('UpstreamErrors');
    const noTask = resource(infrastructure, 'aws_cloudwatch_metric_alarm.no_healthy_task');
    expect(noTask).toMatchObject({ metric_name: 'ActiveConnections', statistic: 'SampleCount', treat_missing_data: 'breaching' });
    expect(resource(infrastructure, 'aws_scheduler_schedule.alarm_window')['for_each']).toBe('${local.alarm_window}');
  });

  it('has a dashboard with the gateway, WebSocket connections and time to first audio', () => {
    const widgets = JSON.stringify(infrastructure.locals['dashboard_widgets']);
    expect(widgets).toMatch(/"AWS\/ApiGateway","Count"/);
    expect(widgets).toMatch(/"ActiveConnections"/);
    expect(widgets).toMatch(/TimeToFirstAudio/);
  });

  it('alerts on the monthly budget', () => {
    const budget = resource(infrastructure, 'aws_budgets_budget.monthly');
    expect(budget).toMatchObject({ budget_type: 'COST', time_unit: 'MONTHLY' });
    expect(variableDefault(infrastructure, 'monthly_budget_usd')).toBe(15);
  });

  it('trusts one repository environment through GitHub OIDC', () => {
    const trust = dataSource(infrastructure, 'aws_iam_policy_document.deploy_trust');
    const conditions = flat(JSON.stringify(trust['statement']));
    expect(conditions).toMatch(/token\.actions\.githubusercontent\.com:aud/);
    expect(conditions).toMatch(/repo:\$\{var\.github_repository\}:environment:\$\{var\.github_environment\}/);
  });
});

describe('modules/static-site', () => {
  it('serves a private bucket through Origin Access Control', () => {
    expect(resource(site, 'aws_s3_bucket_public_access_block.site')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(resource(site, 'aws_cloudfront_origin_access_control.site')).toMatchObject({
      origin_access_control_origin_type: 's3',
      signing_behavior: 'always',
    });
  });

  it('uses the ACM certificate over SNI, security headers, an SPA fallback and Route 53 aliases', () => {
    const distribution = resource(site, 'aws_cloudfront_distribution.site');
    expect(nested(distribution, 'viewer_certificate')).toMatchObject({ acm_certificate_arn: '${var.certificate_arn}', ssl_support_method: 'sni-only' });
    const page = nested(distribution, 'default_cache_behavior');
    expect(page['response_headers_policy_id']).toBe('${aws_cloudfront_response_headers_policy.security["page"].id}');
    expect(nested(page, 'function_association')).toMatchObject({ event_type: 'viewer-request' });
    expect(distribution).not.toHaveProperty('custom_error_response');
    expect(resource(site, 'aws_route53_record.site')['for_each']).toBe('${toset(["A", "AAAA"])}');
  });

  it('exposes what the deploy workflow needs', async () => {
    const outputs = readFileSync('terraform/modules/static-site/outputs.tf', 'utf8');
    for (const name of ['bucket_name', 'distribution_id', 'bucket_arn', 'distribution_arn']) expect(outputs).toMatch(new RegExp(`output "${name}"`));
  });
});

describe('what a real account would hit: the origin record, the workflow, the deploy role', () => {
  const retryOf = (state: Block): Block[] => {
    const retry = state['Retry'];
    const local = typeof retry === 'string' ? /^\$\{local\.([A-Za-z0-9_]+)\}$/.exec(retry)?.[1] : undefined;
    return (local === undefined ? retry : service.locals[local]) as Block[];
  };
  const catchOf = (state: Block): Block[] => {
    const caught = state['Catch'];
    const local = typeof caught === 'string' ? /^\$\{local\.([A-Za-z0-9_]+)\}$/.exec(caught)?.[1] : undefined;
    return (local === undefined ? caught : service.locals[local]) as Block[];
  };
  const tasks = () => Object.entries(originRecordStates()).filter(([, state]) => state['Type'] === 'Task');

  it('keeps the origin record at all times: created at a never-assigned placeholder, never deleted without a replacement', () => {
    const record = resource(service, 'aws_route53_record.origin');
    expect(record).toMatchObject({ type: 'A', records: ['${local.origin_placeholder_ip}'], allow_overwrite: true });
    expect(nested(record, 'lifecycle')['ignore_changes']).toEqual(['${records}']);
    // TEST-NET-1 (RFC 5737): no one can ever hold it.
    expect(service.locals['origin_placeholder_ip']).toMatch(/^192\.0\.2\.\d{1,3}$/);
    const batches = tasks().map(([name, state]) => [name, changes(state).map((change) => change['Action'])] as const).filter(([, actions]) => actions.length > 0);
    expect(batches.map(([name]) => name).sort()).toEqual(['HandOver', 'ParkIfCurrent', 'Upsert']);
    for (const [name, actions] of batches) {
      if (actions.includes('DELETE')) expect(actions, name).toContain('CREATE');
    }
    expect(flat(changes(originRecordStates()['ParkIfCurrent'] ?? {})[1]?.['ResourceRecordSet'])).toMatch(/local\.origin_placeholder_ip/);
  });

  it('retries every Task with exponential backoff and fails (then alarms) once the retries are spent', () => {
    expect(tasks().length).toBeGreaterThanOrEqual(7);
    for (const [name, state] of tasks()) {
      const retry = retryOf(state);
      expect(retry, name).toEqual(
        expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: expect.any(Number), BackoffRate: expect.any(Number) })]),
      );
      const all = retry.find((retrier) => JSON.stringify(retrier['ErrorEquals']) === '["States.ALL"]') ?? {};
      expect(all['MaxAttempts'], name).toBeGreaterThanOrEqual(3);
      expect(all['BackoffRate'], name).toBeGreaterThan(1);
      const final = catchOf(state).find((catcher) => JSON.stringify(catcher['ErrorEquals']) === '["States.ALL"]');
      expect(['Failed', 'ParkIfCurrent'], name).toContain(final?.['Next']);
    }
    expect(originRecordStates()['Failed']).toMatchObject({ Type: 'Fail' });
    expect(originRecordStates()['AfterChange']).toMatchObject({ Type: 'Choice', Choices: [expect.objectContaining({ Next: 'Failed' })] });
    const alarm = resource(infrastructure, 'aws_cloudwatch_metric_alarm.origin_record_failed');
    expect(alarm).toMatchObject({ namespace: 'AWS/States', metric_name: 'ExecutionsFailed', dimensions: { StateMachineArn: '${module.service.origin_record_state_machine_arn}' } });
    expect(alarm['alarm_actions']).toEqual(['${aws_sns_topic.alarms.arn}']);
  });

  it('moves the record only to a task whose health check passes', () => {
    const classify = originRecordStates()['Classify'] ?? {};
    expect(classify['Default']).toBe('Done');
    const running = (classify['Choices'] as Block[]).filter((choice) => /lastStatus = 'RUNNING'/.test(String(choice['Condition'])) && !/!=/.test(String(choice['Condition'])));
    expect(running).toHaveLength(1);
    expect(running[0]?.['Condition']).toMatch(/healthStatus = 'HEALTHY'/);
    expect(flat((originRecordStates()['DescribeOtherTasks']?.['Output'] as Block | undefined)?.['eni'])).toMatch(/LastStatus='RUNNING' and HealthStatus='HEALTHY'/);
  });

  it('gives the deploy role no API Gateway permission', () => {
    const statements = dataSource(infrastructure, 'aws_iam_policy_document.deploy')['statement'] as Block[];
    expect(statements.length).toBeGreaterThan(5);
    const apigateway = statements.filter((statement) => (statement['actions'] as string[]).some((action) => action.startsWith('apigateway:')));
    expect(apigateway.map((statement) => statement['sid'])).toEqual([]);
  });

  it('reads as CloudWatch metrics only the series the code bills; the dashboard gets the rest from the measure lines', async () => {
    const { BILLED_METRICS } = await import('../../handlers/lib/observability.js');
    const read = new Set<string>();
    for (const dir of [infrastructure, service]) {
      for (const { block } of walkBlocks(dir)) {
        if (block['namespace'] === '${local.metric_namespace}' && typeof block['metric_name'] === 'string') read.add(block['metric_name']);
      }
    }
    const widgets = infrastructure.locals['dashboard_widgets'] as { type: string; properties: { metrics?: unknown[][]; query?: string } }[];
    for (const widget of widgets.filter((candidate) => candidate.type === 'metric')) {
      for (const metric of widget.properties.metrics ?? []) if (metric[0] === '${local.metric_namespace}') read.add(String(metric[1]));
    }
    expect([...read].sort()).toEqual([...BILLED_METRICS].sort());
    const queries = widgets.filter((widget) => widget.type === 'log').map((widget) => widget.properties.query ?? '');
    expect(queries.join('\n')).toMatch(/measure = 'TimeToFirstAudio'/);
    expect(queries.join('\n')).toMatch(/measure = 'Characters'/);
    for (const query of queries) expect(query).toMatch(/^\$\{local\.measure_sources\} \| filter message = 'measure'/);
  });

  it('creates target tracking (and its two alarms) only when it can act: max_tasks > 1', () => {
    expect(resource(service, 'aws_appautoscaling_policy.active_connections')['count']).toBe('${var.max_tasks > 1 ? 1 : 0}');
  });
});

describe('every Terraform directory', () => {
  const openToTheWorld = (block: Block): boolean =>
    ['cidr_ipv4', 'cidr_ipv6', 'cidr_blocks', 'ipv6_cidr_blocks'].some((key) => {
      const value = block[key];
      return [value].flat().some((cidr) => cidr === '0.0.0.0/0' || cidr === '::/0');
    });

  it('opens no security group ingress to the internet', () => {
    for (const dir of all) {
      for (const { address, block } of walkBlocks(dir)) {
        const isIngress =
          address.startsWith('aws_vpc_security_group_ingress_rule.') ||
          /^aws_security_group\.[^.]+\.ingress$/.test(address) ||
          (address.startsWith('aws_security_group_rule.') && block['type'] === 'ingress');
        if (isIngress) expect(openToTheWorld(block), `${dir.path} ${address}`).toBe(false);
      }
    }
  });

  it('grants no "*" action in any IAM policy', () => {
    for (const dir of all) {
      for (const { address, block } of walkBlocks(dir)) {
        if (!address.startsWith('data.aws_iam_policy_document.')) continue;
        for (const action of [block['actions']].flat()) expect(action, `${dir.path} ${address}`).not.toBe('*');
      }
      for (const [address, block] of dir.resources) {
        if (!address.startsWith('aws_iam_role_policy.')) continue;
        expect(flat(block['policy']), `${dir.path} ${address}`).not.toMatch(/Action\s*=\s*"\*"/);
      }
    }
  });
});
