import { readdirSync, readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/create-app.js';
import { OUTBOX_INSERT_PATTERN, PIPE_RETRY_ATTEMPTS } from '../../lib/stack/event-delivery.js';

/**
 * The outbox's way out in AWS (docs/events.md "In AWS"): the table's stream → an EventBridge Pipe
 * (outbox INSERTs only, enriched to plain JSON) → the bus; a dead-letter queue, alarms, and the Schema
 * Registry with every published schema. Read from the synthesized template.
 */
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};
const base = {
  ...cdkJson.context,
  'aws:cdk:bundling-stacks': [],
  frontendOrigins: ['https://app.example.com'],
};
const synth = (context: Record<string, unknown> = {}) => {
  const { stack } = createApp({ context: { ...base, ...context } });
  return { stack, template: Template.fromStack(stack) };
};
const { stack, template } = synth();
const json = template.toJSON() as {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};

type Resource = { Type: string; Properties: Record<string, unknown> };
const ofType = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, Resource][];
const only = (t: Template, type: string): [string, Resource] => {
  const found = ofType(t, type);
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
};
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

const [, pipe] = only(template, 'AWS::Pipes::Pipe');
const pipeProps = pipe.Properties as {
  Source: unknown;
  RoleArn: unknown;
  Enrichment: unknown;
  Target: unknown;
  SourceParameters: {
    FilterCriteria: { Filters: Array<{ Pattern: string }> };
    DynamoDBStreamParameters: Record<string, unknown>;
  };
  TargetParameters: { InputTemplate: string; EventBridgeEventBusParameters: Record<string, unknown> };
};
const TABLE = logicalId(stack.table);
const [busId] = only(template, 'AWS::Events::EventBus');
// The pipe's dead-letter queue (the activity log has its own: test/infra/activity-log.test.ts).
const pipeQueues = ofType(template, 'AWS::SQS::Queue').filter(([id]) => id.startsWith('EventsDeadLetters'));
if (pipeQueues.length !== 1)
  throw new Error(`expected one EventsDeadLetters queue, found ${pipeQueues.length}`);
const [queueId, queue] = pipeQueues[0] as [string, Resource];

