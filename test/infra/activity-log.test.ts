import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/create-app.js';
import { runbookLink } from '../../lib/runbook.js';

/**
 * The activity log's wiring in the synthesized stack (docs/events.md "Activity log"): the table's
 * stream, the recorder's event source mapping (filter, batching, failure handling), its dead-letter
 * queue and the alarm on it, and the retention setting.
 */

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};
const context = {
  ...cdkJson.context,
  'aws:cdk:bundling-stacks': [],
  frontendOrigins: ['https://app.example.com'],
};
const { stack } = createApp({ context });
const template = Template.fromStack(stack);

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = (from: Template, type: string) =>
  Object.entries(from.findResources(type)) as Array<[string, Resource]>;
const tableId = stack.getLogicalId(stack.table.node.defaultChild as never);
const recorderId = stack.getLogicalId(stack.functions['activity-log'].fn.node.defaultChild as never);

/** The activity log's dead-letter queue (the event pipe has its own: test/infra/event-delivery.test.ts). */
const activityQueues = () =>
  resources(template, 'AWS::SQS::Queue').filter(([id]) => id.startsWith('ActivityLogDeadLetters'));

function only<T>(list: T[]): T {
  expect(list).toHaveLength(1);
  return list[0] as T;
}

describe('activity log in the stack', () => {
  it('the table streams new images (the outbox INSERTs carry their event)', () => {
    const [, table] = only(resources(template, 'AWS::DynamoDB::Table'));
    expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });

  it('the recorder reads the stream filtered to outbox INSERTs, in batches, bisecting and reporting failed records, then the queue', () => {
    const [, mapping] = only(resources(template, 'AWS::Lambda::EventSourceMapping'));
    const [queueId] = only(activityQueues());
    expect(mapping.Properties).toMatchObject({
      FunctionName: { Ref: recorderId },
      EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    const filters = (mapping.Properties.FilterCriteria as { Filters: Array<{ Pattern: string }> }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern) as unknown)).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { PK: { S: [{ prefix: 'EVENT#' }] } } } },
    ]);
  });

  it('the dead-letter queue is encrypted and takes TLS only; the recorder may send to it', () => {
    const [queueId, queue] = only(activityQueues());
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const [, policy] = only(
      resources(template, 'AWS::SQS::QueuePolicy').filter(([id]) => id.startsWith('ActivityLogDeadLetters')),
    );
    expect(JSON.stringify(policy.Properties)).toContain('"aws:SecureTransport":"false"');
    const rolePolicies = JSON.stringify(resources(template, 'AWS::IAM::Policy'));
    expect(rolePolicies).toContain(JSON.stringify({ 'Fn::GetAtt': [queueId, 'Arn'] }));
  });

  it('any message on the queue raises ActivityLogFailedBatches, linked to its runbook entry', () => {
    const [queueId] = only(activityQueues());
    const alarm = only(
      resources(template, 'AWS::CloudWatch::Alarm').filter(
        ([, candidate]) => candidate.Properties.AlarmName === 'GitHubAppAccounts-ActivityLogFailedBatches',
      ),
    )[1];
    expect(alarm.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(String(alarm.Properties.AlarmDescription)).toContain(runbookLink('ActivityLogFailedBatches'));
  });

  it('keeps activity 90 days unless -c activityRetentionDays says otherwise; a bad value stops synth', () => {
    const retentionOf = (from: Template) => {
      const [, fn] = only(
        resources(from, 'AWS::Lambda::Function').filter(([, candidate]) =>
          String(candidate.Properties.Description).startsWith("Writes the outbox's events"),
        ),
      );
      return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables
        .ACTIVITY_RETENTION_DAYS;
    };
    expect(retentionOf(template)).toBe('90');
    const custom = createApp({ context: { ...context, activityRetentionDays: '30' } }).stack;
    expect(retentionOf(Template.fromStack(custom))).toBe('30');
    expect(() => createApp({ context: { ...context, activityRetentionDays: '0' } })).toThrow(
      /activityRetentionDays/,
    );
  });
});
