import { ApiGatewayV2Client, GetRouteCommand, UpdateRouteCommand } from '@aws-sdk/client-apigatewayv2';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config.js';
import { createSwitchHandler, readSwitchConfig } from '../../handlers/switch.js';
import { ecsTaskStateChangeEvent, lambdaContext, quietObservability, schedulerToLambdaEvent } from './helpers.js';

const ENV = {
  JESSICA_API_ID: 'a1b2c3d4e5',
  JESSICA_ROUTE_ID: 'r0ute12',
  JESSICA_FARGATE_INTEGRATION_ID: 'farg123',
  JESSICA_LAMBDA_INTEGRATION_ID: 'lamb456',
  JESSICA_ECS_CLUSTER: 'jessica',
  JESSICA_ECS_SERVICE: 'jessica',
};
const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const TASK_ARN = 'arn:aws:ecs:eu-central-1:123456789012:task/jessica/0123456789abcdef0123456789abcdef';

describe('the route switch', () => {
  const gateway = mockClient(ApiGatewayV2Client);
  const ecs = mockClient(ECSClient);
  const handler = createSwitchHandler({
    env: ENV,
    observability: quietObservability(),
    apiGateway: new ApiGatewayV2Client({ region: 'eu-central-1', credentials }),
    ecs: new ECSClient({ region: 'eu-central-1', credentials }),
  });

  function service(desiredCount: number, runningCount: number, tasks: Partial<Task>[] = []): void {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: 'jessica',
          status: 'ACTIVE',
          desiredCount,
          runningCount,
          deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount }],
        },
      ],
      failures: [],
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: tasks.map((_task, index) => `${TASK_ARN}${index}`) });
    ecs.on(DescribeTasksCommand).resolves({ tasks: tasks.map((task, index) => ({ taskArn: `${TASK_ARN}${index}`, ...task })) });
  }

  function routeTarget(target: string): void {
    gateway.on(GetRouteCommand).resolves({ RouteId: ENV.JESSICA_ROUTE_ID, RouteKey: 'ANY /jessica/{proxy+}', Target: target });
    gateway.on(UpdateRouteCommand).resolves({});
  }

  const healthy: Partial<Task> = { lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'HEALTHY' };

  beforeEach(() => {
    gateway.reset();
    ecs.reset();
  });

  it('moves the route to Fargate once a task is running and healthy', async () => {
    service(1, 1, [healthy]);
    routeTarget('integrations/lamb456');
    const result = await handler(ecsTaskStateChangeEvent, lambdaContext());
    expect(result).toMatchObject({ action: 'auto', target: 'fargate', changed: true, previous: 'integrations/lamb456' });
    expect(gateway.commandCalls(UpdateRouteCommand)[0]?.args[0].input).toEqual({ ApiId: 'a1b2c3d4e5', RouteId: 'r0ute12', Target: 'integrations/farg123' });
    expect(ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({ cluster: 'jessica', services: ['jessica'] });
    expect(ecs.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({ cluster: 'jessica', serviceName: 'jessica', desiredStatus: 'RUNNING' });
  });

  it('leaves the route alone when it already points at the right integration', async () => {
    service(1, 1, [healthy]);
    routeTarget('integrations/farg123');
    const result = await handler({ action: 'auto' }, lambdaContext());
    expect(result).toMatchObject({ target: 'fargate', changed: false });
    expect(gateway.commandCalls(UpdateRouteCommand)).toHaveLength(0);
  });

  it('keeps Lambda while the new task is running but not yet healthy', async () => {
    service(1, 1, [{ lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'UNKNOWN' }]);
    routeTarget('integrations/lamb456');
    expect(await handler({ action: 'auto' }, lambdaContext())).toMatchObject({ target: 'lambda', changed: false });
    expect(gateway.commandCalls(UpdateRouteCommand)).toHaveLength(0);
  });

  it('moves the route to Lambda on to-lambda before scale-in, healthy task or not', async () => {
    service(1, 1, [healthy]);
    routeTarget('integrations/farg123');
    expect(await handler(schedulerToLambdaEvent, lambdaContext())).toMatchObject({ action: 'to-lambda', target: 'lambda', changed: true });
    expect(gateway.commandCalls(UpdateRouteCommand)[0]?.args[0].input.Target).toBe('integrations/lamb456');
  });

  it('moves the route to Lambda while the service drains (desired count 0)', async () => {
    service(0, 1, [{ lastStatus: 'RUNNING', desiredStatus: 'STOPPED', healthStatus: 'HEALTHY' }]);
    routeTarget('integrations/farg123');
    expect(await handler(ecsTaskStateChangeEvent, lambdaContext())).toMatchObject({ target: 'lambda', changed: true });
  });

  it('counts a task that was told to stop as draining, not healthy', async () => {
    service(1, 1, [{ lastStatus: 'RUNNING', desiredStatus: 'STOPPED', healthStatus: 'HEALTHY' }]);
    routeTarget('integrations/farg123');
    expect(await handler({ action: 'auto' }, lambdaContext())).toMatchObject({ target: 'lambda', state: { healthyTasks: 0 } });
  });

  it('moves the route to Lambda at zero tasks, and only once', async () => {
    service(0, 0);
    routeTarget('integrations/farg123');
    expect(await handler({ action: 'auto' }, lambdaContext())).toMatchObject({ target: 'lambda', changed: true });
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
    routeTarget('integrations/lamb456');
    expect(await handler({ action: 'auto' }, lambdaContext())).toMatchObject({ target: 'lambda', changed: false });
    expect(gateway.commandCalls(UpdateRouteCommand)).toHaveLength(1);
  });

  it('moves the route to Lambda when ECS does not know the service', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'arn:aws:ecs:eu-central-1:123456789012:service/jessica/jessica', reason: 'MISSING' }] });
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    routeTarget('integrations/farg123');
    expect(await handler({ action: 'auto' }, lambdaContext())).toMatchObject({ target: 'lambda', changed: true, state: { status: undefined } });
  });

  it('accepts the service as an ARN and lists its tasks by name', async () => {
    const serviceArn = 'arn:aws:ecs:eu-central-1:123456789012:service/jessica/jessica';
    const byArn = createSwitchHandler({
      env: { ...ENV, JESSICA_ECS_SERVICE: serviceArn },
      observability: quietObservability(),
      apiGateway: new ApiGatewayV2Client({ region: 'eu-central-1', credentials }),
      ecs: new ECSClient({ region: 'eu-central-1', credentials }),
    });
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'jessica', serviceArn, status: 'ACTIVE', desiredCount: 1, runningCount: 1 }] });
    ecs.on(ListTasksCommand).resolves({ taskArns: [TASK_ARN] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK_ARN, ...healthy }] });
    routeTarget('integrations/lamb456');
    expect(await byArn({ action: 'auto' })).toMatchObject({ target: 'fargate', changed: true });
    expect(ecs.commandCalls(ListTasksCommand)[0]?.args[0].input.serviceName).toBe('jessica');
  });

  it('fails loudly on an event it does not understand, changing nothing', async () => {
    routeTarget('integrations/farg123');
    await expect(handler({ action: 'sideways' }, lambdaContext())).rejects.toThrow(/expects/);
    expect(gateway.commandCalls(UpdateRouteCommand)).toHaveLength(0);
  });
});

