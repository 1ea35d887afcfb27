import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { jest } from '@jest/globals';
import { runRedeliveryOnce } from '../../local/redelivery-timer.js';
import { startService, type ServiceFixture } from '../support/service.js';
import { installationPayload } from '../support/events.js';

const DELIVERIES = 1000;
const CONCURRENCY = 20;
/** Every 10th delivery is posted as two concurrent copies (same GUID). */
const DUPLICATE_EVERY = 10;
/** One SDK write call in 20 fails on every attempt (the SDK's retries exhausted). */
const FAIL_EVERY = 20;
const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem'];
const FIRST_ID = 500_000;

let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService({ dynamoFaults: true });
});
afterAll(() => fx?.close());

const payload = (id: number) => installationPayload(id, 'created', {}, `load-${id}`);

type Key = { PK?: { S?: string }; SK?: { S?: string } };
type WriteBody = {
  Item?: Key;
  Key?: Key;
  TransactItems?: Array<Record<string, { Item?: Key; Key?: Key }>>;
  RequestItems?: Record<string, Array<Record<string, { Item?: Key; Key?: Key }>>>;
};

/** The `PK SK` of every item a write request puts, updates or deletes. */
function keysWritten(body: WriteBody): string[] {
  const actions = [
    { Item: body.Item, Key: body.Key },
    ...(body.TransactItems ?? []).flatMap((item) => Object.values(item)),
    ...Object.values(body.RequestItems ?? {}).flatMap((requests) =>
      requests.flatMap((request) => Object.values(request)),
    ),
  ];
  return actions
    .map((action) => action.Item ?? action.Key)
    .filter((key): key is Key => key !== undefined)
    .map((key) => `${key.PK?.S} ${key.SK?.S}`);
}

async function scan() {
  const items: Array<Record<string, { S?: string; N?: string }>> = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await fx.table.raw.send(
      new ScanCommand({ TableName: fx.table.tableName, ExclusiveStartKey: start }),
    );
    items.push(...((page.Items ?? []) as typeof items));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return items;
}

it('1,000 signed deliveries, 20 at a time, 10 % duplicated concurrently, DynamoDB failing 5 % of writes: after the redelivery job, every delivery is applied exactly once', async () => {
  // The SDK names each call (across its retries) with amz-sdk-invocation-id: every 20th call fails.
  const calls = new Map<string, boolean>();
  fx.dynamo?.inject({
    operations: WRITES,
    mode: 'fail',
    count: Infinity,
    match: (_body, headers) => {
      const call = String(headers['amz-sdk-invocation-id']);
      if (!calls.has(call)) calls.set(call, (calls.size + 1) % FAIL_EVERY === 0);
      return calls.get(call) === true;
    },
  });

  const app = fx.emulator.world.apps.get(Number(fx.secrets.githubApp.appId));
  if (!app) throw new Error('the App is not registered');
  const guids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < DELIVERIES) {
        const index = next++;
        const delivery = await fx.emulator.webhooks.send(app, 'installation', payload(FIRST_ID + index), {
          copies: index % DUPLICATE_EVERY === 0 ? 2 : 1,
        });
        if (delivery) guids.push(delivery.guid);
      }
    }),
  );
  expect(guids).toHaveLength(DELIVERIES);
  expect(calls.has('undefined')).toBe(false);
  const failedFirst = new Set(
    fx.emulator.webhooks.deliveries.filter((d) => d.statusCode !== 200).map((d) => d.guid),
  );
  // The faults reached the service: some deliveries failed (and some only as the losing copy).
  expect(failedFirst.size).toBeGreaterThan(0);

  // The schedule: runs until one finds nothing left to do. Time passes between runs, so a delivery
  // left `processing` (its outcome could not be recorded) has its lease lapse. A run that fails (its
  // table reads timed out on a busy machine) is what a schedule sees too: the next run goes on.
  const runs = [];
  const failedRuns: string[] = [];
  const realNow = Date.now.bind(Date);
  for (let offset = 0; runs.length + failedRuns.length < 20;) {
    offset += 31_000;
    const at = offset;
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + at);
    const run = await runRedeliveryOnce().catch((error: unknown) => {
      failedRuns.push(error instanceof Error ? error.name : String(error));
      return undefined;
    });
    if (run === undefined) continue;
    runs.push(run);
    if (run.complete && run.redelivered.length === 0) break;
  }
  // Most runs succeed: a job that failed every time would not be saved by the schedule.
  expect(failedRuns.length).toBeLessThan(runs.length);
  // Complete: every delivery GitHub still lists as failed has been processed by the service since (the
  // checkpoint stays before a failed delivery until the job sees it resolved).
  const last = runs.at(-1);
  expect(last).toMatchObject({ complete: true, redelivered: [], skipped: 0, errors: 0 });
  expect(last?.processed).toBe(last?.failed);

  // Exactly once: every installation applied by one invocation, and every delivery recorded done.
  // Exactly once, counted where it happens: the SDK calls that wrote each installation and that
  // DynamoDB answered 200 (landed), whether or not the service then got the answer. An SDK call's
  // retries are one call (one invocation id; a transaction's retries carry one ClientRequestToken).
  const applied = new Map<number, Set<string>>();
  for (const call of fx.dynamo?.calls ?? []) {
    if (call.status !== 200 || !WRITES.includes(call.operation)) continue;
    for (const key of keysWritten(call.body)) {
      const match = /^INSTALLATION#(\d+) META$/.exec(key);
      if (!match) continue;
      const id = Number(match[1]);
      applied.set(id, (applied.get(id) ?? new Set()).add(String(call.invocationId)));
    }
  }
  const ids = Array.from({ length: DELIVERIES }, (_, index) => FIRST_ID + index);
  const items = await scan();
  // What each installation applied other than once went through: its applications, its delivery's
  // record and every attempt GitHub lists (so a failure says which path lost or repeated it).
  const guidOf = new Map(fx.emulator.webhooks.deliveries.map((d) => [d.installationId, d.guid]));
  const described = ids
    .filter((id) => applied.get(id)?.size !== 1)
    .map((id) => {
      const guid = guidOf.get(id);
      const record = items.find((item) => item.PK?.S === `DELIVERY#${guid}` && item.SK?.S === 'DELIVERY');
      return {
        id,
        applied: applied.get(id)?.size ?? 0,
        record: record && { status: record.status?.S, outcome: record.outcome?.S },
        attempts: fx.emulator.webhooks.deliveries
          .filter((d) => d.guid === guid)
          .map((d) => `${d.redelivery ? 'redelivery' : 'delivery'} ${d.statusCode ?? d.error}`),
      };
    });
  expect(described).toEqual([]);
  const installations = items.filter(
    (item) => item.PK?.S?.startsWith('INSTALLATION#') && item.SK?.S === 'META',
  );
  expect(installations).toHaveLength(DELIVERIES);
  const records = new Map(
    items
      .filter((item) => item.SK?.S === 'DELIVERY')
      .map((item) => [item.PK?.S?.slice('DELIVERY#'.length), item]),
  );
  expect(guids.filter((guid) => records.get(guid)?.status?.S !== 'done')).toEqual([]);
  // Only deliveries that failed were redelivered.
  const redelivered = new Set(runs.flatMap((run) => run.redelivered));
  expect([...redelivered].filter((guid) => !failedFirst.has(guid))).toEqual([]);
}, 420_000);
