import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { handler, resetActivityLogForTests } from '../../functions/activity-log/handler.js';
import { parseActivityLogSettings } from '../../functions/activity-log/settings.js';
import {
  domainEvent,
  githubActor,
  userActor,
  type DomainEvent,
} from '../../functions/shared/events/domain-event.js';
import { lambdaContext } from '../../local/api-event.js';
import { streamBatch } from '../support/activity.js';
import { createTestTable, testDynamoEndpoint } from '../support/dynamodb.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../support/dynamodb-fault-proxy.js';
import { schemaErrors } from '../support/outbox.js';
import { TEST_DYNAMODB_ENV } from '../support/test-settings.js';

/**
 * The activity recorder (functions/activity-log/): the very handler Lambda runs, given stream batches
 * of outbox INSERTs, writing into DynamoDB Local through a proxy that can fail its writes.
 */

const fixture = await createTestTable();
const proxy: DynamoFaultProxy = await startDynamoFaultProxy(testDynamoEndpoint());
const RETENTION_DAYS = 30;
Object.assign(process.env, {
  TABLE_NAME: fixture.tableName,
  DYNAMODB_ENDPOINT: proxy.endpoint,
  ACTIVITY_RETENTION_DAYS: String(RETENTION_DAYS),
  ...TEST_DYNAMODB_ENV,
  // A failed write is reported at once (the batch is what Lambda retries).
  DYNAMODB_MAX_ATTEMPTS: '1',
});
resetActivityLogForTests();
afterAll(async () => {
  await proxy.close();
  fixture.close();
});
afterEach(() => proxy.clear());

const record = (batch: DynamoDBStreamEvent) => handler(batch, lambdaContext('activity-log', 60_000));

/** Every activity item of an account, as stored (a strongly consistent query of its partition). */
async function activityItems(accountId: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await fixture.raw.send(
      new QueryCommand({
        TableName: fixture.tableName,
        ConsistentRead: true,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': { S: `ACTIVITY#${accountId}` } },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return items;
}

let counter = 0;
const uniqueAccount = (name: string) => `${name}-${process.pid}-${++counter}`;
const bob = userActor(101, 'bob');

function pushed(accountIds: string[], occurredAt?: string): DomainEvent {
  return domainEvent(
    'repository.pushed',
    { actor: githubActor('bob'), correlationId: 'delivery-1' },
    accountIds,
    {
      repository: { id: 7, owner: 'octo-org', name: 'api', installationId: 42 },
      ref: 'refs/heads/main',
      before: 'a'.repeat(40),
      after: 'b'.repeat(40),
      commitCount: 1,
      compareUrl: 'https://github.com/octo-org/api/compare/a...b',
      pusher: { name: 'bob', login: 'bob' },
    },
    occurredAt ? { occurredAt } : {},
  );
}

function renamed(accountId: string, name: string): DomainEvent {
  return domainEvent('account.renamed', { actor: bob, correlationId: 'request-1' }, [accountId], {
    account: { id: accountId, name },
    previousName: 'Before',
  });
}

describe('activity-log: the outbox stream into each account’s log', () => {
  it('one item per event and account it names, kept ACTIVITY_RETENTION_DAYS after it occurred', async () => {
    const [a, b] = [uniqueAccount('a'), uniqueAccount('b')];
    const events = [pushed([a, b]), renamed(a, 'Team A')];
    const batch = streamBatch(events);
    // Not outbox INSERTs (the event source's filter keeps them out; the recorder ignores them too).
    const [first] = batch.Records;
    if (!first) throw new Error('no record');
    batch.Records.push({ ...first, eventName: 'MODIFY' }, { ...first, eventName: 'REMOVE' });

    expect(await record(batch)).toEqual({ batchItemFailures: [] });

    const [itemsA, itemsB] = [await activityItems(a), await activityItems(b)];
    expect(itemsA.map((item) => item.detailType).sort()).toEqual(['account.renamed', 'repository.pushed']);
    expect(itemsB.map((item) => item.detailType)).toEqual(['repository.pushed']);
    for (const event of events)
      for (const accountId of event.detail.platformAccountIds) {
        const item = [...itemsA, ...itemsB].find(
          (candidate) =>
            candidate.PK === `ACTIVITY#${accountId}` && candidate.eventId === event.detail.eventId,
        );
        expect(item).toMatchObject({
          SK: `AT#${event.detail.occurredAt}#${event.detail.eventId}`,
          detailType: event.type,
          detail: event.detail,
          expiresAt: Math.floor(Date.parse(event.detail.occurredAt) / 1000) + RETENTION_DAYS * 86_400,
        });
      }
    expect(events.flatMap(schemaErrors)).toEqual([]);
  });

  it('an event naming more accounts than a transaction holds reaches every one of them', async () => {
    const accounts = Array.from({ length: 130 }, () => uniqueAccount('linked'));
    expect(await record(streamBatch([pushed(accounts)]))).toEqual({ batchItemFailures: [] });
    const counts = await Promise.all(accounts.map(async (id) => (await activityItems(id)).length));
    expect(counts).toEqual(accounts.map(() => 1));
  });

  it('a replay of the stream rewrites the same items: no duplicate', async () => {
    const account = uniqueAccount('replay');
    const batch = streamBatch([renamed(account, 'One'), renamed(account, 'Two')]);
    await record(batch);
    const before = await activityItems(account);
    await record(batch);
    await record({ Records: batch.Records.slice(1) });
    const after = await activityItems(account);
    expect(after).toHaveLength(2);
    expect(after).toEqual(before);
  });

  it('a failed write reports the first record not written; the retry from it completes the log once', async () => {
    const account = uniqueAccount('failing');
    // 30 events: two BatchWriteItem requests (25 items each at most); the second is failed.
    const events = Array.from({ length: 30 }, (_, index) => renamed(account, `Name ${index}`));
    const batch = streamBatch(events);
    const doomed = events[27]?.detail.eventId ?? '';
    proxy.inject({
      mode: 'fail',
      operations: ['BatchWriteItem'],
      match: (body) => JSON.stringify(body).includes(doomed),
      count: Infinity,
    });

    const answer = await record(batch);

    const failedRecord = batch.Records[25]?.dynamodb?.SequenceNumber;
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: failedRecord }] });
    expect(await activityItems(account)).toHaveLength(25);

    // Lambda retries the batch from the reported record, once the table takes writes again.
    proxy.clear();
    expect(await record({ Records: batch.Records.slice(25) })).toEqual({ batchItemFailures: [] });
    const items = await activityItems(account);
    expect(items).toHaveLength(30);
    expect(new Set(items.map((item) => item.eventId)).size).toBe(30);
  });
});

describe('activity-log settings', () => {
  it('keeps 90 days unless ACTIVITY_RETENTION_DAYS says otherwise, and refuses a bad value', () => {
    expect(parseActivityLogSettings({ TABLE_NAME: 't' }).retentionDays).toBe(90);
    expect(parseActivityLogSettings({ TABLE_NAME: 't', ACTIVITY_RETENTION_DAYS: '7' }).retentionDays).toBe(7);
    expect(() => parseActivityLogSettings({ TABLE_NAME: 't', ACTIVITY_RETENTION_DAYS: '0' })).toThrow(
      /ACTIVITY_RETENTION_DAYS/,
    );
    expect(() => parseActivityLogSettings({})).toThrow(/TABLE_NAME/);
  });
});
