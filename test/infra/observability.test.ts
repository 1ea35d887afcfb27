import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/create-app.js';
import { headingAnchor } from '../../lib/runbook.js';
import { SERVICE_FUNCTIONS } from '../../functions/shared/service-routes.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/shared/metrics.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};
// The runbook (generated from lib/runbook.ts by npm run docs).
const runbook = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

// Skip esbuild bundling: these tests are about the template, not the bundles.
const base = {
  ...cdkJson.context,
  'aws:cdk:bundling-stacks': [],
  frontendOrigins: ['https://app.example.com'],
};
const synth = (context: Record<string, unknown> = {}) =>
  Template.fromStack(createApp({ context: { ...base, ...context } }).stack);
const template = synth({ alarmEmail: 'ops@example.com' });

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = (t: Template, type: string) =>
  Object.entries(t.findResources(type)) as [string, Resource][];

const pascal = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase());
const EXPECTED_ALARMS = [
  'Api5xxRate',
  'ApiLatencyP99',
  'DynamoDbThrottles',
  'DynamoDbSystemErrors',
  'WebhookDeliveriesFailed',
  'WebhookRedeliveryFailed',
  'RepositorySyncFailed',
  'RepositorySyncEventsDropped',
  'ActivityLogFailedBatches',
  'TokenRefreshFailureRate',
  'GitHubRateLimited',
  'GitHubRateLimitLow',
  'EventDeliveryFailed',
  'EventDeadLetters',
  'ServiceTokenRefusals',
  ...Object.keys(SERVICE_FUNCTIONS).flatMap((fn) =>
    ['Errors', 'Throttles', 'DurationNearTimeout'].map((kind) => `${pascal(fn)}-${kind}`),
  ),
].map((name) => `GitHubAppAccounts-${name}`);

function alarmNamed(name: string): Resource {
  const found = resources(template, 'AWS::CloudWatch::Alarm').find(
    ([, alarm]) => alarm.Properties.AlarmName === `GitHubAppAccounts-${name}`,
  );
  if (!found) throw new Error(`no alarm ${name}`);
  return found[1];
}

/** The custom metrics an alarm reads: name and dimensions, from a plain or a math alarm. */
function serviceMetricsOf(alarm: Resource): Array<{ name: unknown; dimensions: Record<string, unknown> }> {
  const p = alarm.Properties as {
    Namespace?: string;
    MetricName?: string;
    Dimensions?: Array<{ Name: string; Value: unknown }>;
    Metrics?: Array<{
      MetricStat?: {
        Metric: {
          Namespace: string;
          MetricName: string;
          Dimensions?: Array<{ Name: string; Value: unknown }>;
        };
      };
    }>;
  };
  const plain = p.MetricName
    ? [{ Namespace: p.Namespace, MetricName: p.MetricName, Dimensions: p.Dimensions }]
    : [];
  const math = (p.Metrics ?? []).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
  return [...plain, ...math]
    .filter((m) => m.Namespace === METRICS_NAMESPACE)
    .map((m) => ({
      name: m.MetricName,
      dimensions: Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name, d.Value])),
    }));
}

