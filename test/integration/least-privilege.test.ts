import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { accessesOf, accessViolations } from '../../local/access-guard.js';
import { startLocalApiServer, type LocalApiServer } from '../../local/api-server.js';
import { freePort } from '../../local/ports.js';
import type { HttpLambdaHandler } from '../../functions/shared/http/http-handler.js';
import { getServices } from '../../functions/shared/services.js';
import type { FunctionName } from '../../functions/shared/service-routes.js';
import { startService, type ServiceFixture } from '../support/service.js';

/**
 * The local server runs each function under the IAM grants the stack gives it (lib/function-grants.ts,
 * local/access-guard.ts). Here the real routes are served by a stand-in handler that, as the function
 * the route belongs to, touches what the test asks: inside its grant it works, outside it fails with
 * AccessDeniedException naming the action and the key or secret.
 */
let fx: ServiceFixture;
let api: LocalApiServer;

type Probe =
  { kind: 'get'; pk: string } | { kind: 'query-gsi1'; pk: string } | { kind: 'secret'; name: string };

/** What each function does when probed: the probe from the body, its outcome in the answer. */
const prober = (fn: FunctionName) => ({
  handler: (async (event: APIGatewayProxyEventV2) => {
    const probe = JSON.parse(event.body ?? '{}') as Probe;
    const { table, secrets } = getServices();
    try {
      if (probe.kind === 'get') await table.get({ PK: probe.pk, SK: 'META' });
      else if (probe.kind === 'query-gsi1') await table.queryGsi1(probe.pk, 'ACCOUNT#');
      else await (secrets as unknown as Record<string, () => Promise<unknown>>)[probe.name]?.();
      return { statusCode: 200, body: JSON.stringify({ fn, ok: true }) };
    } catch (error) {
      return {
        statusCode: 200,
        body: JSON.stringify({
          fn,
          ok: false,
          name: (error as Error).name,
          message: (error as Error).message,
        }),
      };
    }
  }) as unknown as HttpLambdaHandler,
});

beforeAll(async () => {
  fx = await startService();
  api = await startLocalApiServer({
    port: await freePort(),
    frontendOrigins: [],
    loadHandler: (fn) => Promise.resolve(prober(fn)),
  });
});
afterAll(async () => {
  await api?.close();
  // The refusals below are this test's point, not a finding: the fixture must not fail on them.
  accessViolations.length = 0;
  await fx?.close();
});

async function probe(path: string, body: Probe) {
  const response = await fetch(`${api.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return (await response.json()) as { fn: string; ok: boolean; name?: string; message?: string };
}

// POST /auth/logout is the session function's; POST /webhooks/github the webhook function's.
const SESSION = '/auth/logout';
const WEBHOOK = '/webhooks/github';

it('a function inside its grant reads as usual', async () => {
  expect(await probe(SESSION, { kind: 'get', pk: 'SESSION#abc' })).toEqual({ fn: 'session', ok: true });
  expect(await probe(SESSION, { kind: 'secret', name: 'serviceKeys' })).toEqual({ fn: 'session', ok: true });
  expect(await probe(WEBHOOK, { kind: 'query-gsi1', pk: 'INSTALLATION#1' })).toEqual({
    fn: 'webhook',
    ok: true,
  });
});

it('a key outside the function’s dynamodb:LeadingKeys is AccessDenied, naming action and key', async () => {
  const before = accessViolations.length;
  const denied = await probe(SESSION, { kind: 'get', pk: 'DELIVERY#guid-1' });
  expect(denied).toMatchObject({ fn: 'session', ok: false, name: 'AccessDeniedException' });
  expect(denied.message).toMatch(/local-session\/session is not authorized to perform: dynamodb:GetItem/);
  expect(denied.message).toContain('"DELIVERY#guid-1"');
  // A GSI1 query is checked on the index's partition key.
  const query = await probe(SESSION, { kind: 'query-gsi1', pk: 'INSTALLATION#7' });
  expect(query.message).toMatch(/dynamodb:Query on resource: .*\/index\/GSI1 .*"INSTALLATION#7"/);
  expect(accessViolations.length - before).toBe(2);
});

it('a secret the function is not granted is AccessDenied, naming the secret', async () => {
  const denied = await probe(WEBHOOK, { kind: 'secret', name: 'serviceKeys' });
  expect(denied).toMatchObject({ fn: 'webhook', ok: false, name: 'AccessDeniedException' });
  expect(denied.message).toMatch(
    /local-webhook\/webhook is not authorized to perform: secretsmanager:GetSecretValue on resource: secret serviceKeys/,
  );
  expect((await probe(WEBHOOK, { kind: 'secret', name: 'gitHubApp' })).message).toContain('secret githubApp');
  expect(await probe(WEBHOOK, { kind: 'secret', name: 'webhookSecrets' })).toEqual({
    fn: 'webhook',
    ok: true,
  });
});

it('a function without a table grant is refused every table call', async () => {
  // GET /health is the health function's: no table, no secrets.
  const denied = await probe('/health', { kind: 'get', pk: 'USER#1' });
  expect(denied).toMatchObject({ fn: 'health', ok: false, name: 'AccessDeniedException' });
  expect(denied.message).toContain('the function has no table grant');
});

describe('what a request asks for, item by item', () => {
  it('reads the leading key of every kind of request', () => {
    expect(
      accessesOf('QueryCommand', {
        TableName: 't',
        IndexName: 'GSI1',
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': 'GSI1PK', '#sk': 'GSI1SK' },
        ExpressionAttributeValues: { ':pk': { S: 'USER#1' }, ':prefix': { S: 'ACCOUNT#' } },
      }),
    ).toEqual([{ action: 'dynamodb:Query', tableName: 't', index: 'GSI1', leadingKey: 'USER#1' }]);
    expect(
      accessesOf('TransactWriteItemsCommand', {
        TransactItems: [
          { Put: { TableName: 't', Item: { PK: { S: 'ACCOUNT#1' } } } },
          { ConditionCheck: { TableName: 't', Key: { PK: { S: 'INSTALLATION#2' } } } },
        ],
      }).map((access) => `${access.action} ${access.leadingKey}`),
    ).toEqual(['dynamodb:PutItem ACCOUNT#1', 'dynamodb:ConditionCheckItem INSTALLATION#2']);
    expect(
      accessesOf('BatchWriteItemCommand', {
        RequestItems: { t: [{ DeleteRequest: { Key: { PK: { S: 'REPOS#1' } } } }] },
      }),
    ).toEqual([{ action: 'dynamodb:BatchWriteItem', tableName: 't', leadingKey: 'REPOS#1' }]);
    expect(accessesOf('ScanCommand', { TableName: 't' })).toEqual([
      { action: 'dynamodb:Scan', tableName: 't', leadingKey: undefined },
    ]);
  });
});
