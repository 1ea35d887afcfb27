import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME, type MetricName } from '../functions/shared/metrics.js';
import {
  FUNCTION_ALARMS,
  pascalCase,
  runbookLink,
  STACK_ALARMS,
  type FunctionAlarm,
  type StackAlarm,
} from './runbook.js';
import type { ServiceFunction } from './service-function.js';
import type { ServiceFunctionName } from '../functions/shared/service-routes.js';

export type ObservabilityProps = {
  api: HttpApi;
  table: Table;
  functions: Record<ServiceFunctionName, ServiceFunction>;
  /** The activity log's on-failure destination (lib/stack/service-functions.ts): any message is alarmed. */
  activityDeadLetters: IQueue;
  /** `-c alarmEmail=…`: subscribed to the alarm topic (it must confirm the subscription). */
  alarmEmail?: string;
  /** Domain event delivery (lib/stack/event-delivery.ts): the pipe's name and its dead-letter queue. */
  events?: { pipeName: string; deadLetterQueue: IQueue };
};

/** The thresholds the alarms use (docs/operations.md#runbook explains each). */
export const ALARM_THRESHOLDS = {
  api5xxPercent: 5,
  apiP99Ms: 5000,
  durationOfTimeoutPercent: 80,
  webhookFailures: 3,
  refreshFailurePercent: 20,
  refreshMinimumAttempts: 5,
  githubRemainingPercent: 10,
  /** Token vending refusals (403) in 5 minutes: a misconfigured back-end, or a role probing for tokens. */
  serviceTokenRefusals: 20,
} as const;

const FIVE_MINUTES = Duration.minutes(5);

/** Operations the service sends to DynamoDB (for the per-operation system-error metrics). */
const TABLE_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
  Operation.DELETE_ITEM,
  Operation.QUERY,
  Operation.BATCH_WRITE_ITEM,
  Operation.TRANSACT_WRITE_ITEMS,
];

/** One of the service's own metrics (functions/shared/metrics.ts), as the alarms and dashboard read it. */
export function serviceMetric(
  name: MetricName,
  options: { dimensions?: Record<string, string>; statistic?: string; period?: Duration } = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE_NAME, ...options.dimensions },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? FIVE_MINUTES,
  });
}

/**
 * What an operator watches: an SNS topic every alarm notifies (with an optional e-mail subscription),
 * one alarm per signal with a fixed AlarmName (`<stack>-<signal>`, each a README runbook heading), and
 * one dashboard with the same signals.
 */
