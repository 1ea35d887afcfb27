import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { jest } from '@jest/globals';
import { setLocalRepositorySyncRunner } from '../../functions/shared/repositories/request-sync.js';
import {
  InstallationStore,
  type InstallationDetails,
} from '../../functions/shared/store/installation-store.js';
import { runRedeliveryOnce } from '../../local/redelivery-timer.js';
import { invokeRepositorySync } from '../../local/repository-sync.js';
import { startService, type ServiceFixture } from '../support/service.js';

/**
 * The storm (issue 21, "No lost delivery"): real GitHub changes through the emulator, each delivered to
 * the real webhook handler over HTTP, with DynamoDB failing 5 % of the SDK's write calls between them
 * (fail on every attempt; the write landing and its answer lost, once or on every attempt), concurrent
 * duplicate copies and older deliveries redelivered out of order. Then the redelivery job runs (against
 * the emulator's deliveries API) until it says complete, and the table is scanned against GitHub's
 * final state: 0 deliveries never applied, 0 wrong items.
 */
const INSTALLATIONS = 40;
const CHANGES_PER_INSTALLATION = 24;
/** Installations changed at once (each one's changes in order, as GitHub makes them). */
const CONCURRENCY = 10;
const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem'];

let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService({ dynamoFaults: true });
});
afterAll(async () => {
  setLocalRepositorySyncRunner(undefined);
  await fx.close();
});

/**
 * Lambda's asynchronous invocations of the reconciler, for the one request webhooks make of it here:
 * `confirm` (an installation's details read from GitHub). One at a time per installation, retried
 * twice on failure as Lambda retries an asynchronous invocation. The full repository syncs that
 * `created` and `new_permissions_accepted` ask for are left out: they index repositories, which this
 * storm does not look at, and would only slow it down.
 */
function confirmRunner() {
  const runs: Array<Promise<void>> = [];
  const last = new Map<number, Promise<void>>();
  let lost = 0;
  setLocalRepositorySyncRunner((request) => {
    if (request.reason !== 'confirm') return;
    const run = (last.get(request.installationId) ?? Promise.resolve()).then(async () => {
      for (let attempt = 1; attempt <= 3; attempt++) {
        try {
          await invokeRepositorySync(request);
          return;
        } catch {
          // Retried as Lambda retries an asynchronous invocation: twice, after a pause (1 and 2 minutes
          // in AWS, scaled down here). Back to back, one stall of DynamoDB Local on a busy machine
          // failed all three (a CI run lost one confirm that way).
          if (attempt < 3) await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
        }
      }
      lost++;
    });
    last.set(request.installationId, run);
    runs.push(run);
  });
  return {
    lost: () => lost,
    async idle() {
      for (let seen = -1; seen !== runs.length;) {
        seen = runs.length;
        await Promise.all(runs);
      }
    },
  };
}

/** A small seeded generator: the same storm on every run. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

type Fate = 'fail' | 'drop-once' | 'drop-all' | undefined;

/** Decides per SDK call (its `amz-sdk-invocation-id`, the same across the SDK's retries). */
function injectWriteFaults(rate: number) {
  const rng = random(21);
  const fates = new Map<string, Fate>();
  const fateOf = (headers: Record<string, unknown>): Fate => {
    const call = String(headers['amz-sdk-invocation-id']);
    if (!fates.has(call)) {
      const roll = rng();
      fates.set(
        call,
        roll < rate * 0.4 ? 'fail' : roll < rate * 0.8 ? 'drop-once' : roll < rate ? 'drop-all' : undefined,
      );
    }
    return fates.get(call);
  };
  const dropped = new Set<string>();
  fx.dynamo?.inject({
    operations: WRITES,
    mode: 'fail',
    count: Infinity,
    match: (_body, headers) => fateOf(headers) === 'fail',
  });
  fx.dynamo?.inject({
    operations: WRITES,
    mode: 'drop',
    count: Infinity,
    match: (_body, headers) => {
      const call = String(headers['amz-sdk-invocation-id']);
      const fate = fateOf(headers);
      if (fate === 'drop-all') return true;
      if (fate !== 'drop-once' || dropped.has(call)) return false;
      dropped.add(call);
      return true;
    },
  });
  return fates;
}

/**
 * An installation's details once its `created` delivery is applied. Forty installs at once on a busy
 * machine may see some deliveries answered 503 (DynamoDB Local slower than the client's timeout): those
 * are redelivered, as the redelivery job would, so that every installation of the storm starts linked.
 */
async function appliedDetails(store: InstallationStore, id: number): Promise<InstallationDetails> {
  for (let attempt = 1; attempt <= 10; attempt++) {
    const details = await settled(() => store.getDetails(id));
    if (details) return details;
    const created = (await fx.admin.deliveries()).find(
      (delivery) =>
        delivery.installation_id === id && delivery.event === 'installation' && delivery.action === 'created',
    );
    if (created) await fx.admin.redeliver(created.guid);
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
  throw new Error(`installation ${id}: its created delivery was never applied`);
}

/**
 * The test's own setup writes, straight to DynamoDB Local (no faults): retried while DynamoDB Local,
 * on a busy machine, answers later than the client's timeout.
 */
async function settled<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= 5 || (error as Error).name !== 'ServiceUnavailableError') throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

