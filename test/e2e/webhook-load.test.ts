import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { jest } from '@jest/globals';
import { InstallationStore } from '../../functions/shared/store/installation-store.js';
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

type InstallationDetails = Parameters<InstallationStore['applyEventDetails']>[0];

let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService({ dynamoFaults: true });
});
afterAll(() => fx.close());

const payload = (id: number) => installationPayload(id, 'created', {}, `load-${id}`);

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
  // Which installation each successful application wrote, counted (the real store does the work).
  const applied = new Map<number, number>();
  const applyEventDetails = InstallationStore.prototype.applyEventDetails;
  jest.spyOn(InstallationStore.prototype, 'applyEventDetails').mockImplementation(async function (
    this: InstallationStore,
    details: InstallationDetails,
    // The delivery's record, written in the same transaction.
    alongside?: Parameters<InstallationStore['applyEventDetails']>[1],
  ) {
    const done = await applyEventDetails.call(this, details, alongside);
    if (done) applied.set(details.id, (applied.get(details.id) ?? 0) + 1);
    return done;
  });
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
  // left `processing` (its outcome could not be recorded) has its lease lapse.
  const runs = [];
  const realNow = Date.now.bind(Date);
  for (let offset = 0; runs.length < 15;) {
    offset += 31_000;
    const at = offset;
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + at);
    const run = await runRedeliveryOnce();
    runs.push(run);
    if (run.complete && run.redelivered.length === 0) break;
  }
  // Complete: every delivery GitHub still lists as failed has been processed by the service since (the
  // checkpoint stays before a failed delivery until the job sees it resolved).
  const last = runs.at(-1);
  expect(last).toMatchObject({ complete: true, redelivered: [], skipped: 0, errors: 0 });
  expect(last?.processed).toBe(last?.failed);

  // Exactly once: every installation applied by one invocation, and every delivery recorded done.
  const ids = Array.from({ length: DELIVERIES }, (_, index) => FIRST_ID + index);
  expect(ids.filter((id) => applied.get(id) !== 1)).toEqual([]);
  const items = await scan();
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
});
