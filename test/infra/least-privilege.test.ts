import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/create-app.js';
import {
  FUNCTION_GRANTS,
  type FunctionGrants,
  type SecretName,
  type TableAction,
} from '../../lib/function-grants.js';
import { SERVICE_FUNCTIONS, type ServiceFunctionName } from '../../functions/shared/service-routes.js';

/**
 * The grants the local server enforces (local/access-guard.ts reads FUNCTION_GRANTS) are the ones the
 * synthesized template gives each role: read back from the template's policies (actions, resources,
 * the LeadingKeys condition, which secrets), never from the data the stack was built from.
 */
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};
const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
const { stack } = createApp({ context: { ...context, frontendOrigins: ['https://app.example.com'] } });
const template = Template.fromStack(stack).toJSON() as {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

const SECRETS: Record<SecretName, string> = {
  githubApp: logicalId(stack.node.findChild('GitHubAppSecret')),
  webhook: logicalId(stack.node.findChild('WebhookSecret')),
  serviceKeys: logicalId(stack.node.findChild('ServiceKeysSecret')),
};
const TABLE = logicalId(stack.table);

function statementsOf(fn: ServiceFunctionName): Statement[] {
  const role = stack.functions[fn].fn.role;
  if (!role) throw new Error(`${fn} has no role`);
  const roleId = logicalId(role);
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** The grants a role's synthesized policies amount to, in FUNCTION_GRANTS' shape. */
function grantsInTemplate(fn: ServiceFunctionName): FunctionGrants {
  const statements = statementsOf(fn);
  for (const statement of statements) expect([fn, statement.Effect]).toEqual([fn, 'Allow']);
  const actions = (statement: Statement) => [statement.Action].flat();
  // CDK merges statements with the same actions: one statement may name several secrets.
  const resources = (statement: Statement) =>
    [statement.Resource].flat().map((resource) => JSON.stringify(resource));
  // The stream read an event source mapping needs (CDK's grantStreamRead): on this table's stream, and
  // ListStreams (which names no resource) on `*`, where CDK merges it with X-Ray's actions.
  const streamArn = JSON.stringify({ 'Fn::GetAtt': [TABLE, 'StreamArn'] });
  const STREAM_READS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];
  const streamReads = statements.filter(
    (statement) =>
      JSON.stringify(statement.Resource) === streamArn &&
      [...actions(statement)].sort().join() === STREAM_READS.join(),
  );
  const listStreams = statements.some(
    (statement) => statement.Resource === '*' && actions(statement).includes('dynamodb:ListStreams'),
  );
  expect([fn, streamReads.length, listStreams]).toEqual(
    streamReads.length === 0 ? [fn, 0, false] : [fn, 1, true],
  );
  const tableStatements = statements.filter(
    (statement) => JSON.stringify(statement.Resource).includes(TABLE) && !streamReads.includes(statement),
  );
  // No DynamoDB or Secrets Manager action anywhere else (another table, a wildcard resource, …).
  for (const statement of statements.filter(
    (candidate) => !tableStatements.includes(candidate) && !streamReads.includes(candidate),
  )) {
    const dynamo = actions(statement).filter(
      (action) =>
        action.startsWith('dynamodb:') && !(action === 'dynamodb:ListStreams' && statement.Resource === '*'),
    );
    expect([fn, dynamo]).toEqual([fn, []]);
    if (actions(statement).some((action) => action.startsWith('secretsmanager:'))) {
      const secretRefs = Object.values(SECRETS).map((id) => JSON.stringify({ Ref: id }));
      const elsewhere = resources(statement).filter((resource) => !secretRefs.includes(resource));
      expect([fn, elsewhere]).toEqual([fn, []]);
    }
  }
  const secrets = (Object.entries(SECRETS) as Array<[SecretName, string]>)
    .filter(([, id]) =>
      statements.some(
        (statement) =>
          actions(statement).includes('secretsmanager:GetSecretValue') &&
          resources(statement).includes(JSON.stringify({ Ref: id })),
      ),
    )
    .map(([name]) => name);
  const tableStream = streamReads.length === 1 ? { tableStream: true as const } : {};
  if (tableStatements.length === 0) return { ...tableStream, secrets };
  expect([fn, tableStatements.length]).toEqual([fn, 1]);
  const [table] = tableStatements;
  // The table and its indexes, nothing else.
  expect([fn, JSON.stringify(table?.Resource)]).toEqual([
    fn,
    JSON.stringify([
      { 'Fn::GetAtt': [TABLE, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [TABLE, 'Arn'] }, '/index/*']] },
    ]),
  ]);
  const condition = table?.Condition as { 'ForAllValues:StringLike'?: { 'dynamodb:LeadingKeys'?: string[] } };
  expect([fn, Object.keys(condition ?? {})]).toEqual([fn, ['ForAllValues:StringLike']]);
  return {
    table: {
      actions: [table?.Action ?? []].flat() as TableAction[],
      leadingKeys: condition['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? [],
    },
    ...tableStream,
    secrets,
  };
}

it.each(Object.keys(SERVICE_FUNCTIONS) as ServiceFunctionName[])(
  '%s: the role the template gives it is what the local server enforces',
  (fn) => {
    const synthesized = grantsInTemplate(fn);
    const enforced = FUNCTION_GRANTS[fn];
    const normal = (grants: FunctionGrants) => ({
      table: grants.table && {
        actions: [...grants.table.actions].sort(),
        leadingKeys: [...grants.table.leadingKeys].sort(),
      },
      tableStream: grants.tableStream ?? false,
      secrets: [...grants.secrets].sort(),
    });
    expect(normal(synthesized)).toEqual(normal(enforced));
  },
);