async function scan() {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await fx.table.raw.send(
      new ScanCommand({ TableName: fx.table.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return items;
}

it('≥ 1,000 deliveries, 5 % DynamoDB write faults, duplicates, lost answers, out of order: after the job, 0 never applied, 0 wrong', async () => {
  const appId = Number(fx.secrets.githubApp.appId);
  const rng = random(7);
  const world = fx.emulator.world;
  const confirms = confirmRunner();
  const logins = new Map<number, string>();
  const linked = new Map<number, string>();

  // Installations on fresh organisations, each linked to an account (written straight to the table).
  const ids = await Promise.all(
    Array.from({ length: INSTALLATIONS }, async (_, index) => {
      const login = `storm-${index}`;
      await fx.admin.createUser({ login, type: 'Organization' });
      const { installation } = await fx.admin.install({ appId, account: login });
      logins.set(installation.id, login);
      return installation.id;
    }),
  );
  const store = new InstallationStore(fx.table.table);
  for (const id of ids) {
    const details = await appliedDetails(store, id);
    await settled(() => store.linkWithDetails(details, `storm-account-${id}`, 1, { writeDetails: false }));
    linked.set(id, `storm-account-${id}`);
  }

  const faults = injectWriteFaults(0.05);
  const permissionSets = [
    { metadata: 'read', contents: 'read' },
    { metadata: 'read', contents: 'write' },
    { metadata: 'read', contents: 'write', administration: 'write' },
  ];
  let renames = 0;
  /** One installation's changes at GitHub, in order; every 8th installation is uninstalled at the end. */
  const changes = async (id: number, position: number) => {
    for (let step = 0; step < CHANGES_PER_INSTALLATION; step++) {
      const installation = world.installations.get(id);
      if (!installation) return;
      const roll = rng();
      if (roll < 0.45) {
        if (installation.suspendedAt) await fx.admin.unsuspend(id);
        else await fx.admin.suspend(id);
      } else if (roll < 0.8) {
        const permissions = permissionSets[Math.floor(rng() * permissionSets.length)];
        await fx.admin.call('POST', `/installations/${id}/permissions`, { permissions });
      } else {
        const login = logins.get(id) ?? '';
        const next = `${login.split('~')[0]}~${++renames}`;
        await fx.admin.renameUser(login, next);
        logins.set(id, next);
      }
    }
    if (position % 8 === 0) await fx.admin.uninstall(id);
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ids.length) {
        const position = next++;
        const id = ids[position];
        if (id !== undefined) await changes(id, position);
      }
    }),
  );

  // Older deliveries again, out of order, some as two concurrent copies (the same GUID twice at once).
  const sent = [...fx.emulator.webhooks.deliveries];
  const older = sent.filter(() => rng() < 0.15).reverse();
  for (let index = 0; index < older.length; index += 10) {
    await Promise.all(
      older.slice(index, index + 10).flatMap((delivery, offset) => {
        const copies = offset % 3 === 0 ? 2 : 1;
        return Array.from({ length: copies }, () => fx.admin.redeliver(delivery.guid));
      }),
    );
  }
  const guids = new Set(fx.emulator.webhooks.deliveries.map((delivery) => delivery.guid));
  expect(guids.size).toBeGreaterThanOrEqual(1000);
  const faulted = [...faults.values()].filter((fate) => fate !== undefined).length;
  expect(faulted).toBeGreaterThan(20);
  await confirms.idle();

  // The schedule: time passes between runs (leases lapse), until a run finds nothing left to do.
  fx.dynamo?.clear();
  const realNow = Date.now.bind(Date);
  const runs = [];
  for (let offset = 0; runs.length < 20;) {
    offset += 61_000;
    const at = offset;
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + at);
    const run = await runRedeliveryOnce();
    runs.push(run);
    await confirms.idle();
    if (run.complete) break;
  }
  jest.restoreAllMocks();
  expect(runs.at(-1)).toMatchObject({ complete: true });
  expect(confirms.lost()).toBe(0);

  const items = await scan();
  const byKey = new Map(items.map((item) => [`${String(item.PK)}|${String(item.SK)}`, item]));
  // 0 never applied: every delivery GitHub made is recorded done (applied, or ignored as older).
  const notDone = [...guids].filter((guid) => byKey.get(`DELIVERY#${guid}|DELIVERY`)?.status !== 'done');
  expect(notDone).toEqual([]);

  // 0 wrong items: the table says what GitHub says now.
  const wrong: string[] = [];
  for (const id of ids) {
    const meta = byKey.get(`INSTALLATION#${id}|META`);
    const tombstone = byKey.get(`INSTALLATION#${id}|TOMBSTONE`);
    const account = linked.get(id);
    const link = account ? byKey.get(`ACCOUNT#${account}|INSTALLATION#${id}`) : undefined;
    const installation = world.installations.get(id);
    if (!installation) {
      if (meta || !tombstone || link)
        wrong.push(`${id}: uninstalled, yet described ${!!meta} or linked ${!!link}`);
      continue;
    }
    const login = world.account(installation.accountId).login;
    const sorted = (record: unknown) => Object.entries((record ?? {}) as Record<string, unknown>).sort();
    const expected = {
      suspendedAt: installation.suspendedAt,
      permissions: sorted(installation.permissions),
      accountLogin: login,
    };
    const actual = {
      suspendedAt: meta?.suspendedAt,
      permissions: sorted(meta?.permissions),
      accountLogin: meta?.accountLogin,
    };
    if (JSON.stringify(actual) !== JSON.stringify(expected) || tombstone || !link)
      wrong.push(`${id}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`);
  }
  expect(wrong).toEqual([]);
  // Each effect once: no installation item beside its tombstone, and one details item per installation.
  const described = items.filter((item) => String(item.PK).startsWith('INSTALLATION#') && item.SK === 'META');
  expect(described).toHaveLength(ids.filter((id) => world.installations.has(id)).length);
}, 180_000);
