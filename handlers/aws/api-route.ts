import { GetRouteCommand, UpdateRouteCommand, type ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';

export interface RouteRef {
  apiId: string;
  routeId: string;
}

/** A route target names an integration as `integrations/<id>`. */
export const integrationTarget = (integrationId: string): string => `integrations/${integrationId}`;

/**
 * Points an HTTP API route at an integration unless it already points there, so repeated and
 * out-of-order triggers cost one read and change nothing. Returns the target found before.
 */
export async function pointRouteAt(client: ApiGatewayV2Client, route: RouteRef, integrationId: string): Promise<{ changed: boolean; previous: string | undefined }> {
  const current = await client.send(new GetRouteCommand({ ApiId: route.apiId, RouteId: route.routeId }));
  const wanted = integrationTarget(integrationId);
  if (current.Target === wanted) return { changed: false, previous: current.Target };
  await client.send(new UpdateRouteCommand({ ApiId: route.apiId, RouteId: route.routeId, Target: wanted }));
  return { changed: true, previous: current.Target };
}
