import { describe, expect, it } from 'vitest';
import { decideTarget, switchActionOf, type ServiceState } from '../../handlers/lib/route-decision.js';
import { ecsTaskStateChangeEvent, schedulerToLambdaEvent } from './helpers.js';

const running: ServiceState = { status: 'ACTIVE', desiredCount: 1, runningCount: 1, healthyTasks: 1, primaryRolloutState: 'COMPLETED' };

describe('decideTarget', () => {
  it.each<[string, ServiceState, 'fargate' | 'lambda']>([
    ['a running, healthy task', running, 'fargate'],
    ['a healthy task during a rolling deployment', { ...running, runningCount: 2, primaryRolloutState: 'IN_PROGRESS' }, 'fargate'],
    ['a task still starting (not yet healthy)', { ...running, healthyTasks: 0 }, 'lambda'],
    ['a pending task and nothing running', { ...running, runningCount: 0, healthyTasks: 0 }, 'lambda'],
    ['draining: desired count 0 while a task still runs', { ...running, desiredCount: 0 }, 'lambda'],
    ['zero tasks', { ...running, desiredCount: 0, runningCount: 0, healthyTasks: 0 }, 'lambda'],
    ['a service being deleted', { ...running, status: 'DRAINING' }, 'lambda'],
    ['a service ECS does not know', { status: undefined, desiredCount: 0, runningCount: 0, healthyTasks: 0, primaryRolloutState: undefined }, 'lambda'],
  ])('auto with %s → %s', (_case, state, target) => {
    expect(decideTarget(state, 'auto')).toBe(target);
  });

  it('chooses Lambda on to-lambda even while Fargate is healthy', () => {
    expect(decideTarget(running, 'to-lambda')).toBe('lambda');
  });
});

describe('switchActionOf', () => {
  it('reads the schedule\'s action', () => {
    expect(switchActionOf(schedulerToLambdaEvent)).toBe('to-lambda');
    expect(switchActionOf({ action: 'auto' })).toBe('auto');
  });

  it('treats an ECS state-change event as auto', () => {
    expect(switchActionOf(ecsTaskStateChangeEvent)).toBe('auto');
  });

  it.each([[{ action: 'to-fargate' }], [{}], [null], ['to-lambda']])('rejects %j', (event) => {
    expect(() => switchActionOf(event)).toThrow(/expects \{"action"/);
  });
});
