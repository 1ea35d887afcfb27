import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ApiDomain, type CustomDomainSettings } from './api-domain.js';
import { AppKeySigning, type AppKeySigningSettings } from './app-key-signing.js';
import { ConsoleHosting } from './console/console-hosting.js';
import { Observability } from './observability.js';
import { EventDelivery } from './stack/event-delivery.js';
import type { ServiceFunction } from './service-function.js';
import { ServiceApi } from './stack/service-api.js';
import { ServiceFunctions } from './stack/service-functions.js';
import { ServiceSecrets, type ExistingSecrets } from './stack/service-secrets.js';
import { ServiceTable } from './stack/service-table.js';
import { abuseLimitEnvironment, type AbuseLimitOverrides } from './abuse-limits.js';
import { PUBLIC_PATHS, type ServiceFunctionName } from '../functions/shared/service-routes.js';

export type { ExistingSecrets } from './stack/service-secrets.js';
export { tableStatement } from './stack/service-table.js';

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
  /** How long each account's activity log keeps an event (docs/events.md "Activity log"); default 90 days. */
  activityRetentionDays?: number;
  /**
   * Secrets a previous deployment left behind (they are retained), adopted by ARN or name instead of
   * creating new ones, so a recreated stack still reads every stored token and session (README).
   */
  existingSecrets?: ExistingSecrets;
  /** X-Ray active tracing on every function; on unless false (`-c tracing=false`). */
  tracing?: boolean;
  /** `-c alarmEmail=…`: an address subscribed to the alarm topic. */
  alarmEmail?: string;
  /** Abuse limits set by context (`-c maxInvitationsPerHour=…`, docs/security.md "Abuse limits"); others keep their defaults. */
  abuseLimits?: AbuseLimitOverrides;
  /** `-c eventBusName=…`: publish domain events to this existing bus (docs/events.md); the stack creates one otherwise. */
  eventBusName?: string;
  /** `-c appKeySigning=kms [-c appKeyArn=…]`: the App's private key in KMS (lib/app-key-signing.ts). */
  appKeySigning?: AppKeySigningSettings;
};

/**
 * The whole service in one stack, assembled from its parts (lib/stack/): the table, the secrets, the
 * API, the functions, the console's hosting and the observability. The parts create their resources in
 * the stack's own scope: a construct in between would be part of every logical ID below it, and
 * CloudFormation would replace the table, the secrets and the API of a deployed stack
 * (docs/architecture.md "The stack's parts"; test/infra/stack.test.ts pins the IDs).
 */
export class GitHubAppStack extends Stack {
  readonly table: Table;
  readonly api: HttpApi;
  readonly functions: Record<ServiceFunctionName, ServiceFunction>;
  readonly observability: Observability;
  readonly console: ConsoleHosting;
  readonly events: EventDelivery;

  constructor(scope: Construct, id: string, props: GitHubAppStackProps) {
    super(scope, id, props);
    if (props.frontendOrigins.length === 0) throw new Error('frontendOrigins must name at least one origin');
    const logRetention = props.logRetentionDays ?? RetentionDays.ONE_MONTH;

    const table = new ServiceTable(this);
    this.table = table.table;
    const secrets = new ServiceSecrets(this, props.existingSecrets, props.appKeySigning);
    const api = new ServiceApi(this, { frontendOrigins: props.frontendOrigins, logRetention });
    this.api = api.api;

    // `-c distributionCertificateArn`: the custom domain is the console's distribution, not API Gateway's.
    const domainOnDistribution = props.customDomain?.servedBy === 'cloudfront';
    if (props.customDomain && !domainOnDistribution)
      new ApiDomain(this, 'ApiDomain', { ...props.customDomain, api: this.api, stage: api.stage });
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

    const functions = new ServiceFunctions(this, {
      table: this.table,
      secrets,
      environment: {
        API_BASE_URL: baseUrl,
        FRONTEND_ORIGINS: frontendOrigins.join(','),
        GITHUB_API_URL: props.githubApiUrl ?? 'https://api.github.com',
        GITHUB_WEB_URL: props.githubWebUrl ?? 'https://github.com',
        LINK_POLICY: props.linkPolicy ?? 'org-owners',
        PLATFORM_AWS_ACCOUNT_ID: this.account,
        ...abuseLimitEnvironment(props.abuseLimits),
      },
      logRetention,
      tracing: props.tracing,
      redeliveryIntervalMinutes: props.redeliveryIntervalMinutes,
      repositorySyncIntervalMinutes: props.repositorySyncIntervalMinutes,
      activityRetentionDays: props.activityRetentionDays,
    });
    this.functions = functions.byName;
    if (props.appKeySigning)
      new AppKeySigning(this, 'AppKeySigning', { settings: props.appKeySigning, functions: this.functions });
    api.addRoutes(this.functions);

    this.addOutputs(baseUrl, secrets);

    // Domain events: the outbox through the table's stream and a Pipe to the bus (docs/events.md).
    this.events = new EventDelivery(this, 'Events', {
      table: this.table,
      eventBusName: props.eventBusName,
      logRetention,
      tracing: props.tracing,
    });

    this.observability = new Observability(this, 'Observability', {
      api: this.api,
      table: this.table,
      functions: this.functions,
      activityDeadLetters: functions.activityDeadLetters,
      alarmEmail: props.alarmEmail,
      events: { pipeName: this.events.pipe.ref, deadLetterQueue: this.events.deadLetterQueue },
    });

    // Each cdk-nag finding that is accepted, with the reason it is acceptable for this service.
    api.acknowledgeFindings();
    secrets.acknowledgeFindings();
    functions.acknowledgeFindings();
    this.console.acknowledgeFindings();
    this.events.acknowledgeFindings();
  }

  /** What an operator copies after deploy: the URLs GitHub's App settings need, and what to fill in. */
  private addOutputs(baseUrl: string, secrets: ServiceSecrets): void {
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
      value: secrets.githubApp.secretArn,
      description: 'Fill with the App credentials (README)',
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      value: secrets.webhook.secretArn,
      description: 'The webhook secret to give GitHub (README)',
    });
    new CfnOutput(this, 'ConsoleUrl', {
      value: `${this.console.origin}/console/`,
      description: 'The web console (same origin as the API unless a custom domain serves the API)',
    });
    new CfnOutput(this, 'ServiceKeysSecretArn', { value: secrets.serviceKeys.secretArn });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
  }
}
