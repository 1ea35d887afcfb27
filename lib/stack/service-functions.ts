import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { CfnTable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { grantsOf } from '../function-grants.js';
import { pascalCase } from '../runbook.js';
import { ServiceFunction } from '../service-function.js';
import type { ServiceSecrets } from './service-secrets.js';
import { tableStatement } from './service-table.js';
import { ACTIVITY_RETENTION_DEFAULT_DAYS } from '../../functions/activity-log/settings.js';
import { OUTBOX_PK_PREFIX } from '../../functions/shared/store/event-outbox.js';
import {
  REPOSITORY_SYNC_DEFAULT_MINUTES,
  REQUESTS_REPOSITORY_SYNC,
  SERVICE_FUNCTIONS,
  type FunctionSpec,
  type ServiceFunctionName,
} from '../../functions/shared/service-routes.js';
import { LAMBDA_FINDINGS } from './lambda-findings.js';

export type ServiceFunctionsProps = {
  table: Table;
  secrets: ServiceSecrets;
  /** What every function is given (base URL, origins, GitHub URLs, link policy). */
  environment: Record<string, string>;
  logRetention: RetentionDays;
  tracing?: boolean;
  redeliveryIntervalMinutes?: number;
  repositorySyncIntervalMinutes?: number;
  /** `-c activityRetentionDays`: how long each account's activity log keeps an event (default 90). */
  activityRetentionDays?: number;
};

/**
 * Every Lambda of SERVICE_FUNCTIONS with its environment and least-privilege grants (table statement,
 * secrets), the schedules of the redelivery and of the reconciler, and who may invoke the reconciler.
 * A part of GitHubAppStack, created in the stack's own scope so the functions keep their logical IDs
 * (docs/architecture.md "The stack's parts").
 */
export class ServiceFunctions {
  readonly byName: Record<ServiceFunctionName, ServiceFunction>;
  /** Where the activity log's stream batches go when their retries are spent (alarmed: observability.ts). */
  readonly activityDeadLetters: Queue;
  private readonly table: Table;

  constructor(stack: Stack, props: ServiceFunctionsProps) {
    this.table = props.table;
    const functions = {} as Record<ServiceFunctionName, ServiceFunction>;
    for (const [name, spec] of Object.entries(SERVICE_FUNCTIONS) as [ServiceFunctionName, FunctionSpec][]) {
      const environment: Record<string, string> = { ...props.environment };
      if (spec.access.table) environment.TABLE_NAME = props.table.tableName;
      Object.assign(environment, props.secrets.environmentFor(spec));
      const fn = new ServiceFunction(stack, pascalCase(name), {
        spec,
        environment,
        logRetention: props.logRetention,
        tracing: props.tracing,
      });
      // The table is encrypted with an AWS-owned key: no KMS grant is needed beside this statement.
      const grants = grantsOf(spec);
      if (grants.table) fn.fn.addToRolePolicy(tableStatement(props.table, spec));
      for (const secret of grants.secrets) props.secrets.byName[secret].grantRead(fn.fn);
      functions[name] = fn;
    }
    this.byName = functions;

    // GitHub does not redeliver failed webhook deliveries: this schedule does (docs/how-it-works.md "Automatic redelivery").
    new Rule(stack, 'WebhookRedeliverySchedule', {
      description: 'Redeliver failed GitHub webhook deliveries',
      schedule: Schedule.rate(Duration.minutes(props.redeliveryIntervalMinutes ?? 10)),
      // A failed run is not retried by EventBridge: the next run reads the same attempts again.
      targets: [new LambdaFunction(functions['webhook-redelivery'].fn, { retryAttempts: 0 })],
    });

    // Dedicated vended tokens are revoked at their policy's lifetime (docs/token-vending.md "Lifetimes"):
    // the token-vending function runs its sweep on this schedule's event, beside its HTTP routes.
    new Rule(stack, 'TokenLifetimeSchedule', {
      description: 'Revoke vended installation tokens whose policy lifetime has run out',
      schedule: Schedule.rate(Duration.minutes(1)),
      // A failed run is not retried: the next minute's run reads the same due items again.
      targets: [new LambdaFunction(functions['token-vending'].fn, { retryAttempts: 0 })],
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
    new Policy(stack, 'RepositorySyncInvokesItself', {
      roles: repositorySync.role ? [repositorySync.role] : [],
      statements: [
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [repositorySync.functionArn] }),
      ],
    });
    new Rule(stack, 'RepositorySyncSchedule', {
      description: 'Reconcile the repository index of every installation with GitHub',
      schedule: Schedule.rate(
        Duration.minutes(props.repositorySyncIntervalMinutes ?? REPOSITORY_SYNC_DEFAULT_MINUTES),
      ),
      // A failed fan-out is not retried: the next run requests every installation again.
      targets: [new LambdaFunction(repositorySync, { retryAttempts: 0 })],
    });

    this.activityDeadLetters = this.feedActivityLog(stack, functions['activity-log'], props);
  }

  /**
   * The activity log's recorder reads the table's stream: only the outbox's INSERTs reach it (the
   * filter is Lambda's, so other records cost no invocation), in batches; a failing batch is halved
   * until the bad record is alone, and the function reports the first record it could not write so
   * only the rest is retried; a batch that still fails after its retries is described on an
   * encrypted, TLS-only queue (its depth is alarmed) rather than lost silently.
   */
  private feedActivityLog(stack: Stack, recorder: ServiceFunction, props: ServiceFunctionsProps): Queue {
    recorder.fn.addEnvironment(
      'ACTIVITY_RETENTION_DAYS',
      String(props.activityRetentionDays ?? ACTIVITY_RETENTION_DEFAULT_DAYS),
    );
    const deadLetters = new Queue(stack, 'ActivityLogDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The stream keeps records 24 h; the outbox items these name, 7 days (event-outbox.ts).
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the activity log’s stream event source: its depth is alarmed and an operator reads it (docs/operations.md); nothing consumes it.',
    });
    // CDK types the rules as `any`.
    const inserts: unknown = FilterRule.isEqual('INSERT');
    const outboxKeys: unknown = FilterRule.beginsWith(OUTBOX_PK_PREFIX);
    recorder.fn.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(deadLetters),
        filters: [
          FilterCriteria.filter({
            eventName: inserts,
            dynamodb: { Keys: { PK: { S: outboxKeys } } },
          }),
        ],
      }),
    );
    return deadLetters;
  }

  /** Each cdk-nag finding accepted for every function, with the reason it is acceptable for this service. */
  acknowledgeFindings(): void {
    const tableLogicalId = Stack.of(this.table).getLogicalId(this.table.node.defaultChild as CfnTable);
    for (const fn of Object.values(this.byName)) {
      Validations.of(fn).acknowledge(
        {
          id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
          reason:
            'Table grants include the index ARNs as /index/*: the functions query GSI1 (reverse lookups), the only index the table has; every statement is limited by a dynamodb:LeadingKeys condition.',
        },
        ...LAMBDA_FINDINGS,
      );
    }
  }
}