describe('event delivery in the synthesized stack', () => {
  it('gives the table a stream of new images, and the pipe reads it from the oldest record', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
    expect(pipeProps.Source).toEqual({ 'Fn::GetAtt': [TABLE, 'StreamArn'] });
    expect(pipeProps.SourceParameters.DynamoDBStreamParameters).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      ParallelizationFactor: 1,
      MaximumRetryAttempts: PIPE_RETRY_ATTEMPTS,
      OnPartialBatchItemFailure: 'AUTOMATIC_BISECT',
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    });
  });

  it('filters the stream to INSERTs of outbox items (PK begins with EVENT#)', () => {
    const filters = pipeProps.SourceParameters.FilterCriteria.Filters.map(
      (filter) => JSON.parse(filter.Pattern) as unknown,
    );
    expect(filters).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { PK: { S: [{ prefix: 'EVENT#' }] } } } },
    ]);
    expect(filters[0]).toEqual(OUTBOX_INSERT_PATTERN);
  });

  it('targets the bus with detail-type, source and time, the enrichment’s plain detail as the detail', () => {
    expect(pipeProps.Target).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    expect(JSON.stringify(pipeProps.Enrichment)).toContain('EventsEnrichmentFunction');
    expect(pipeProps.TargetParameters).toEqual({
      InputTemplate: '<$.detail>',
      EventBridgeEventBusParameters: {
        Source: 'github-app-accounts',
        DetailType: '$.detailType',
        Time: '$.time',
      },
    });
  });

  it('dead-letters to an encrypted queue that only takes TLS', () => {
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = ofType(template, 'AWS::SQS::QueuePolicy').filter(([, policy]) =>
      JSON.stringify(policy.Properties.Queues).includes(queueId),
    );
    expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
    expect(JSON.stringify(policies)).toContain('"Effect":"Deny"');
  });

  it('gives the pipe role only the stream, the enrichment, the bus and the dead-letter queue', () => {
    const roleId = (pipeProps.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const role = json.Resources[roleId] as Resource;
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('pipes.amazonaws.com');
    const statements = (
      role.Properties.Policies as Array<{ PolicyDocument: { Statement: Array<Record<string, unknown>> } }>
    ).flatMap((policy) => policy.PolicyDocument.Statement);
    const attachedElsewhere = ofType(template, 'AWS::IAM::Policy').filter(([, policy]) =>
      JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`),
    );
    expect(attachedElsewhere).toEqual([]);
    expect(statements.map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      {
        Action: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        Resource: { 'Fn::GetAtt': [TABLE, 'StreamArn'] },
      },
      { Action: 'lambda:InvokeFunction', Resource: pipeProps.Enrichment },
      { Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } },
      { Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    ]);
    for (const statement of statements) expect(statement.Effect).toBe('Allow');
  });

  it('alarms on the pipe’s own failure metrics and on the dead-letter queue’s depth', () => {
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    const failed = alarms.find((alarm) => alarm.AlarmName === 'GitHubAppAccounts-EventDeliveryFailed');
    const metrics = (failed?.Metrics as Array<{ MetricStat?: { Metric: Record<string, unknown> } }>).flatMap(
      (metric) => (metric.MetricStat ? [metric.MetricStat.Metric] : []),
    );
    expect(metrics.map((metric) => [metric.Namespace, metric.MetricName]).sort()).toEqual([
      ['AWS/EventBridge/Pipes', 'ExecutionFailed'],
      ['AWS/EventBridge/Pipes', 'ExecutionPartiallyFailed'],
      ['AWS/EventBridge/Pipes', 'ExecutionTimeout'],
    ]);
    for (const metric of metrics)
      expect(metric.Dimensions).toEqual([
        { Name: 'PipeName', Value: { Ref: only(template, 'AWS::Pipes::Pipe')[0] } },
      ]);
    const deadLetters = alarms.find((alarm) => alarm.AlarmName === 'GitHubAppAccounts-EventDeadLetters');
    expect(deadLetters).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
    });
  });

  it('publishes every schema of events/schemas/ to the registry, as draft 4, content from the file', () => {
    const [registryId] = only(template, 'AWS::EventSchemas::Registry');
    const files = readdirSync(new URL('../../events/schemas/', import.meta.url)).filter((f) =>
      f.endsWith('.json'),
    );
    expect(files.length).toBeGreaterThanOrEqual(20);
    const schemas = ofType(template, 'AWS::EventSchemas::Schema').map(([, schema]) => schema.Properties);
    expect(schemas.map((schema) => schema.SchemaName).sort()).toEqual(
      files.map((file) => `github-app-accounts@${file.replace(/\.json$/, '')}`).sort(),
    );
    for (const file of files) {
      const schema = schemas.find(
        (s) => s.SchemaName === `github-app-accounts@${file.replace(/\.json$/, '')}`,
      );
      expect(schema).toMatchObject({
        Type: 'JSONSchemaDraft4',
        RegistryName: { 'Fn::GetAtt': [registryId, 'RegistryName'] },
        Content: readFileSync(new URL(`../../events/schemas/${file}`, import.meta.url), 'utf8'),
      });
    }
  });

  it('publishes to an existing bus with -c eventBusName, creating none', () => {
    const { template: adopted } = synth({ eventBusName: 'platform-events' });
    expect(ofType(adopted, 'AWS::Events::EventBus')).toHaveLength(0);
    const [, adoptedPipe] = only(adopted, 'AWS::Pipes::Pipe');
    const target = JSON.stringify(adoptedPipe.Properties.Target);
    expect(target).toContain(':event-bus/platform-events');
    expect(JSON.stringify(adopted.toJSON())).toContain(':event-bus/platform-events');
    expect(() => synth({ eventBusName: 'not a bus name!' })).toThrow(/eventBusName/);
  });
});
