/** Where the gateway's `/jessica/{proxy+}` route sends requests. */
export type RouteTarget = 'fargate' | 'lambda';

/**
 * `to-lambda`: the schedule's call shortly before scale-in; always Lambda.
 * `auto`: follow the service (after scale-out, on ECS events, on a periodic check).
 */
export type SwitchAction = 'to-lambda' | 'auto';

/** What ECS reports about the service, reduced to what the decision needs. */
export interface ServiceState {
  /** `ACTIVE`, `DRAINING`, `INACTIVE`; undefined when ECS does not know the service. */
  status: string | undefined;
  desiredCount: number;
  runningCount: number;
  /** Tasks ECS keeps running (desired status RUNNING) that are RUNNING with a HEALTHY container health check. */
  healthyTasks: number;
  /** The PRIMARY deployment's rollout state (`IN_PROGRESS`, `COMPLETED`, `FAILED`), if any. */
  primaryRolloutState: string | undefined;
}

/**
 * Decides the route target. Lambda is always safe (it serves everything but the live channel),
 * so it is chosen whenever Fargate is not provably able to answer: an explicit `to-lambda`, a
 * service going away (desired count 0: the scale-in is due or done), or no task that is both
 * meant to keep running and passing its health check. Fargate is chosen only when such a task
 * exists: a task that is merely RUNNING may still be starting its server.
 *
 * @example
 * decideTarget({ status: 'ACTIVE', desiredCount: 1, runningCount: 1, healthyTasks: 1, primaryRolloutState: 'COMPLETED' }, 'auto'); // 'fargate'
 */
export function decideTarget(state: ServiceState, action: SwitchAction): RouteTarget {
  if (action === 'to-lambda') return 'lambda';
  if (state.status !== 'ACTIVE') return 'lambda';
  if (state.desiredCount === 0) return 'lambda';
  if (state.runningCount >= 1 && state.healthyTasks >= 1) return 'fargate';
  return 'lambda';
}

/**
 * The action an invocation asks for: `{"action": "to-lambda" | "auto"}` from EventBridge
 * Scheduler, or an ECS state-change event (`source: aws.ecs`), which always means `auto`.
 * Anything else is a wiring mistake and fails loudly.
 */
export function switchActionOf(event: unknown): SwitchAction {
  const record = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const action = record['action'];
  if (action === 'to-lambda' || action === 'auto') return action;
  if (action === undefined && record['source'] === 'aws.ecs') return 'auto';
  throw new Error(
    `The route switch expects {"action":"to-lambda"|"auto"} or an aws.ecs event; got ${action === undefined ? 'neither' : `action ${JSON.stringify(action).slice(0, 40)}`}.`,
  );
}
