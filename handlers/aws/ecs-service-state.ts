import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { ServiceState } from '../lib/route-decision.js';

const DESCRIBE_TASKS_LIMIT = 100;

/**
 * Reads the service's counts and rollout state, then the health of the tasks ECS keeps
 * running. A service ECS does not know reads as status undefined with zero counts.
 */
export async function readServiceState(client: ECSClient, cluster: string, service: string): Promise<ServiceState> {
  const described = await client.send(new DescribeServicesCommand({ cluster, services: [service] }));
  const found = described.services?.find((candidate) => candidate.serviceName === service || candidate.serviceArn === service);
  if (!found) {
    return { status: undefined, desiredCount: 0, runningCount: 0, healthyTasks: 0, primaryRolloutState: undefined };
  }
  return {
    status: found.status,
    desiredCount: found.desiredCount ?? 0,
    runningCount: found.runningCount ?? 0,
    // ListTasks filters by service name only, while the setting may be an ARN.
    healthyTasks: await countHealthyTasks(client, cluster, found.serviceName ?? service),
    primaryRolloutState: found.deployments?.find((deployment) => deployment.status === 'PRIMARY')?.rolloutState,
  };
}

async function countHealthyTasks(client: ECSClient, cluster: string, service: string): Promise<number> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'RUNNING', nextToken }));
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  let healthy = 0;
  for (let start = 0; start < arns.length; start += DESCRIBE_TASKS_LIMIT) {
    const { tasks } = await client.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(start, start + DESCRIBE_TASKS_LIMIT) }));
    for (const task of tasks ?? []) {
      // A task told to stop is draining even while it still runs and passes its checks.
      if (task.desiredStatus === 'RUNNING' && task.lastStatus === 'RUNNING' && task.healthStatus === 'HEALTHY') healthy += 1;
    }
  }
  return healthy;
}
