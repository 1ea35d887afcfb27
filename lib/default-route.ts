import { HttpRoute, HttpRouteKey, type HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';

/**
 * API Gateway's `$default` route: a request no route matches reaches the function named by
 * DEFAULT_ROUTE, which answers 404 `not_found` or 405 `method_not_allowed` in the contract's
 * `{ error, message }` shape, instead of the HTTP API's own `{"message":"Not Found"}`.
 */
export function addDefaultRoute(api: HttpApi, fn: IFunction, integration?: HttpLambdaIntegration): HttpRoute {
  return new HttpRoute(api, 'DefaultRoute', {
    httpApi: api,
    routeKey: HttpRouteKey.DEFAULT,
    integration: integration ?? new HttpLambdaIntegration(`DefaultRouteIntegration`, fn),
  });
}
