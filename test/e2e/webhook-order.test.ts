import { jest } from '@jest/globals';
import { scheduledEvent } from '../../local/schedule-timer.js';
import { invokeRepositorySync } from '../../local/repository-sync.js';
import { getServices } from '../../functions/shared/services.js';
import { InstallationStore } from '../../functions/shared/store/installation-store.js';
import { validOutboxEvents } from '../support/outbox.js';
import { startService, type ServiceFixture } from '../support/service.js';

/**
 * Out-of-order deliveries (issue 21, B2): an older event, redelivered after a newer one was applied,
 * never overwrites the newer state. GitHub's `updated_at` has whole seconds, so two changes in one
 * second tie: the service then asks GitHub (through the reconciler, which may read the App's view).
 */
let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService({ dynamoFaults: true, repositorySync: true });
});
afterAll(() => fx?.close());
afterEach(() => {
  fx.dynamo?.clear();
  jest.restoreAllMocks();
});

const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem'];
const installationItem = (id: number) => fx.table.table.get({ PK: `INSTALLATION#${id}`, SK: 'META' });
const appId = () => Number(fx.secrets.githubApp.appId);

async function install(login: string) {
  await fx.admin.createUser({ login, type: 'Organization' });
  const { installation } = (await fx.admin.install({ appId: appId(), account: login })) as {
    installation: { id: number };
  };
  await settle();
  return installation.id;
}

/** The installation accepts new permissions at GitHub (a `new_permissions_accepted` delivery). */
const setPermissions = (id: number, permissions: Record<string, string>) =>
  fx.admin.call('POST', `/installations/${id}/permissions`, { permissions });

/** The reconciler's runs asked for so far have ended. */
const settle = async () => fx.repositorySync?.idle();

/** A change at GitHub whose delivery fails (DynamoDB refuses every write): its GUID. */
async function failing(change: () => Promise<unknown>): Promise<string> {
  fx.dynamo?.inject({ operations: WRITES, mode: 'fail', count: Infinity });
  const answer = (await change()) as { delivery?: { guid: string }; deliveries?: Array<{ guid: string }> };
  fx.dynamo?.clear();
  const guid = answer.delivery?.guid ?? answer.deliveries?.[0]?.guid;
  if (guid === undefined) throw new Error('no delivery');
  const [attempt] = (await fx.admin.deliveries()).filter((delivery) => delivery.guid === guid);
  expect(Number(attempt?.status_code)).toBeGreaterThanOrEqual(500);
  return guid;
}

/** Both changes happen within one second of GitHub's clock: their `updated_at` are equal. */
async function inOneSecond<T>(changes: () => Promise<T>): Promise<T> {
  const frozen = Math.floor(Date.now() / 1000) * 1000 + 100;
  jest.spyOn(Date, 'now').mockReturnValue(frozen);
  try {
    return await changes();
  } finally {
    jest.restoreAllMocks();
  }
}

it('a redelivered older suspend, applied after the newer unsuspend of the same second, leaves it unsuspended', async () => {
  const id = await install('order-suspend-org');
  const suspend = await inOneSecond(async () => {
    const guid = await failing(() => fx.admin.suspend(id));
    await fx.admin.unsuspend(id);
    return guid;
  });
  expect(await installationItem(id)).toMatchObject({ suspendedAt: null });
  await fx.admin.redeliver(suspend);
  await settle();
  expect(await installationItem(id)).toMatchObject({ suspendedAt: null });
});

it('a redelivered older unsuspend never undoes a newer suspend (strictly older updated_at)', async () => {
  const id = await install('order-unsuspend-org');
  await fx.admin.suspend(id);
  const unsuspend = await failing(() => fx.admin.unsuspend(id));
  await fx.admin.advanceClock(2);
  await fx.admin.suspend(id);
  await fx.admin.redeliver(unsuspend);
  await settle();
  expect((await installationItem(id))?.suspendedAt).toEqual(expect.any(String));
});

it('a redelivered older permissions change never overwrites the newer permissions of the same second', async () => {
  const id = await install('order-permissions-org');
  const older = await inOneSecond(async () => {
    const guid = await failing(() =>
      setPermissions(id, { metadata: 'read', contents: 'read', administration: 'write' }),
    );
    await setPermissions(id, { metadata: 'read', contents: 'write' });
    return guid;
  });
  await fx.admin.redeliver(older);
  await settle();
  expect((await installationItem(id))?.permissions).toEqual({ metadata: 'read', contents: 'write' });
});

it('a redelivered older rename never overwrites the newer login', async () => {
  const id = await install('order-rename-a');
  const older = await failing(() => fx.admin.renameUser('order-rename-a', 'order-rename-b'));
  await fx.admin.renameUser('order-rename-b', 'order-rename-c');
  await settle();
  expect(await installationItem(id)).toMatchObject({ accountLogin: 'order-rename-c' });
  await fx.admin.redeliver(older);
  await settle();
  expect(await installationItem(id)).toMatchObject({ accountLogin: 'order-rename-c' });
});

