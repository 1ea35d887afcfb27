import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { getServices } from '../../functions/shared/services.js';
import { runRedeliveryOnce, startRedeliveryTimer } from '../../local/redelivery-timer.js';
import { sendWebhook, startService, type ServiceFixture } from '../support/service.js';
import { installationPayload } from '../support/events.js';

let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService({ dynamoFaults: true });
});
afterAll(() => fx?.close());
afterEach(() => {
  fx.dynamo?.clear();
  jest.restoreAllMocks();
});

/** Moves the service's clock (Date.now) forward, as time passing would: leases lapse. */
let offsetMs = 0;
function advanceClock(seconds: number): void {
  offsetMs += seconds * 1000;
  const realNow = Date.now.bind(Date);
  jest.restoreAllMocks();
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
}

async function post(event: string, payload: unknown, deliveryId: string) {
  const response = await sendWebhook(fx, event, payload, deliveryId);
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

const deliveryItem = (deliveryId: string) =>
  fx.table.table.get({ PK: `DELIVERY#${deliveryId}`, SK: 'DELIVERY' });
const installationItem = (id: number) => fx.table.table.get({ PK: `INSTALLATION#${id}`, SK: 'META' });

const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem'];

/** The emulator's attempts of one delivery, oldest first: [redelivery, status code]. */
async function attemptsOf(guid: string) {
  return (await fx.admin.deliveries())
    .filter((delivery) => delivery.guid === guid)
    .map((delivery) => [delivery.redelivery, delivery.status_code]);
}

const appId = () => Number(fx.secrets.githubApp.appId);

/** Installs the App on a new organisation; the `created` delivery's GUID. */
async function install(login: string) {
  await fx.admin.createUser({ login, type: 'Organization' });
  const { installation, delivery } = (await fx.admin.install({ appId: appId(), account: login })) as {
    installation: { id: number };
    delivery: { guid: string };
  };
  return { installationId: installation.id, guid: delivery.guid };
}

/** Every write of the delivery's "failed" mark fails, whatever the SDK retries. */
const failMarkingFailed = () =>
  fx.dynamo?.inject({
    operations: ['UpdateItem'],
    mode: 'fail',
    count: Infinity,
    match: (body) => String(body.UpdateExpression).includes('failure'),
  });

describe('a delivery still processing', () => {
  it('answers a redelivery non-2xx with Retry-After, so GitHub records it failed; after the lease it is applied', async () => {
    const deliveryId = randomUUID();
    // An effect of several writes (details, then the cached tokens) runs under the processing lease;
    // an installation's details alone are written with their delivery record in one transaction.
    fx.dynamo?.inject({ operations: ['TransactWriteItems'], mode: 'fail', count: Infinity });
    failMarkingFailed();
    const first = await post('installation', installationPayload(11, 'new_permissions_accepted'), deliveryId);
    // DynamoDB failing is 503 service_unavailable: GitHub records the attempt as failed.
    expect(first.status).toBe(503);
    expect(first.retryAfter).not.toBeNull();
    fx.dynamo?.clear();
    expect((await deliveryItem(deliveryId))?.status).toBe('processing');

    const again = await post('installation', installationPayload(11, 'new_permissions_accepted'), deliveryId);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('delivery_in_progress');
    expect(Number(again.retryAfter)).toBeGreaterThan(0);
    expect(Number(again.retryAfter)).toBeLessThanOrEqual(30);
    expect(await installationItem(11)).toBeUndefined();

    advanceClock(31);
    const later = await post('installation', installationPayload(11, 'new_permissions_accepted'), deliveryId);
    expect(later).toMatchObject({ status: 200, body: { status: 'applied' } });
    expect(await installationItem(11)).toBeDefined();
  });
});

describe('automatic redelivery', () => {
  it('applies a delivery that failed while DynamoDB was down, with no operator, and only once', async () => {
    const serviceKeys = jest.spyOn(getServices().secrets, 'serviceKeys');
    fx.dynamo?.inject({ operations: WRITES, mode: 'fail', count: Infinity });
    const { installationId, guid } = await install('down-org');
    fx.dynamo?.clear();
    const [[, failedStatus] = []] = await attemptsOf(guid);
    expect(Number(failedStatus)).toBeGreaterThanOrEqual(500);
    expect(await installationItem(installationId)).toBeUndefined();

    const run = await runRedeliveryOnce();
    expect(run.redelivered).toEqual([guid]);
    expect(await installationItem(installationId)).toMatchObject({ accountLogin: 'down-org' });
    expect(await attemptsOf(guid)).toEqual([
      [false, failedStatus],
      [true, 200],
    ]);
    const [, redelivered] = (await fx.admin.deliveries()).filter((delivery) => delivery.guid === guid);
    expect(await deliveryItem(guid)).toMatchObject({ status: 'done', outcome: 'applied', redeliveries: 1 });
    expect(redelivered).toBeDefined();

    // Idempotent: the next run finds nothing left to redeliver, and GitHub is not asked again.
    const again = await runRedeliveryOnce();
    expect(again).toMatchObject({ redelivered: [], complete: true });
    expect(await attemptsOf(guid)).toHaveLength(2);
    // The App's JWT only: the job never reads the service's key material.
    expect(serviceKeys).not.toHaveBeenCalled();
  });

  it('redelivers a delivery left processing on every run until its lease lapses, then it is applied', async () => {
    const { installationId } = await install('stuck-org');
    // A suspension (details, then the cached tokens: several writes) runs under the processing lease.
    fx.dynamo?.inject({ operations: ['TransactWriteItems'], mode: 'fail', count: Infinity });
    failMarkingFailed();
    const { delivery } = (await fx.admin.suspend(installationId)) as { delivery: { guid: string } };
    const guid = delivery.guid;
    fx.dynamo?.clear();
    expect((await deliveryItem(guid))?.status).toBe('processing');

    const first = await runRedeliveryOnce();
    expect(first.redelivered).toEqual([guid]);
    expect((await attemptsOf(guid)).at(-1)).toEqual([true, 409]);
    expect(await installationItem(installationId)).toMatchObject({ suspendedAt: null });

    advanceClock(31);
    const second = await runRedeliveryOnce();
    expect(second.redelivered).toEqual([guid]);
    expect((await attemptsOf(guid)).at(-1)).toEqual([true, 200]);
    expect((await installationItem(installationId))?.suspendedAt).toEqual(expect.any(String));
    expect(await deliveryItem(guid)).toMatchObject({ status: 'done', redeliveries: 2 });
  });

  it('leaves alone a failed delivery that later succeeded, or that the service has processed since', async () => {
    // Failed, then redelivered by hand with success: GitHub's rule, a later OK attempt of the GUID.
    fx.dynamo?.inject({ operations: WRITES, mode: 'fail', count: Infinity });
    const byHand = await install('by-hand-org');
    fx.dynamo?.clear();
    await fx.admin.redeliver(byHand.guid);
    // GitHub could not connect, but the same delivery reached the service another way.
    const app = fx.emulator.world.apps.get(appId());
    if (!app) throw new Error('no app');
    const webhookUrl = app.webhookUrl;
    app.webhookUrl = 'http://127.0.0.1:9/webhooks/github';
    const unreachable = await fx.emulator.webhooks.send(
      app,
      'installation',
      installationPayload(12, 'created'),
    );
    app.webhookUrl = webhookUrl;
    if (!unreachable) throw new Error('not sent');
    expect(await attemptsOf(unreachable.guid)).toEqual([[false, null]]);
    expect((await post('installation', JSON.parse(unreachable.body), unreachable.guid)).status).toBe(200);

    const run = await runRedeliveryOnce();
    expect(run.redelivered).toEqual([]);
    expect(run.processed).toBeGreaterThanOrEqual(1);
    expect(await attemptsOf(byHand.guid)).toHaveLength(2);
    expect(await attemptsOf(unreachable.guid)).toHaveLength(1);
  });

  it('runs on npm start’s timer, as the schedule runs it in AWS', async () => {
    fx.dynamo?.inject({ operations: WRITES, mode: 'fail', count: Infinity });
    const { installationId, guid } = await install('timer-org');
    fx.dynamo?.clear();
    const redelivered = await new Promise<string[]>((resolve, reject) => {
      const timer = startRedeliveryTimer({
        intervalSeconds: 0.1,
        onRun: (run) => {
          if (run.redelivered.length === 0) return;
          timer.stop();
          resolve(run.redelivered);
        },
        onError: (error) => {
          timer.stop();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      });
    });
    expect(redelivered).toEqual([guid]);
    expect(await installationItem(installationId)).toBeDefined();
  });
});

describe('a claim whose answer was lost (the write landed)', () => {
  // Time never goes back between tests: the checkpoint an earlier test's runs left stays in the past.
  beforeEach(() => advanceClock(0));

  /** The redelivery job's claim writes: forwarded to DynamoDB, then the connection is cut. */
  const loseClaimAnswers = (count: number) =>
    fx.dynamo?.inject({
      operations: ['UpdateItem'],
      mode: 'drop',
      count,
      match: (body) => String(body.UpdateExpression).includes('redeliveredAttemptId = :id'),
    });

  /**
   * Runs the job as the schedule would, with a later delivery past the checkpoint's overlap in between;
   * after each run, whether it said `complete` and whether the failed delivery was applied by then.
   */
  async function runsAcrossLaterDelivery(installationId: number, later: string) {
    const seen: Array<{ complete: boolean; skipped: number; applied: boolean }> = [];
    const run = async () => {
      const summary = await runRedeliveryOnce();
      fx.dynamo?.clear();
      seen.push({
        complete: summary.complete,
        skipped: summary.skipped,
        applied: (await installationItem(installationId)) !== undefined,
      });
      return summary;
    };
    const redelivered = [...(await run()).redelivered];
    advanceClock(60);
    redelivered.push(...(await run()).redelivered);
    advanceClock(6 * 60);
    await install(later);
    for (let index = 0; index < 3; index++) {
      redelivered.push(...(await run()).redelivered);
      advanceClock(11 * 60);
    }
    return { seen, redelivered };
  }

  it('one lost answer (the SDK retries the claim): redelivered, and no run says complete before', async () => {
    fx.dynamo?.inject({ operations: WRITES, mode: 'fail', count: Infinity });
    const { installationId, guid } = await install('lost-claim-org');
    fx.dynamo?.clear();
    loseClaimAnswers(1);
    const { seen, redelivered } = await runsAcrossLaterDelivery(installationId, 'lost-claim-later-org');
    // Never "complete" while a failed delivery is left unapplied (before: skipped 1, complete true).
    expect(seen.filter((run) => run.complete && !run.applied)).toEqual([]);
    expect(redelivered.filter((id) => id === guid)).toEqual([guid]);
    expect(await installationItem(installationId)).toMatchObject({ accountLogin: 'lost-claim-org' });
    expect(await deliveryItem(guid)).toMatchObject({ status: 'done', outcome: 'applied' });
  });

  it('every answer lost (the claim throws): the next run redelivers it, the checkpoint never passes it', async () => {
    fx.dynamo?.inject({ operations: WRITES, mode: 'fail', count: Infinity });
    const { installationId, guid } = await install('lost-claims-org');
    fx.dynamo?.clear();
    // The claim and each of the SDK's retries land, and every answer is lost.
    loseClaimAnswers(3);
    const { seen, redelivered } = await runsAcrossLaterDelivery(installationId, 'lost-claims-later-org');
    expect(seen[0]).toMatchObject({ complete: false, applied: false });
    expect(seen.filter((run) => run.complete && !run.applied)).toEqual([]);
    // The claim whose redelivery never went out does not hold the delivery: the next run (a minute
    // later) redelivers it.
    expect(seen[1]).toMatchObject({ applied: true });
    expect(redelivered.filter((id) => id === guid)).toEqual([guid]);
    expect(await installationItem(installationId)).toMatchObject({ accountLogin: 'lost-claims-org' });
  });
});