describe('observability in the synthesized stack', () => {
  it('gives every function the metrics namespace and X-Ray active tracing', () => {
    // Not CDK's own BucketDeployment handler (the console's upload); the event pipe's enrichment too.
    const functions = resources(template, 'AWS::Lambda::Function').filter(
      ([id]) => !id.startsWith('CustomCDKBucketDeployment'),
    );
    expect(functions).toHaveLength(Object.keys(SERVICE_FUNCTIONS).length + 1);
    for (const [, fn] of functions) {
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      const env = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
      expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
    }
  });

  it('turns tracing off with -c tracing=false', () => {
    for (const [, fn] of resources(synth({ tracing: 'false' }), 'AWS::Lambda::Function')) {
      expect(fn.Properties.TracingConfig).toBeUndefined();
    }
  });

  it('has exactly the alarms of the runbook, each notifying the alarm topic', () => {
    const alarms = resources(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.map(([, a]) => a.Properties.AlarmName).sort()).toEqual([...EXPECTED_ALARMS].sort());
    const [[topicId]] = resources(template, 'AWS::SNS::Topic') as [[string, Resource]];
    for (const [, alarm] of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it('subscribes -c alarmEmail to the topic, which only takes TLS', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    expect(JSON.stringify(template.findResources('AWS::SNS::TopicPolicy'))).toContain('aws:SecureTransport');
    expect(Object.keys(synth().findResources('AWS::SNS::Subscription'))).toHaveLength(0);
  });

  it('watches the very metrics the code emits, with the same dimensions', () => {
    const service = { service: SERVICE_NAME };
    expect(serviceMetricsOf(alarmNamed('WebhookDeliveriesFailed'))).toEqual([
      { name: METRIC.webhookDeliveries, dimensions: { ...service, outcome: 'failed' } },
    ]);
    expect(serviceMetricsOf(alarmNamed('GitHubRateLimited'))).toEqual([
      { name: METRIC.githubRateLimited, dimensions: service },
    ]);
    expect(serviceMetricsOf(alarmNamed('GitHubRateLimitLow'))).toEqual([
      { name: METRIC.githubRateLimitRemainingPercent, dimensions: service },
    ]);
    expect(alarmNamed('GitHubRateLimitLow').Properties).toMatchObject({
      Statistic: 'Minimum',
      Threshold: 10,
      ComparisonOperator: 'LessThanThreshold',
    });
    expect(serviceMetricsOf(alarmNamed('TokenRefreshFailureRate'))).toEqual(
      expect.arrayContaining([{ name: METRIC.tokenRefreshFailures, dimensions: service }]),
    );
    expect(serviceMetricsOf(alarmNamed('WebhookRedeliveryFailed'))).toEqual([
      { name: METRIC.redeliveryRunFailures, dimensions: service },
    ]);
    // Token vending's refusals, whatever the reason (functions/token-vending/vend-token.ts reportRefusal).
    expect(serviceMetricsOf(alarmNamed('ServiceTokenRefusals'))).toEqual([
      { name: METRIC.serviceTokensRefused, dimensions: service },
    ]);
  });

  it('alarms on a duration at 80 % of each function’s timeout', () => {
    for (const [name, spec] of Object.entries(SERVICE_FUNCTIONS)) {
      const timeoutMs = (spec.timeoutSeconds ?? 15) * 1000;
      expect(alarmNamed(`${pascal(name)}-DurationNearTimeout`).Properties).toMatchObject({
        MetricName: 'Duration',
        Statistic: 'Maximum',
        Threshold: Math.floor(timeoutMs * 0.8),
      });
    }
  });

  it('alarms when Lambda drops an asynchronous request for the reconciler', () => {
    const [[syncId]] = resources(template, 'AWS::Lambda::Function').filter(([id]) =>
      id.startsWith('RepositorySync'),
    ) as [[string, Resource]];
    expect(alarmNamed('RepositorySyncEventsDropped').Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'AsyncEventsDropped',
      Statistic: 'Sum',
      Threshold: 1,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: syncId } }],
    });
  });

  it('has one dashboard showing the same signals', () => {
    const dashboards = resources(template, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.[1].Properties.DashboardBody);
    for (const name of Object.values(METRIC)) expect(body).toContain(name);
    for (const name of [
      '5xx',
      'Latency',
      'Errors',
      'Throttles',
      'Duration',
      'ThrottleEvents',
      'SystemErrors',
    ])
      expect(body).toContain(name);
  });

  it('keeps every log group’s retention explicit', () => {
    for (const [, group] of resources(template, 'AWS::Logs::LogGroup'))
      expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
  });

  it('links every alarm to its runbook entry (docs/operations.md), which is there', () => {
    const anchors = new Set(
      [...runbook.matchAll(/^#{2,6} +(.+?)\s*$/gm)].map((m) => headingAnchor(m[1] ?? '')),
    );
    const alarms = resources(template, 'AWS::CloudWatch::Alarm');
    const unlinked = alarms
      .map(([, alarm]) => ({
        name: String(alarm.Properties.AlarmName),
        link: /Runbook: docs\/operations\.md#([a-z0-9_-]+)$/.exec(String(alarm.Properties.AlarmDescription)),
      }))
      .filter(({ link }) => !link || !anchors.has(link[1] ?? ''))
      .map(({ name }) => name);
    expect(alarms.length).toBe(EXPECTED_ALARMS.length);
    expect(unlinked).toEqual([]);
    // A function's alarms share their kind's entry, named with the function as a parameter.
    expect(String(alarmNamed('RepositorySync-Errors').Properties.AlarmDescription)).toBe(
      'repository-sync threw or timed out. Runbook: docs/operations.md#githubappaccounts-function-errors',
    );
  });
});
