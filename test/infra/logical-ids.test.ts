import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/create-app.js';

/**
 * CloudFormation replaces a resource whose logical ID changes: a new, empty table (the old one orphaned,
 * retained), new secrets (the operator's App credentials left behind), a new API at a new URL. The
 * stack is assembled from parts (lib/stack/) that create their resources in the stack's scope so the
 * IDs stay those of deployed stacks; this pins them. A change here is a migration, never a refactor.
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
const resources = Template.fromStack(stack).toJSON().Resources as Record<
  string,
  { Type: string; DeletionPolicy?: string }
>;

/** Logical ID → type, as deployed stacks have them. */
const DEPLOYED: Readonly<Record<string, string>> = {
  // Stateful and retained: replacing them loses data or the operator's settings.
  TableCD117FA1: 'AWS::DynamoDB::Table',
  GitHubAppSecret545D19D5: 'AWS::SecretsManager::Secret',
  WebhookSecretF21E29CC: 'AWS::SecretsManager::Secret',
  ServiceKeysSecret85AB8FD3: 'AWS::SecretsManager::Secret',
  ConsoleBucket86B6957C: 'AWS::S3::Bucket',
  ConsoleLogs223D8CCD: 'AWS::S3::Bucket',
  // Addressed from outside: the API's URL and the distribution's domain are in GitHub's App settings.
  HttpApiF5A9A8A7: 'AWS::ApiGatewayV2::Api',
  DefaultStageEE28A986: 'AWS::ApiGatewayV2::Stage',
  ConsoleDistribution022D3262: 'AWS::CloudFront::Distribution',
  ApiAccessLogsE9DF007D: 'AWS::Logs::LogGroup',
  // The functions (their names, log groups and alarms follow them).
  HealthFunction64F2C32C: 'AWS::Lambda::Function',
  OauthCallbackFunction13AB71D4: 'AWS::Lambda::Function',
  SessionFunction7C7D2BAB: 'AWS::Lambda::Function',
  AccountsFunction7CFD3FEB: 'AWS::Lambda::Function',
  ListInstallationsFunctionAA5247FD: 'AWS::Lambda::Function',
  LinkInstallationFunctionAA94852F: 'AWS::Lambda::Function',
  CreateRepoFunction72BC5309: 'AWS::Lambda::Function',
  RepositoriesFunction206BCF09: 'AWS::Lambda::Function',
  WebhookFunction6FF7199F: 'AWS::Lambda::Function',
  WebhookRedeliveryFunction029D2480: 'AWS::Lambda::Function',
  RepositorySyncFunction18B1350F: 'AWS::Lambda::Function',
  WebhookRedeliveryScheduleB937DBEC: 'AWS::Events::Rule',
  RepositorySyncSchedule1DCCDD2B: 'AWS::Events::Rule',
  ObservabilityAlarmTopicF724909D: 'AWS::SNS::Topic',
};

describe('logical IDs stay those of deployed stacks', () => {
  it.each(Object.entries(DEPLOYED))('%s is still the %s', (logicalId, type) => {
    expect(resources[logicalId]?.Type).toBe(type);
  });

  it('pins every retained resource: a new one is added here deliberately', () => {
    const retained = Object.entries(resources)
      .filter(([, resource]) => resource.DeletionPolicy === 'Retain')
      .map(([logicalId]) => logicalId)
      // CDK's own bucket-deployment function keeps its log group; its ID is the library's.
      .filter((logicalId) => !logicalId.startsWith('CustomCDKBucketDeployment'))
      .sort();
    expect(retained).toEqual(
      Object.keys(DEPLOYED)
        .filter((logicalId) =>
          ['AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret', 'AWS::S3::Bucket'].includes(
            DEPLOYED[logicalId] ?? '',
          ),
        )
        .sort(),
    );
  });

  it('the stack’s table, API and functions are the pinned resources', () => {
    expect(stack.getLogicalId(stack.table.node.defaultChild as never)).toBe('TableCD117FA1');
    expect(stack.getLogicalId(stack.api.node.defaultChild as never)).toBe('HttpApiF5A9A8A7');
    expect(stack.getLogicalId(stack.functions.health.fn.node.defaultChild as never)).toBe(
      'HealthFunction64F2C32C',
    );
  });
});
