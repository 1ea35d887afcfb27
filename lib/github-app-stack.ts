import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  Validations,
  type StackProps,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  type CfnStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table, TableEncryption, type CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ApiDomain, type CustomDomainSettings } from './api-domain.js';
import { AppKeySigning, appSecretTemplate, type AppKeySigningSettings } from './app-key-signing.js';
import { ConsoleHosting } from './console/console-hosting.js';
import { TABLE_DEFINITION } from '../functions/shared/store/table-definition.js';
import { routeThrottle, THROTTLES } from './route-throttles.js';
import { Observability } from './observability.js';
import { ServiceFunction } from './service-function.js';
import { addDefaultRoute } from './default-route.js';
import { grantsOf } from './function-grants.js';
import {
  DEFAULT_ROUTE,
  PUBLIC_PATHS,
  ROUTES,
  SERVICE_FUNCTIONS,
  routeKey,
  type FunctionName,
  type FunctionSpec,
  type ServiceFunctionName,
  REPOSITORY_SYNC_DEFAULT_MINUTES,
  REQUESTS_REPOSITORY_SYNC,
} from '../functions/shared/service-routes.js';
import { pascalCase } from './runbook.js';

export type GitHubAppStackProps = StackProps & {
  /** Origins of the platform frontend: CORS with credentials, and where sign-in may return to. */
  frontendOrigins: string[];
  githubApiUrl?: string;
  githubWebUrl?: string;
  /** Public base URL if a custom domain fronts the API; defaults to the API's own endpoint. */
  publicBaseUrl?: string;
  /** A custom domain the stack serves the API on (docs/deploy.md "Frontend integration: sign-in and the custom domain"); sets publicBaseUrl. */
  customDomain?: CustomDomainSettings;
  /** Who may link an organization's installation (docs/how-it-works.md "Who may link"); owners unless widened. */
  linkPolicy?: 'org-owners' | 'org-members';
  logRetentionDays?: RetentionDays;
  /** How often failed webhook deliveries are redelivered (docs/how-it-works.md "Automatic redelivery"); default 10. */
  redeliveryIntervalMinutes?: number;
  /** How often every installation's repositories are reconciled (docs/repository-index.md); default 60. */
  repositorySyncIntervalMinutes?: number;
  /**
   * Secrets a previous deployment left behind (they are retained), adopted by ARN or name instead of
   * creating new ones, so a recreated stack still reads every stored token and session (README).
   */
  existingSecrets?: ExistingSecrets;
  /** X-Ray active tracing on every function; on unless false (`-c tracing=false`). */
  tracing?: boolean;
  /** `-c alarmEmail=…`: an address subscribed to the alarm topic. */
  alarmEmail?: string;
  /** `-c appKeySigning=kms [-c appKeyArn=…]`: the App's private key in KMS (lib/app-key-signing.ts). */
  appKeySigning?: AppKeySigningSettings;
};

export type ExistingSecrets = { app?: string; webhook?: string; serviceKeys?: string };

/** A secret adopted by complete ARN (with its 6-character suffix), partial ARN or name. */
function adoptSecret(scope: Construct, id: string, ref: string): ISecret {
  if (!ref.startsWith('arn:')) return Secret.fromSecretNameV2(scope, id, ref);
  return /-[A-Za-z0-9]{6}$/.test(ref)
    ? Secret.fromSecretCompleteArn(scope, id, ref)
    : Secret.fromSecretPartialArn(scope, id, ref);
}

/**
 * The item-level table statement for one function (lib/function-grants.ts): its actions on the table and
 * GSI1, only on items whose partition key (or, for a GSI1 query, GSI1 partition key) starts with one of
 * its prefixes.
 */
export function tableStatement(table: Table, spec: FunctionSpec): PolicyStatement {
  const grant = grantsOf(spec).table;
  if (!grant) throw new Error(`${spec.entry}: no table access`);
  return new PolicyStatement({
    actions: [...grant.actions],
    resources: [table.tableArn, `${table.tableArn}/index/*`],
    conditions: {
      // Every key in the request must match; Scan (no key) is not among the actions.
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...grant.leadingKeys] },
    },
  });
}