describe('readSwitchConfig', () => {
  it('names the first missing variable', () => {
    const { JESSICA_ROUTE_ID: _omitted, ...env } = ENV;
    expect(() => readSwitchConfig(env)).toThrow(ConfigError);
    expect(() => readSwitchConfig(env)).toThrow(/^JESSICA_ROUTE_ID: is required/);
  });

  it('treats the serverless.yml placeholder as missing', () => {
    expect(() => readSwitchConfig({ ...ENV, JESSICA_FARGATE_INTEGRATION_ID: 'unset' })).toThrow(/^JESSICA_FARGATE_INTEGRATION_ID: is required/);
  });

  it('rejects malformed ids and identical integrations', () => {
    expect(() => readSwitchConfig({ ...ENV, JESSICA_API_ID: 'not an id' })).toThrow(/^JESSICA_API_ID:/);
    expect(() => readSwitchConfig({ ...ENV, JESSICA_LAMBDA_INTEGRATION_ID: 'farg123' })).toThrow(/^JESSICA_LAMBDA_INTEGRATION_ID: must differ/);
  });

  it('accepts cluster and service ARNs', () => {
    expect(
      readSwitchConfig({
        ...ENV,
        JESSICA_ECS_CLUSTER: 'arn:aws:ecs:eu-central-1:123456789012:cluster/jessica',
        JESSICA_ECS_SERVICE: 'arn:aws:ecs:eu-central-1:123456789012:service/jessica/jessica',
      }).service,
    ).toContain(':service/');
  });

  it('fails the first invocation with the variable name, before any AWS call', async () => {
    const gateway = mockClient(ApiGatewayV2Client);
    const handler = createSwitchHandler({ env: {}, observability: quietObservability(), apiGateway: new ApiGatewayV2Client({ region: 'eu-central-1', credentials }) });
    await expect(handler({ action: 'auto' })).rejects.toThrow(/^JESSICA_API_ID: is required/);
    expect(gateway.calls()).toHaveLength(0);
    gateway.restore();
  });
});