/**
 * A confirmation with GitHub that fails every attempt (in AWS: Lambda's async retries exhausted, the
 * event dropped) is not lost: the next scheduled run of the reconciler makes the details GitHub's.
 */
describe('a confirmation with GitHub that fails', () => {
  const confirmFails = () =>
    fx.admin.fault({ method: 'GET', route: '/app/installations/{installation_id}', status: 502, count: 50 });
  const runSchedule = async () => {
    await fx.admin.call('DELETE', '/faults');
    await invokeRepositorySync(scheduledEvent('RepositorySyncSchedule'));
    await settle();
  };

  it('is made good by the next scheduled run (an older suspend of the same second)', async () => {
    const id = await install('order-confirm-suspend-org');
    const suspend = await inOneSecond(async () => {
      const guid = await failing(() => fx.admin.suspend(id));
      await fx.admin.unsuspend(id);
      return guid;
    });
    await confirmFails();
    await fx.admin.redeliver(suspend);
    await settle();
    // What the reconciler was asked to correct: the older event stored, its confirmation failed.
    expect((await installationItem(id))?.suspendedAt).toEqual(expect.any(String));
    await runSchedule();
    expect(await installationItem(id)).toMatchObject({ suspendedAt: null });
  });

  it('is made good by the next scheduled run (an older rename)', async () => {
    const id = await install('order-confirm-rename-a');
    const older = await failing(() =>
      fx.admin.renameUser('order-confirm-rename-a', 'order-confirm-rename-b'),
    );
    await fx.admin.renameUser('order-confirm-rename-b', 'order-confirm-rename-c');
    await settle();
    await confirmFails();
    await fx.admin.redeliver(older);
    await settle();
    expect(await installationItem(id)).toMatchObject({ accountLogin: 'order-confirm-rename-b' });
    await runSchedule();
    expect(await installationItem(id)).toMatchObject({ accountLogin: 'order-confirm-rename-c' });
  });

  // What the confirmation changes is reported (docs/events.md "What GitHub reports"), as GitHub's.
  const link = async (id: number, accountId: string) => {
    const store = new InstallationStore(getServices().table);
    const details = await store.getDetails(id);
    if (!details) throw new Error('not stored');
    await store.linkWithDetails(details, accountId, 1, { writeDetails: false });
  };
  const reported = async (id: number) =>
    (await validOutboxEvents(fx.table)).filter(
      (event) => 'installation' in event.detail && event.detail.installation.id === id,
    );

  it('reports each change it makes: a suspension stored from an older event, then undone by GitHub’s word', async () => {
    const id = await install('order-events-suspend-org');
    await link(id, 'order-events-team');
    const suspend = await inOneSecond(async () => {
      const guid = await failing(() => fx.admin.suspend(id));
      await fx.admin.unsuspend(id);
      return guid;
    });
    await confirmFails();
    await fx.admin.redeliver(suspend);
    await settle();
    await runSchedule();
    const events = await reported(id);
    expect(events.map((event) => event.type)).toEqual(['installation.suspended', 'installation.unsuspended']);
    expect(events[0]?.detail.correlationId).toBe(suspend);
    expect(events[1]?.detail).toMatchObject({
      platformAccountIds: ['order-events-team'],
      actor: { type: 'github', login: null },
    });
    expect(events[1]?.detail.correlationId).not.toBe(suspend);
  });

  it('reports each login change once, the correction of an older rename included', async () => {
    const id = await install('order-events-a');
    await link(id, 'order-events-team');
    const older = await failing(() => fx.admin.renameUser('order-events-a', 'order-events-b'));
    await fx.admin.renameUser('order-events-b', 'order-events-c');
    await settle();
    await confirmFails();
    await fx.admin.redeliver(older);
    await settle();
    await runSchedule();
    const events = await reported(id);
    expect(
      events.map((event) => [
        event.type,
        'previousLogin' in event.detail ? event.detail.previousLogin : undefined,
        'installation' in event.detail ? event.detail.installation.accountLogin : undefined,
      ]),
    ).toEqual([
      ['installation.renamed', 'order-events-a', 'order-events-c'],
      ['installation.renamed', 'order-events-c', 'order-events-b'],
      ['installation.renamed', 'order-events-b', 'order-events-c'],
    ]);
    expect(events[1]?.detail.correlationId).toBe(older);
    expect(events[2]?.detail.actor).toEqual({ type: 'github', login: null });
  });

  it('a delivery whose writes fail reports nothing; its redelivery reports the change once', async () => {
    const id = await install('order-events-failed-org');
    await link(id, 'order-events-team');
    const suspend = await failing(() => fx.admin.suspend(id));
    expect(await reported(id)).toEqual([]);
    await fx.admin.redeliver(suspend);
    await fx.admin.redeliver(suspend);
    const events = await reported(id);
    expect(events.map((event) => [event.type, event.detail.correlationId])).toEqual([
      ['installation.suspended', suspend],
    ]);
  });

  it('leaves nothing pending once confirmed', async () => {
    await runSchedule();
    const pending = await fx.table.table.queryPartition('INSTALLATION#CONFIRMING', '');
    expect(pending).toEqual([]);
  });
});