export class GitHubAppStack extends Stack {
  readonly table: Table;
  readonly api: HttpApi;
  readonly functions: Record<ServiceFunctionName, ServiceFunction>;
  readonly observability: Observability;
  readonly console: ConsoleHosting;

  constructor(scope: Construct, id: string, props: GitHubAppStackProps) {
    super(scope, id, props);
    if (props.frontendOrigins.length === 0) throw new Error('frontendOrigins must name at least one origin');
    const logRetention = props.logRetentionDays ?? RetentionDays.ONE_MONTH;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_DEFINITION.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_DEFINITION.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_DEFINITION.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      // Accounts, links and users outlive any one deployment of the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const gsi of TABLE_DEFINITION.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.indexName,
        partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
        sortKey: { name: gsi.sortKey, type: AttributeType.STRING },
      });
    }

    // The secrets outlive the stack like the table (RETAIN): the table's tokens are sealed with the key
    // material and its sessions hashed with it, so a recreated stack that adopts the retained secrets
    // (`-c existingAppSecret=… existingWebhookSecret=… existingServiceKeysSecret=…`) reads them all.
    const existing = props.existingSecrets ?? {};
    // The operator fills in the App's credentials after deploy (docs/deploy.md "5. Fill the secrets").
    // Its generation settings must never change: CloudFormation would generate a new value and wipe the
    // credentials an operator filled in. Its generated `webhookSecret` only seeds the webhook secret below.
    const appSecret = existing.app
      ? adoptSecret(this, 'GitHubAppSecret', existing.app)
      : new Secret(this, 'GitHubAppSecret', {
          description: `GitHub App credentials: ${Object.keys(appSecretTemplate(props.appKeySigning)).join(', ')}, webhookSecret`,
          generateSecretString: {
            secretStringTemplate: JSON.stringify(appSecretTemplate(props.appKeySigning)),
            generateStringKey: 'webhookSecret',
            passwordLength: 40,
            excludePunctuation: true,
          },
          removalPolicy: RemovalPolicy.RETAIN,
        });
    // Apart from the App secret so the public webhook function can read it and nothing else of the App.
    // Created (once) with the App secret's `webhookSecret` through a CloudFormation dynamic reference: on a
    // new stack that is the generated value, and a stack upgraded from the single App secret keeps the
    // value GitHub already signs with, so no delivery is refused. Later changes are made here only
    // (docs/deploy.md "5. Fill the secrets"); `previousWebhookSecret` is added while rotating.
    const webhookSecret = existing.webhook
      ? adoptSecret(this, 'WebhookSecret', existing.webhook)
      : new Secret(this, 'WebhookSecret', {
          description: 'GitHub App webhook secret: webhookSecret (and previousWebhookSecret while rotating)',
          secretObjectValue: {
            webhookSecret: SecretValue.secretsManager(existing.app ?? appSecret.secretArn, {
              jsonField: 'webhookSecret',
            }),
          },
          removalPolicy: RemovalPolicy.RETAIN,
        });
    const keysSecret = existing.serviceKeys
      ? adoptSecret(this, 'ServiceKeysSecret', existing.serviceKeys)
      : new Secret(this, 'ServiceKeysSecret', {
          description: 'Key material for token encryption and session hashing (generated; never leaves AWS)',
          generateSecretString: {
            secretStringTemplate: '{}',
            generateStringKey: 'keyMaterial',
            passwordLength: 64,
            excludePunctuation: true,
          },
          removalPolicy: RemovalPolicy.RETAIN,
        });

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new HttpApi(this, 'HttpApi', {
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
    const stage = new HttpStage(this, 'DefaultStage', {
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

    // `-c distributionCertificateArn`: the custom domain is the console's distribution, not API Gateway's.
    const domainOnDistribution = props.customDomain?.servedBy === 'cloudfront';
    if (props.customDomain && !domainOnDistribution)
      new ApiDomain(this, 'ApiDomain', { ...props.customDomain, api: this.api, stage });
    // The console and the API on one CloudFront distribution (docs/console.md): by default (or on its
    // custom domain) it is the API's public URL too, so sign-in's callback sets the session cookie on
    // the console's own origin.
    this.console = new ConsoleHosting(this, 'Console', {
      api: this.api,
      domain: domainOnDistribution ? props.customDomain : undefined,
    });
    const baseUrl = (props.publicBaseUrl ?? this.console.origin).replace(/\/+$/, '');
    // Same-origin, the console needs no CORS (nor could the API's CORS name the distribution that
    // fronts it: a cycle); it is a frontend origin for returnTo, the default one when it is the API's.
    const consoleIsApiOrigin = props.publicBaseUrl === undefined || domainOnDistribution;
    const frontendOrigins = [
      ...new Set(
        consoleIsApiOrigin
          ? [this.console.origin, ...props.frontendOrigins]
          : [...props.frontendOrigins, this.console.origin],
      ),
    ];
    const commonEnvironment = {
      API_BASE_URL: baseUrl,
      FRONTEND_ORIGINS: frontendOrigins.join(','),
      GITHUB_API_URL: props.githubApiUrl ?? 'https://api.github.com',
      GITHUB_WEB_URL: props.githubWebUrl ?? 'https://github.com',
      LINK_POLICY: props.linkPolicy ?? 'org-owners',
    };

    const functions = {} as Record<ServiceFunctionName, ServiceFunction>;
    for (const [name, spec] of Object.entries(SERVICE_FUNCTIONS) as [
      ServiceFunctionName,
      typeof SERVICE_FUNCTIONS.health,
    ][]) {
      const environment: Record<string, string> = { ...commonEnvironment };
      if (spec.access.table) environment.TABLE_NAME = this.table.tableName;
      if (spec.access.githubAppSecret) environment.GITHUB_APP_SECRET_ARN = appSecret.secretArn;
      if (spec.access.webhookSecret) environment.WEBHOOK_SECRET_ARN = webhookSecret.secretArn;
      if (spec.access.serviceKeys) environment.SERVICE_KEYS_SECRET_ARN = keysSecret.secretArn;
      const fn = new ServiceFunction(this, pascalCase(name), {
        spec,
        environment,
        logRetention,
        tracing: props.tracing,
      });
      // The table is encrypted with an AWS-owned key: no KMS grant is needed beside this statement.
      const grants = grantsOf(spec);
      if (grants.table) fn.fn.addToRolePolicy(tableStatement(this.table, spec));
      const secrets = { githubApp: appSecret, webhook: webhookSecret, serviceKeys: keysSecret };
      for (const secret of grants.secrets) secrets[secret].grantRead(fn.fn);
      functions[name] = fn;
    }
    this.functions = functions;
    if (props.appKeySigning)
      new AppKeySigning(this, 'AppKeySigning', { settings: props.appKeySigning, functions });

    // GitHub does not redeliver failed webhook deliveries: this schedule does (docs/how-it-works.md "Automatic redelivery").
    new Rule(this, 'WebhookRedeliverySchedule', {
      description: 'Redeliver failed GitHub webhook deliveries',
      schedule: Schedule.rate(Duration.minutes(props.redeliveryIntervalMinutes ?? 10)),
      // A failed run is not retried by EventBridge: the next run reads the same attempts again.
      targets: [new LambdaFunction(functions['webhook-redelivery'].fn, { retryAttempts: 0 })],
    });

    // The reconciler: asked for by the webhook and the link (asynchronous invocations), and scheduled
    // for every installation (docs/repository-index.md "Reconciler").
    const repositorySync = functions['repository-sync'].fn;
    for (const name of REQUESTS_REPOSITORY_SYNC) {
      functions[name].fn.addEnvironment('REPOSITORY_SYNC_FUNCTION', repositorySync.functionName);
      // The function itself, no `:*` (versions, aliases): none are published.
      functions[name].fn.addToRolePolicy(
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [repositorySync.functionArn] }),
      );
    }
    // Its schedule fans out (and a run out of time continues) by invoking itself, by the name Lambda gives
    // it at run time: a policy of its own, which the function does not depend on (no cycle).
    new Policy(this, 'RepositorySyncInvokesItself', {
      roles: repositorySync.role ? [repositorySync.role] : [],
      statements: [
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [repositorySync.functionArn] }),
      ],
    });
    new Rule(this, 'RepositorySyncSchedule', {
      description: 'Reconcile the repository index of every installation with GitHub',
      schedule: Schedule.rate(
        Duration.minutes(props.repositorySyncIntervalMinutes ?? REPOSITORY_SYNC_DEFAULT_MINUTES),
      ),
      // A failed fan-out is not retried: the next run requests every installation again.
      targets: [new LambdaFunction(repositorySync, { retryAttempts: 0 })],
    });

    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const cfnStage = stage.node.defaultChild as CfnStage;
    // RouteSettings is free-form JSON to CloudFormation: keys are written as CloudFormation spells them.
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
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

    new CfnOutput(this, 'ApiUrl', { value: baseUrl, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'OAuthCallbackUrl', {
      value: `${baseUrl}${PUBLIC_PATHS.oauthCallback}`,
      description: 'GitHub App setting "Callback URL"',
    });
    new CfnOutput(this, 'SetupUrl', {
      value: `${baseUrl}${PUBLIC_PATHS.setup}`,
      description: 'GitHub App setting "Setup URL" (redirect on update)',
    });
    new CfnOutput(this, 'WebhookUrl', {
      value: `${baseUrl}${PUBLIC_PATHS.webhook}`,
      description: 'GitHub App setting "Webhook URL"',
    });
    new CfnOutput(this, 'GitHubAppSecretArn', {
      value: appSecret.secretArn,
      description: 'Fill with the App credentials (README)',
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      value: webhookSecret.secretArn,
      description: 'The webhook secret to give GitHub (README)',
    });
    new CfnOutput(this, 'ConsoleUrl', {
      value: `${this.console.origin}/console/`,
      description: 'The web console (same origin as the API unless a custom domain serves the API)',
    });
    new CfnOutput(this, 'ServiceKeysSecretArn', { value: keysSecret.secretArn });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });

    this.observability = new Observability(this, 'Observability', {
      api: this.api,
      table: this.table,
      functions,
      alarmEmail: props.alarmEmail,
    });

    this.suppressReviewedFindings(appSecret, webhookSecret, keysSecret);
    this.console.acknowledgeFindings();
  }

  /** Each cdk-nag finding that is accepted, with the reason it is acceptable for this service. */
  private suppressReviewedFindings(...secrets: ISecret[]): void {
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Authorization is the service itself: every route but /health, /auth/login and /auth/callback checks the session and the caller’s account role; webhooks are authenticated by their HMAC signature over the raw body. An API Gateway authorizer cannot check account membership.',
    });
    for (const secret of secrets.filter((candidate) => candidate instanceof Secret)) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The App credentials and webhook secret are set at GitHub and rotated there by the operator (the webhook secret with previousWebhookSecret during the switch); the key material is read through HKDF and rotated by putting a new secret version. No rotation Lambda can change a GitHub App setting.',
      });
    }
    const tableLogicalId = this.getLogicalId(this.table.node.defaultChild as CfnTable);
    for (const fn of Object.values(this.functions)) {
      Validations.of(fn).acknowledge(
        {
          id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
          reason:
            'Table grants include the index ARNs as /index/*: the functions query GSI1 (reverse lookups), the only index the table has; every statement is limited by a dynamodb:LeadingKeys condition.',
        },
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason:
            'AWSLambdaBasicExecutionRole only allows writing the function’s own CloudWatch logs: the least a Lambda needs.',
        },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so the statement CDK adds names "*".',
        },
        {
          id: 'AwsSolutions-L1',
          reason:
            'nodejs22.x is the runtime the project targets (docs/deploy.md); moving to a newer runtime is a tested, deliberate change.',
        },
      );
    }
  }
}
