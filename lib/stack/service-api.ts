import { Duration, RemovalPolicy, Validations, type Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  type CfnStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { addDefaultRoute } from '../default-route.js';
import { routeThrottle, THROTTLES } from '../route-throttles.js';
import { pascalCase } from '../runbook.js';
import type { ServiceFunction } from '../service-function.js';
import {
  DEFAULT_ROUTE,
  ROUTES,
  routeKey,
  type FunctionName,
  type ServiceFunctionName,
} from '../../functions/shared/service-routes.js';

export type ServiceApiProps = {
  /** CORS with credentials for these origins (the console, on the API's own origin, needs none). */
  frontendOrigins: string[];
  logRetention: RetentionDays;
};

/**
 * The HTTP API, its `$default` stage with access logs and throttles, and (addRoutes) every contract
 * route. A part of GitHubAppStack, created in the stack's own scope so the API keeps its logical ID,
 * and with it its URL (docs/architecture.md "The stack's parts").
 */
export class ServiceApi {
  readonly api: HttpApi;
  readonly stage: HttpStage;

  constructor(stack: Stack, props: ServiceApiProps) {
    const accessLogs = new LogGroup(stack, 'ApiAccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new HttpApi(stack, 'HttpApi', {
      description: 'One GitHub App across many platform accounts',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: props.frontendOrigins,
        allowCredentials: true,
        allowMethods: [
          CorsHttpMethod.GET,
          CorsHttpMethod.POST,
          CorsHttpMethod.PUT,
          CorsHttpMethod.PATCH,
          CorsHttpMethod.DELETE,
        ],
        // Idempotency-Key: retries of mutating calls (docs/idempotency.md).
        allowHeaders: ['content-type', 'authorization', 'idempotency-key'],
        // A frontend can read the correlation id of an answer (docs/configuration.md "Logs").
        exposeHeaders: ['x-request-id'],
        maxAge: Duration.hours(1),
      },
    });
    this.stage = new HttpStage(stack, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: THROTTLES.stage,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
  }

  /**
   * Every contract route to its function (one integration per function), each route's own throttle as
   * a stage route setting, and `$default` to DEFAULT_ROUTE's function.
   */
  addRoutes(functions: Record<ServiceFunctionName, ServiceFunction>): void {
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    // RouteSettings is free-form JSON to CloudFormation: keys are written as CloudFormation spells them.
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    // The service routes (token vending): API Gateway checks the caller's SigV4 signature and its
    // `execute-api:Invoke` permission before the function runs, and hands it the caller's ARN.
    const iam = new HttpIamAuthorizer();
    for (const route of ROUTES) {
      let integration = integrations.get(route.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${pascalCase(route.fn)}Integration`, functions[route.fn].fn);
        integrations.set(route.fn, integration);
      }
      const added = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        ...(route.auth === 'iam' ? { authorizer: iam } : {}),
      });
      const throttle = routeThrottle(route);
      if (throttle) {
        routeSettings[routeKey(route)] = {
          ThrottlingRateLimit: throttle.rateLimit,
          ThrottlingBurstLimit: throttle.burstLimit,
        };
        // A stage's route settings name routes that must exist first.
        for (const httpRoute of added) cfnStage.node.addDependency(httpRoute);
      }
    }
    cfnStage.routeSettings = routeSettings;
    addDefaultRoute(this.api, functions[DEFAULT_ROUTE.fn].fn, integrations.get(DEFAULT_ROUTE.fn));
  }

  /** The cdk-nag finding accepted for the API, with the reason it is acceptable for this service. */
  acknowledgeFindings(): void {
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Authorization is the service itself: every route but /health, /auth/login and /auth/callback checks the session and the caller’s account role; webhooks are authenticated by their HMAC signature over the raw body. An API Gateway authorizer cannot check account membership. The /service/… routes (token vending to the platform’s back-ends) do use API Gateway’s IAM authorizer (SigV4, execute-api:Invoke), and the function then checks the account’s service access policy.',
    });
  }
}
