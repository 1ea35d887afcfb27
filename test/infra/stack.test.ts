import { readFileSync } from 'node:fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createApp } from '../../lib/create-app.js';
import { THROTTLES } from '../../lib/route-throttles.js';
import { PROCESSING_LEASE_SECONDS } from '../../functions/shared/store/delivery-store.js';
import {
  DEFAULT_ROUTE,
  ROUTES,
  SERVICE_FUNCTIONS,
  routeKey,
  type ServiceFunctionName as FunctionName,
} from '../../functions/shared/service-routes.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

// Skip esbuild bundling: these tests are about the template, not the bundles.
const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
const { app, stack } = createApp({ context: { ...context, frontendOrigins: ['https://app.example.com'] } });
const template = Template.fromStack(stack);

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = (type: string) => Object.entries(template.findResources(type)) as [string, Resource][];

function logicalIdOf(fn: FunctionName): string {
  return stack.getLogicalId(stack.functions[fn].fn.node.defaultChild as never);
}

/** The policy documents attached to a function's role, as one string to search. */
function policyStatementsOf(fn: FunctionName): string {
  const role = stack.getLogicalId(stack.functions[fn].fn.role?.node.defaultChild as never);
  const policies = resources('AWS::IAM::Policy').filter(([, policy]) =>
    JSON.stringify(policy.Properties.Roles).includes(`"${role}"`),
  );
  return JSON.stringify(policies.map(([, policy]) => policy.Properties.PolicyDocument));
}