export class Observability extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const prefix = Stack.of(this).stackName;
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `${prefix} alarms`,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and states only, no customer data; an AWS-managed SNS key cannot be used by CloudWatch alarms, and a customer key per stack is not worth its cost here.',
    });

    // Every alarm is a runbook entry (lib/runbook.ts): its description is the entry's summary and link.
    const create = (
      name: string,
      summary: string,
      runbook: string,
      metric: IMetric,
      threshold: number,
      comparison: ComparisonOperator,
    ) => {
      const created = new Alarm(this, name, {
        alarmName: `${prefix}-${name}`,
        alarmDescription: `${summary} Runbook: ${runbook}`,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: comparison,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      this.alarms.push(created);
      return created;
    };
    const alarm = (
      name: StackAlarm,
      metric: IMetric,
      threshold: number,
      comparison = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ) => create(name, STACK_ALARMS[name].summary, runbookLink(name), metric, threshold, comparison);
    const functionAlarm = (
      functionName: string,
      kind: FunctionAlarm,
      metric: IMetric,
      threshold: number,
      values: Record<string, string> = {},
    ) =>
      create(
        `${pascalCase(functionName)}-${kind}`,
        Object.entries({ function: functionName, ...values }).reduce(
          (text, [key, value]) => text.replaceAll(`{${key}}`, value),
          FUNCTION_ALARMS[kind].summary,
        ),
        runbookLink(kind),
        metric,
        threshold,
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      );

    // API: the 5xx share of requests, and p99 latency.
    const { api } = props;
    const api5xxRate = new MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: {
        errors: api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
        requests: api.metricCount({ period: FIVE_MINUTES, statistic: 'Sum' }),
      },
      label: 'API 5xx %',
      period: FIVE_MINUTES,
    });
    alarm('Api5xxRate', api5xxRate, ALARM_THRESHOLDS.api5xxPercent);
    const apiP99 = api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' });
    alarm('ApiLatencyP99', apiP99, ALARM_THRESHOLDS.apiP99Ms);

    // Each function: errors, throttles, and a duration close to its timeout.
    for (const [name, service] of Object.entries(props.functions)) {
      const fn = service.fn;
      const timeoutMs = (fn.timeout ?? Duration.seconds(3)).toMilliseconds();
      functionAlarm(name, 'Errors', fn.metricErrors({ period: FIVE_MINUTES }), 1);
      functionAlarm(name, 'Throttles', fn.metricThrottles({ period: FIVE_MINUTES }), 1);
      functionAlarm(
        name,
        'DurationNearTimeout',
        fn.metricDuration({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        Math.floor((timeoutMs * ALARM_THRESHOLDS.durationOfTimeoutPercent) / 100),
        { timeout: String(timeoutMs / 1000) },
      );
    }

    // DynamoDB: throttled requests (on-demand tables throttle too) and DynamoDB's own errors.
    const { table } = props;
    const tableThrottles = new MathExpression({
      expression: 'reads + writes',
      usingMetrics: {
        reads: table.metric('ReadThrottleEvents', { period: FIVE_MINUTES, statistic: 'Sum' }),
        writes: table.metric('WriteThrottleEvents', { period: FIVE_MINUTES, statistic: 'Sum' }),
      },
      label: 'DynamoDB throttle events',
      period: FIVE_MINUTES,
    });
    alarm('DynamoDbThrottles', tableThrottles, 1);
    const tableErrors = table.metricSystemErrorsForOperations({
      operations: TABLE_OPERATIONS,
      period: FIVE_MINUTES,
    });
    alarm('DynamoDbSystemErrors', tableErrors, 1);

    // Webhooks: deliveries that failed (not invalid signatures), and redelivery runs that failed.
    const webhookFailed = serviceMetric(METRIC.webhookDeliveries, { dimensions: { outcome: 'failed' } });
    alarm('WebhookDeliveriesFailed', webhookFailed, ALARM_THRESHOLDS.webhookFailures);
    const redeliveryFailed = serviceMetric(METRIC.redeliveryRunFailures, { period: Duration.hours(1) });
    alarm('WebhookRedeliveryFailed', redeliveryFailed, 1);
    // The reconciler: a run that threw (not one that checkpointed for time or budget, which is normal).
    const repositorySyncFailed = serviceMetric(METRIC.repositorySyncFailures, { period: Duration.hours(1) });
    alarm('RepositorySyncFailed', repositorySyncFailed, 1);
    // Asynchronous requests Lambda gave up on (retries exhausted, or too old): the schedule makes them
    // good, but an operator should know that the index or an installation's details waited for it.
    const reconciler = props.functions['repository-sync'].fn;
    const dropped = reconciler.metric('AsyncEventsDropped', { period: FIVE_MINUTES, statistic: 'Sum' });
    alarm('RepositorySyncEventsDropped', dropped, 1);

    // Domain events (docs/events.md): the pipe's own failures (retried, then dead-lettered), and the
    // dead-letter queue holding any event that did not reach the bus.
    if (props.events) {
      const pipeMetric = (metricName: string) =>
        new Metric({
          namespace: 'AWS/EventBridge/Pipes',
          metricName,
          dimensionsMap: { PipeName: props.events?.pipeName ?? '' },
          statistic: 'Sum',
          period: FIVE_MINUTES,
        });
      const pipeFailures = new MathExpression({
        expression: 'failed + partial + timeout',
        usingMetrics: {
          failed: pipeMetric('ExecutionFailed'),
          partial: pipeMetric('ExecutionPartiallyFailed'),
          timeout: pipeMetric('ExecutionTimeout'),
        },
        label: 'Event pipe failed executions',
        period: FIVE_MINUTES,
      });
      alarm('EventDeliveryFailed', pipeFailures, 1);
      const deadLetters = props.events.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: FIVE_MINUTES,
        statistic: 'Maximum',
      });
      alarm('EventDeadLetters', deadLetters, 1);
    }
    // The activity log: stream batches it failed through every retry (those events are missing from it).
    const activityFailed = props.activityDeadLetters.metricApproximateNumberOfMessagesVisible({
      period: FIVE_MINUTES,
      statistic: 'Maximum',
    });
    alarm('ActivityLogFailedBatches', activityFailed, 1);

    // User-token refreshes failing above a share of attempts (with a minimum of attempts).
    const refreshFailureRate = new MathExpression({
      expression: `IF(ok + failed >= ${ALARM_THRESHOLDS.refreshMinimumAttempts}, 100 * failed / (ok + failed), 0)`,
      usingMetrics: {
        ok: serviceMetric(METRIC.tokenRefreshes, { period: Duration.minutes(15) }),
        failed: serviceMetric(METRIC.tokenRefreshFailures, { period: Duration.minutes(15) }),
      },
      label: 'Token refresh failure %',
      period: Duration.minutes(15),
    });
    alarm('TokenRefreshFailureRate', refreshFailureRate, ALARM_THRESHOLDS.refreshFailurePercent);

    // GitHub rate limiting: throttled answers, and the lowest share of the limit left.
    const rateLimited = serviceMetric(METRIC.githubRateLimited);
    alarm('GitHubRateLimited', rateLimited, 1);
    const remaining = serviceMetric(METRIC.githubRateLimitRemainingPercent, { statistic: 'Minimum' });
    alarm(
      'GitHubRateLimitLow',
      remaining,
      ALARM_THRESHOLDS.githubRemainingPercent,
      ComparisonOperator.LESS_THAN_THRESHOLD,
    );

    // Token vending (docs/token-vending.md): a spike of refusals is a broken deploy of a back-end or a
    // role asking for what it was never granted.
    alarm(
      'ServiceTokenRefusals',
      serviceMetric(METRIC.serviceTokensRefused),
      ALARM_THRESHOLDS.serviceTokenRefusals,
    );

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
    });
    const fnMetrics = (pick: (service: ServiceFunction) => IMetric) =>
      Object.values(props.functions).map(pick);
    const byDimension = (name: MetricName, key: string, values: string[]) =>
      values.map((value) => serviceMetric(name, { dimensions: { [key]: value } }).with({ label: value }));
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 8, height: 6 });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${prefix}\nAlarms notify the SNS topic; each has a runbook entry in docs/operations.md#runbook.`,
        width: 24,
        height: 2,
      }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 6 }),
      graph('API requests and 5xx %', [api.metricCount({ period: FIVE_MINUTES })], [api5xxRate]),
      graph('API latency p50 / p99', [api.metricLatency({ statistic: 'p50' }), apiP99]),
      graph('DynamoDB throttles and system errors', [tableThrottles, tableErrors]),
      graph(
        'Function errors',
        fnMetrics((s) => s.fn.metricErrors({ period: FIVE_MINUTES })),
      ),
      graph(
        'Function throttles',
        fnMetrics((s) => s.fn.metricThrottles({ period: FIVE_MINUTES })),
      ),
      graph(
        'Function max duration',
        fnMetrics((s) => s.fn.metricDuration({ statistic: 'Maximum' })),
      ),
      graph(
        'Webhook deliveries by outcome',
        byDimension(METRIC.webhookDeliveries, 'outcome', [
          'applied',
          'ignored',
          'duplicate',
          'failed',
          'invalid',
        ]),
        [
          serviceMetric(METRIC.webhookInvalidSignatures),
          serviceMetric(METRIC.redeliveries),
          redeliveryFailed,
        ],
      ),
      graph(
        'Repository sync runs by outcome',
        byDimension(METRIC.repositorySyncRuns, 'reason', [
          'completed',
          'checkpointed',
          'deferred',
          'busy',
          'suspended',
          'unavailable',
        ]),
        [repositorySyncFailed],
      ),
      graph(
        'Token refreshes',
        [serviceMetric(METRIC.tokenRefreshes), serviceMetric(METRIC.tokenRefreshFailures)],
        [serviceMetric(METRIC.reauthorizationRequired), refreshFailureRate],
      ),
      graph(
        'Refresh failures by reason',
        byDimension(METRIC.tokenRefreshFailures, 'reason', [
          'refused',
          'rate_limited',
          'github_error',
          'not_sent',
          'timed_out',
          'lost',
          'error',
        ]),
      ),
      graph(
        'GitHub answers by status class',
        byDimension(METRIC.githubAnswers, 'statusClass', ['2xx', '3xx', '4xx', '5xx']),
        [rateLimited],
      ),
      graph('GitHub rate limit left (lowest %)', [remaining]),
      graph('Activity', [
        serviceMetric(METRIC.signIns),
        serviceMetric(METRIC.installationLinks),
        serviceMetric(METRIC.installationUnlinks),
        serviceMetric(METRIC.repositoriesCreated),
        serviceMetric(METRIC.commits),
        serviceMetric(METRIC.commitsHeadMoved),
      ]),
      graph(
        'Installation tokens and DynamoDB conflicts',
        [serviceMetric(METRIC.installationTokenMints), serviceMetric(METRIC.installationTokenCacheHits)],
        [serviceMetric(METRIC.conditionalCheckConflicts)],
      ),
      // No alarm: a refusal is the limit working (docs/security.md "Abuse limits").
      graph(
        'Abuse-limit refusals by limit',
        byDimension(METRIC.abuseLimitRefusals, 'reason', [
          'accounts_per_hour',
          'invitations_per_hour',
          'pending_invitations',
          'sign_ins_per_minute',
          'service_tokens_per_minute',
        ]),
      ),
      graph(
        'Service tokens vended / refused',
        [serviceMetric(METRIC.serviceTokensVended), serviceMetric(METRIC.serviceTokensRefused)],
        byDimension(METRIC.serviceTokensRefused, 'reason', [
          'service_access_denied',
          'outside_service_access_policy',
          'repository_not_in_scope',
          'insufficient_installation_permissions',
        ]),
      ),
    );
  }
}
