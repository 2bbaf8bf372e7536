import type { Context } from 'aws-lambda';
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ConfigError } from '../core/config.js';
import { pointRouteAt } from './aws/api-route.js';
import { readServiceState } from './aws/ecs-service-state.js';
import { createObservability, type Observability } from './lib/observability.js';
import { decideTarget, switchActionOf, type RouteTarget, type ServiceState, type SwitchAction } from './lib/route-decision.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface SwitchConfig {
  apiId: string;
  routeId: string;
  integrations: Readonly<Record<RouteTarget, string>>;
  cluster: string;
  service: string;
}

const GATEWAY_ID = /^[A-Za-z0-9]{1,64}$/;
const ECS_NAME = /^([A-Za-z0-9_-]{1,255}|arn:aws[\w-]*:ecs:[\w-]+:\d{12}:(cluster|service)\/[A-Za-z0-9_/-]{1,512})$/;

function required(env: Env, name: string, pattern: RegExp): string {
  const value = env[name]?.trim();
  // `unset` is serverless.yml's placeholder for an id nobody passed at deploy time.
  if (!value || value === 'unset') throw new ConfigError(name, 'is required by the route switch');
  if (!pattern.test(value)) throw new ConfigError(name, `"${value.slice(0, 80)}" is not a valid value`);
  return value;
}

/** Reads and checks the switch's settings once; a gap fails with the variable's name. */
export function readSwitchConfig(env: Env): SwitchConfig {
  const config = {
    apiId: required(env, 'JESSICA_API_ID', GATEWAY_ID),
    routeId: required(env, 'JESSICA_ROUTE_ID', GATEWAY_ID),
    integrations: Object.freeze({
      fargate: required(env, 'JESSICA_FARGATE_INTEGRATION_ID', GATEWAY_ID),
      lambda: required(env, 'JESSICA_LAMBDA_INTEGRATION_ID', GATEWAY_ID),
    }),
    cluster: required(env, 'JESSICA_ECS_CLUSTER', ECS_NAME),
    service: required(env, 'JESSICA_ECS_SERVICE', ECS_NAME),
  };
  if (config.integrations.fargate === config.integrations.lambda) {
    throw new ConfigError('JESSICA_LAMBDA_INTEGRATION_ID', 'must differ from JESSICA_FARGATE_INTEGRATION_ID');
  }
  return Object.freeze(config);
}

export interface SwitchResult {
  action: SwitchAction;
  target: RouteTarget;
  changed: boolean;
  previous: string | undefined;
  state: ServiceState;
}

export interface SwitchHandlerOptions {
  /** Default: process.env, read at the first invocation. */
  env?: Env;
  observability?: Observability;
  apiGateway?: ApiGatewayV2Client;
  ecs?: ECSClient;
}

export type SwitchHandler = (event: unknown, context?: Context) => Promise<SwitchResult>;

/**
 * Moves the gateway's `/jessica/{proxy+}` route between the Fargate and the Lambda integration.
 * Invoked by EventBridge Scheduler (`{"action":"to-lambda"}` before scale-in, `{"action":"auto"}`
 * after scale-out) and by ECS state-change events. Every run re-reads the service rather than
 * trusting the event, so late or repeated events cannot flip the route the wrong way, and it
 * writes the route only when the target differs.
 */
export function createSwitchHandler(options: SwitchHandlerOptions = {}): SwitchHandler {
  const { powertoolsLogger, logger, measure } = options.observability ?? createObservability(options.env);
  let settings: SwitchConfig | undefined;
  let apiGateway = options.apiGateway;
  let ecs = options.ecs;

  return async function switchHandler(event, context) {
    if (context) powertoolsLogger.addContext(context);
    try {
      settings ??= readSwitchConfig(options.env ?? process.env);
      apiGateway ??= new ApiGatewayV2Client({});
      ecs ??= new ECSClient({});
      const action = switchActionOf(event);
      const state = await readServiceState(ecs, settings.cluster, settings.service);
      const target = decideTarget(state, action);
      const { changed, previous } = await pointRouteAt(apiGateway, settings, settings.integrations[target]);
      if (changed) measure('RouteSwitches', 1, 'Count');
      logger.info(changed ? 'route switched' : 'route unchanged', { action, target, previous, state });
      return { action, target, changed, previous, state };
    } catch (error) {
      logger.error('route switch failed', { error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
      throw error;
    }
  };
}

export const handler = createSwitchHandler();