describe('GitHubAppStack', () => {
  it('routes every contract route to its function, and nothing else', () => {
    const routes = resources('AWS::ApiGatewayV2::Route')
      .map(([, route]) => route.Properties.RouteKey)
      .sort();
    // Plus `$default`: unmatched requests get the contract's 404/405 from DEFAULT_ROUTE's function.
    expect(routes).toEqual([...ROUTES.map(routeKey), DEFAULT_ROUTE.routeKey].sort());
    const keyed = [
      ...ROUTES.map((route) => ({ key: routeKey(route), fn: route.fn })),
      { key: DEFAULT_ROUTE.routeKey, fn: DEFAULT_ROUTE.fn },
    ];
    for (const route of keyed) {
      const [, routeResource] = resources('AWS::ApiGatewayV2::Route').find(
        ([, r]) => r.Properties.RouteKey === route.key,
      ) ?? [undefined, undefined];
      const target = JSON.stringify(routeResource?.Properties.Target);
      const integrationId = /"([A-Za-z0-9]+Integration[A-Za-z0-9]*)"/.exec(target)?.[1] ?? '';
      const integration = template.toJSON().Resources[integrationId] as Resource;
      expect(JSON.stringify(integration.Properties.IntegrationUri)).toContain(logicalIdOf(route.fn));
    }
  });

  it('authorizes exactly the service routes (token vending) with AWS IAM, every other route by the service', () => {
    const iam = resources('AWS::ApiGatewayV2::Route')
      .filter(([, route]) => route.Properties.AuthorizationType === 'AWS_IAM')
      .map(([, route]) => route.Properties.RouteKey)
      .sort();
    expect(iam).toEqual(['DELETE /service/tokens', 'POST /service/accounts/{accountId}/tokens']);
    expect(
      ROUTES.filter((route) => route.auth === 'iam')
        .map(routeKey)
        .sort(),
    ).toEqual(iam);
    const others = resources('AWS::ApiGatewayV2::Route').filter(
      ([, route]) => !iam.includes(route.Properties.RouteKey as string),
    );
    for (const [, route] of others) expect(route.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
  });

  it('builds every function on Node 22, arm64, from the one helper', () => {
    // Beside CDK's own BucketDeployment handler (the console's upload; test/infra/console-hosting.test.ts);
    // the event pipe's enrichment is one of them (test/infra/event-delivery.test.ts).
    const functions = resources('AWS::Lambda::Function').filter(
      ([id]) => !id.startsWith('CustomCDKBucketDeployment'),
    );
    expect(functions).toHaveLength(Object.keys(SERVICE_FUNCTIONS).length + 1);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
      // Source maps are read offline (npm run symbolicate), not at every cold start.
      expect(fn.Properties).toHaveProperty('Environment.Variables.POWERTOOLS_SERVICE_NAME');
      expect(fn.Properties).not.toHaveProperty('Environment.Variables.NODE_OPTIONS');
    }
  });

  it('tells every function who may link (LINK_POLICY, owners by default)', () => {
    for (const [, fn] of resources('AWS::Lambda::Function').filter(([, f]) =>
      JSON.stringify(f.Properties.Environment).includes('TABLE_NAME'),
    ))
      expect(fn.Properties).toMatchObject({
        Environment: { Variables: expect.objectContaining({ LINK_POLICY: 'org-owners' }) as unknown },
      });
  });

  it('has one table with PK/SK, GSI1, TTL, on-demand billing, PITR, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'GSI1',
            KeySchema: [
              { AttributeName: 'GSI1PK', KeyType: 'HASH' },
              { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
            ],
          }),
        ],
      }),
    });
  });

  it('logs access and allows credentialed CORS for the configured origin only', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: Match.objectLike({ Format: Match.stringLikeRegexp('requestId') }),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['https://app.example.com'],
        AllowCredentials: true,
      }),
    });
  });

  it('grants each function only what it uses', () => {
    const appSecret = stack.getLogicalId(stack.node.findChild('GitHubAppSecret').node.defaultChild as never);
    const webhookSecret = stack.getLogicalId(
      stack.node.findChild('WebhookSecret').node.defaultChild as never,
    );
    const keysSecret = stack.getLogicalId(
      stack.node.findChild('ServiceKeysSecret').node.defaultChild as never,
    );
    const tableId = stack.getLogicalId(stack.table.node.defaultChild as never);
    for (const [name, spec] of Object.entries(SERVICE_FUNCTIONS) as [
      FunctionName,
      (typeof SERVICE_FUNCTIONS)['health'],
    ][]) {
      const statements = policyStatementsOf(name);
      expect([name, statements.includes(tableId)]).toEqual([name, spec.access.table]);
      expect([name, statements.includes(appSecret)]).toEqual([name, spec.access.githubAppSecret]);
      expect([name, statements.includes(webhookSecret)]).toEqual([name, spec.access.webhookSecret]);
      expect([name, statements.includes(keysSecret)]).toEqual([name, spec.access.serviceKeys]);
    }
    // Item-level operations only: no Scan, no table administration; the stream's records only for a
    // function the stream feeds (its event source mapping reads them with its role).
    for (const name of Object.keys(SERVICE_FUNCTIONS) as FunctionName[]) {
      expect([
        name,
        /dynamodb:(Scan|DescribeTable|DeleteTable)/.test(policyStatementsOf(name)),
        /dynamodb:GetRecords/.test(policyStatementsOf(name)),
      ]).toEqual([name, false, SERVICE_FUNCTIONS[name].tableStream === true]);
    }
    // The webhook function deletes cached tokens but can never decrypt one.
    expect(SERVICE_FUNCTIONS.webhook.access.serviceKeys).toBe(false);
    expect(SERVICE_FUNCTIONS.health.access).toEqual({
      table: false,
      githubAppSecret: false,
      webhookSecret: false,
      serviceKeys: false,
    });
  });

  it('lets the public webhook function read the webhook secret and no other secret', () => {
    const webhookSecret = stack.getLogicalId(
      stack.node.findChild('WebhookSecret').node.defaultChild as never,
    );
    const secretsRead = JSON.parse(policyStatementsOf('webhook')) as Array<{
      Statement: Array<{ Action: string | string[]; Resource: unknown }>;
    }>;
    const secretResources = secretsRead
      .flatMap((document) => document.Statement)
      .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('secretsmanager:')))
      .map((statement) => JSON.stringify(statement.Resource));
    expect(secretResources).toEqual([JSON.stringify({ Ref: webhookSecret })]);
    const variables = (template.toJSON().Resources[logicalIdOf('webhook')] as Resource).Properties
      .Environment as { Variables: Record<string, unknown> };
    expect(Object.keys(variables.Variables).filter((name) => name.endsWith('_ARN'))).toEqual([
      'WEBHOOK_SECRET_ARN',
    ]);
  });

  it('limits every table statement to the function’s key prefixes (dynamodb:LeadingKeys)', () => {
    const tableId = stack.getLogicalId(stack.table.node.defaultChild as never);
    for (const [name, spec] of Object.entries(SERVICE_FUNCTIONS) as [
      FunctionName,
      (typeof SERVICE_FUNCTIONS)['health'],
    ][]) {
      if (!spec.access.table) continue;
      const documents = JSON.parse(policyStatementsOf(name)) as Array<{
        Statement: Array<{ Resource: unknown; Condition?: unknown }>;
      }>;
      const tableStatements = documents
        .flatMap((document) => document.Statement)
        .filter((statement) => JSON.stringify(statement.Resource).includes(tableId))
        // The stream read of a function fed by the stream (test/infra/activity-log.test.ts) is apart.
        .filter((statement) => !JSON.stringify(statement.Resource).includes('StreamArn'));
      expect([name, tableStatements.length]).toEqual([name, 1]);
      expect([name, tableStatements[0]?.Condition]).toEqual([
        name,
        {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': (spec.tablePrefixes ?? []).map((prefix) => `${prefix}*`),
          },
        },
      ]);
    }
    // The functions the issue names by name, with the narrowest sets the key design allows.
    expect(SERVICE_FUNCTIONS.session.tablePrefixes).toEqual(['SESSION#', 'USER#']);
    expect(SERVICE_FUNCTIONS['oauth-callback'].tablePrefixes).not.toContain('DELIVERY#');
    expect(SERVICE_FUNCTIONS.webhook.tablePrefixes).not.toContain('STATE#');
  });

  it('declares only prefixes the table’s keys really use', () => {
    const keysSource = readFileSync(new URL('../../functions/shared/store/keys.ts', import.meta.url), 'utf8');
    const used = new Set([...keysSource.matchAll(/(?:PK|GSI1PK): `([A-Z]+#)/g)].map((match) => match[1]));
    for (const [name, spec] of Object.entries(SERVICE_FUNCTIONS)) {
      for (const prefix of spec.tablePrefixes ?? [])
        expect([name, prefix, used.has(prefix)]).toEqual([name, prefix, true]);
    }
  });

  it('serves routes with the HTTP functions only: the scheduled and stream functions have no route', () => {
    const routed = new Set<string>(ROUTES.map((route) => route.fn));
    const scheduled = ['webhook-redelivery', 'repository-sync', 'activity-log'];
    for (const name of scheduled) expect([name, routed.has(name)]).toEqual([name, false]);
    for (const name of Object.keys(SERVICE_FUNCTIONS).filter((fn) => !scheduled.includes(fn)))
      expect([name, routed.has(name)]).toEqual([name, true]);
    const integrations = JSON.stringify(template.findResources('AWS::ApiGatewayV2::Integration'));
    for (const name of scheduled) expect(integrations).not.toContain(logicalIdOf(name as never));
  });

  it('runs the webhook redelivery on an EventBridge schedule, every 10 minutes unless -c redeliveryIntervalMinutes says otherwise', () => {
    const rules = resources('AWS::Events::Rule').filter(([, candidate]) =>
      JSON.stringify(candidate.Properties.Targets).includes(logicalIdOf('webhook-redelivery')),
    );
    expect(rules).toHaveLength(1);
    const [[, rule] = []] = rules;
    expect(rule?.Properties).toMatchObject({ ScheduleExpression: 'rate(10 minutes)', State: 'ENABLED' });
    expect(JSON.stringify(rule?.Properties.Targets)).toContain(logicalIdOf('webhook-redelivery'));
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalIdOf('webhook-redelivery'), 'Arn'] },
    });
    const { stack: every5 } = createApp({
      context: { ...context, frontendOrigins: ['https://app.example.com'], redeliveryIntervalMinutes: 5 },
    });
    Template.fromStack(every5).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
    });
  });

  it('gives the redelivery function the App secret and the delivery records only, no wildcard action', () => {
    const appSecret = stack.getLogicalId(stack.node.findChild('GitHubAppSecret').node.defaultChild as never);
    const documents = JSON.parse(policyStatementsOf('webhook-redelivery')) as Array<{
      Statement: Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>;
    }>;
    const statements = documents.flatMap((document) => document.Statement);
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    const secretResources = statements
      .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('secretsmanager:')))
      .map((statement) => JSON.stringify(statement.Resource));
    expect(secretResources).toEqual([JSON.stringify({ Ref: appSecret })]);
    const tableStatements = statements.filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('dynamodb:')),
    );
    expect(tableStatements.map((statement) => statement.Condition)).toEqual([
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DELIVERY#*'] } },
    ]);
    const variables = (template.toJSON().Resources[logicalIdOf('webhook-redelivery')] as Resource).Properties
      .Environment as { Variables: Record<string, unknown> };
    expect(Object.keys(variables.Variables).filter((name) => name.endsWith('_ARN'))).toEqual([
      'GITHUB_APP_SECRET_ARN',
    ]);
  });

  it('reconciles the repository index on a schedule, hourly unless -c repositorySyncIntervalMinutes says otherwise', () => {
    const rules = resources('AWS::Events::Rule').filter(([, candidate]) =>
      JSON.stringify(candidate.Properties.Targets).includes(logicalIdOf('repository-sync')),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]?.[1].Properties).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalIdOf('repository-sync'), 'Arn'] },
    });
    const { stack: every15 } = createApp({
      context: {
        ...context,
        frontendOrigins: ['https://app.example.com'],
        repositorySyncIntervalMinutes: 15,
      },
    });
    Template.fromStack(every15).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
    });
  });

  it('lets only the webhook and link functions (and the sync itself, to fan out) invoke the repository sync, by its ARN', () => {
    const syncArn = { 'Fn::GetAtt': [logicalIdOf('repository-sync'), 'Arn'] };
    for (const name of Object.keys(SERVICE_FUNCTIONS) as Array<keyof typeof SERVICE_FUNCTIONS>) {
      const documents = JSON.parse(policyStatementsOf(name)) as Array<{
        Statement: Array<{ Action: string | string[]; Resource: unknown }>;
      }>;
      const invokes = documents
        .flatMap((document) => document.Statement)
        .filter((statement) => [statement.Action].flat().includes('lambda:InvokeFunction'));
      const variables = (template.toJSON().Resources[logicalIdOf(name)] as Resource).Properties
        .Environment as { Variables: Record<string, unknown> } | undefined;
      const asks = name === 'webhook' || name === 'link-installation';
      const mayInvoke = asks || name === 'repository-sync';
      expect([name, invokes.map((statement) => statement.Resource)]).toEqual([
        name,
        mayInvoke ? [syncArn] : [],
      ]);
      expect([name, variables?.Variables.REPOSITORY_SYNC_FUNCTION]).toEqual([
        name,
        asks ? { Ref: logicalIdOf('repository-sync') } : undefined,
      ]);
    }
  });

  it('gives the repository sync the App secret, the service keys and its own partitions, no wildcard action', () => {
    const documents = JSON.parse(policyStatementsOf('repository-sync')) as Array<{
      Statement: Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>;
    }>;
    const statements = documents.flatMap((document) => document.Statement);
    expect(
      statements.flatMap((statement) => [statement.Action].flat()).filter((a) => a.includes('*')),
    ).toEqual([]);
    const table = statements.filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('dynamodb:')),
    );
    expect(JSON.stringify(table.map((statement) => statement.Condition))).toContain('REPOSYNC#*');
    const variables = (template.toJSON().Resources[logicalIdOf('repository-sync')] as Resource).Properties
      .Environment as { Variables: Record<string, unknown> };
    expect(
      Object.keys(variables.Variables)
        .filter((name) => name.endsWith('_ARN'))
        .sort(),
    ).toEqual(['GITHUB_APP_SECRET_ARN', 'SERVICE_KEYS_SECRET_ARN']);
  });

  it('holds a webhook delivery (processing lease) longer than the webhook function may run', () => {
    const webhook = template.toJSON().Resources[logicalIdOf('webhook')] as Resource;
    expect(Number(webhook.Properties.Timeout)).toBeLessThan(PROCESSING_LEASE_SECONDS);
    expect(PROCESSING_LEASE_SECONDS).toBeLessThanOrEqual(30);
  });

  it('throttles /auth/* and the webhook route on their own, and the rest at the stage default', () => {
    const [[, stage] = []] = resources('AWS::ApiGatewayV2::Stage');
    expect(stage?.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: THROTTLES.stage.rateLimit,
      ThrottlingBurstLimit: THROTTLES.stage.burstLimit,
    });
    const expected: Record<string, unknown> = {};
    for (const route of ROUTES) {
      const limit = route.path.startsWith('/auth/')
        ? THROTTLES.auth
        : route.path === '/webhooks/github'
          ? THROTTLES.webhook
          : undefined;
      if (limit)
        expected[routeKey(route)] = {
          ThrottlingRateLimit: limit.rateLimit,
          ThrottlingBurstLimit: limit.burstLimit,
        };
    }
    expect(Object.keys(expected)).toEqual(
      expect.arrayContaining(['GET /auth/login', 'GET /auth/callback', 'POST /webhooks/github']),
    );
    expect(stage?.Properties.RouteSettings).toEqual(expected);
    expect(THROTTLES.auth.rateLimit).toBeLessThan(THROTTLES.stage.rateLimit);
  });

  it('outputs the URLs the GitHub App registration needs and the secret ARNs', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'OAuthCallbackUrl',
        'SetupUrl',
        'WebhookUrl',
        'GitHubAppSecretArn',
        'WebhookSecretArn',
        'ServiceKeysSecretArn',
      ]),
    );
    expect(JSON.stringify(template.findOutputs('WebhookUrl'))).toContain('/webhooks/github');
  });

  it('never embeds a secret value in the template', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'keyMaterial' }),
    });
    const resources = template.toJSON().Resources as Record<
      string,
      { Properties?: { SecretString?: unknown } }
    >;
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toContain('PRIVATE KEY');
    // The only SecretString is the webhook secret's, a dynamic reference resolved by CloudFormation.
    const strings = Object.values(resources).flatMap((r) =>
      r.Properties?.SecretString === undefined ? [] : [JSON.stringify(r.Properties.SecretString)],
    );
    expect(strings).toHaveLength(1);
    expect(strings[0]).toContain('{{resolve:secretsmanager:');
  });

  it('creates the webhook secret with the value GitHub already knows (the App secret’s webhookSecret)', () => {
    const secret = stack.node.findChild('WebhookSecret').node.defaultChild as never;
    const appSecret = stack.node.findChild('GitHubAppSecret').node.defaultChild as never;
    const { Properties } = template.toJSON().Resources[stack.getLogicalId(secret)] as {
      Properties: { SecretString?: unknown; GenerateSecretString?: unknown };
    };
    expect(Properties.GenerateSecretString).toBeUndefined();
    const value = JSON.stringify(Properties.SecretString);
    expect(value).toContain(':SecretString:webhookSecret::}}');
    expect(value).toContain(`{"Ref":"${stack.getLogicalId(appSecret)}"}`);
  });

  it('passes cdk-nag AwsSolutions with every finding acknowledged with a reason', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it('cdk-nag really fails synth on an unacknowledged finding', () => {
    const bad = new App({ context });
    new Bucket(new Stack(bad, 'Bad'), 'UnloggedBucket');
    Validations.of(bad).addPlugins(new AwsSolutionsChecks(bad));
    expect(() => bad.synth()).toThrow();
  });
});

describe('stack lifecycle: the secrets outlive the stack, like the table', () => {
  const APP_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:github-app-AbCdEf';
  const KEYS_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:service-keys-GhIjKl';

  it('retains all three secrets (and the table) when the stack is deleted or they are replaced', () => {
    const all = template.toJSON().Resources as Record<
      string,
      { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string }
    >;
    const secrets = Object.values(all).filter((r) => r.Type === 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(3);
    for (const kept of [...secrets, ...Object.values(all).filter((r) => r.Type === 'AWS::DynamoDB::Table')]) {
      expect(kept).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('adopts existing secrets by ARN or name: creates none, and every function reads the adopted ones', () => {
    const adopted = createApp({
      context: {
        ...context,
        frontendOrigins: ['https://app.example.com'],
        existingAppSecret: APP_ARN,
        existingWebhookSecret: 'github-app-webhook',
        existingServiceKeysSecret: KEYS_ARN,
      },
    });
    const adoptedTemplate = Template.fromStack(adopted.stack);
    adoptedTemplate.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const text = JSON.stringify(adoptedTemplate.toJSON());
    expect(text).toContain(APP_ARN);
    expect(text).toContain(KEYS_ARN);
    expect(text).toContain('secret:github-app-webhook');
    const webhook = adoptedTemplate.toJSON().Resources[
      adopted.stack.getLogicalId(adopted.stack.functions.webhook.fn.node.defaultChild as never)
    ] as Resource;
    expect(JSON.stringify(webhook.Properties.Environment)).toContain('github-app-webhook');
    expect(() => adopted.app.synth()).not.toThrow();
  });

  it('seeds a new webhook secret from an adopted App secret', () => {
    const adopted = createApp({
      context: { ...context, frontendOrigins: ['https://app.example.com'], existingAppSecret: APP_ARN },
    });
    const adoptedTemplate = Template.fromStack(adopted.stack);
    adoptedTemplate.resourceCountIs('AWS::SecretsManager::Secret', 2);
    expect(JSON.stringify(adoptedTemplate.toJSON())).toContain(
      `{{resolve:secretsmanager:${APP_ARN}:SecretString:webhookSecret::}}`,
    );
  });
});

describe('deploy settings: frontend origins and the custom domain', () => {
  const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
  const outputs = (t: Template) => t.toJSON().Outputs as Record<string, { Value: unknown }>;

  it('cdk.json names no frontend origin, so synth without -c frontendOrigins fails naming it', () => {
    expect(cdkJson.context.frontendOrigins).toBeUndefined();
    expect(() => createApp({ context })).toThrow(/frontendOrigins/);
  });

  it('puts normalized origins into CORS and the functions (no trailing slash)', () => {
    const built = createApp({ context: { ...context, frontendOrigins: 'https://app.example.com/' } });
    const t = Template.fromStack(built.stack);
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://app.example.com'] }),
    });
    expect(built.stack.functions.session.fn.node.defaultChild).toBeDefined();
    const session = t.toJSON().Resources[
      built.stack.getLogicalId(built.stack.functions.session.fn.node.defaultChild as never)
    ] as Resource;
    // The console's own origin (the distribution, the API's too) first: sign-in's default return.
    expect(JSON.stringify(session.Properties.Environment)).toContain(
      '"FRONTEND_ORIGINS":{"Fn::Join":["",["https://",{"Fn::GetAtt":["ConsoleDistribution022D3262","DomainName"]},",https://app.example.com"]]}',
    );
  });

  it('without a custom domain: no domain resources, and the API is on the console’s distribution', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 0);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(outputs(template).ApiUrl?.Value).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': ['ConsoleDistribution022D3262', 'DomainName'] }]],
    });
  });

  it('domainName + certificateArn: a domain mapped to the $default stage; it is the public base URL', () => {
    const built = createApp({
      context: {
        ...context,
        frontendOrigins: 'https://app.example.com',
        domainName: 'api.example.com',
        certificateArn: CERT,
      },
    });
    const t = Template.fromStack(built.stack);
    t.resourceCountIs('AWS::ApiGatewayV2::DomainName', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'api.example.com',
      DomainNameConfigurations: [Match.objectLike({ CertificateArn: CERT, EndpointType: 'REGIONAL' })],
    });
    t.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { Stage: '$default' });
    t.resourceCountIs('AWS::Route53::RecordSet', 0);
    const out = outputs(t);
    expect(out.ApiUrl?.Value).toBe('https://api.example.com');
    expect(out.OAuthCallbackUrl?.Value).toBe('https://api.example.com/auth/callback');
    expect(out.CustomDomainTarget).toBeDefined();
    const session = t.toJSON().Resources[
      built.stack.getLogicalId(built.stack.functions.session.fn.node.defaultChild as never)
    ] as Resource;
    expect(JSON.stringify(session.Properties.Environment)).toContain(
      '"API_BASE_URL":"https://api.example.com"',
    );
    // The configured frontend stays the default return; the distribution's console comes after it.
    expect(JSON.stringify(session.Properties.Environment)).toContain(
      '"FRONTEND_ORIGINS":{"Fn::Join":["",["https://app.example.com,https://",{"Fn::GetAtt":["ConsoleDistribution022D3262","DomainName"]}]]}',
    );
    // cdk-nag: no unacknowledged finding on the new resources.
    expect(() => built.app.synth()).not.toThrow();
  });

  it('adds the Route 53 alias record when the hosted zone is given', () => {
    const built = createApp({
      context: {
        ...context,
        frontendOrigins: 'https://app.example.com',
        domainName: 'api.example.com',
        certificateArn: CERT,
        hostedZoneId: 'Z0123456789ABC',
        hostedZoneName: 'example.com',
      },
    });
    const t = Template.fromStack(built.stack);
    t.resourceCountIs('AWS::Route53::RecordSet', 1);
    t.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'api.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABC',
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
    expect(outputs(t).CustomDomainTarget).toBeUndefined();
    expect(() => built.app.synth()).not.toThrow();
  });
});
