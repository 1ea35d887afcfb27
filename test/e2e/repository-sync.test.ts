/**
 * The reconciler (docs/repository-index.md "Reconciler") against the GitHub emulator (limits enforced,
 * conditional requests) and DynamoDB Local: the real handler, stores and index.
 */
import { jest } from '@jest/globals';
import {
  SYNC_LIMITS,
  syncInstallation,
  type SyncLimits,
} from '../../functions/repository-sync/sync-installation.js';
import { installationTokenSession } from '../../functions/shared/github/app-auth.js';
import { getServices } from '../../functions/shared/services.js';
import { RepositoryIndexStore } from '../../functions/shared/store/repository-index-store.js';
import { RepositorySyncStore } from '../../functions/shared/store/repository-sync-store.js';
import { inInvocationScope } from '../../local/invocation-scope.js';
import { scheduledEvent } from '../../local/schedule-timer.js';
import { invokeRepositorySync } from '../../local/repository-sync.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

let fx: ServiceFixture;
const appId = () => Number(fx.secrets.githubApp.appId);
const index = () => new RepositoryIndexStore(getServices().table);
const syncStore = () => new RepositorySyncStore(getServices().table);
const LIST = '/installation/repositories';

beforeAll(async () => {
  fx = await startService({ repositorySync: true });
});
afterAll(() => fx?.close());
afterEach(() => jest.restoreAllMocks());

/** An organisation with `count` repositories made before the App was installed there. */
async function organisation(login: string, count: number, admins: string[] = []) {
  await fx.admin.createUser({ login, type: 'Organization', admins });
  return fx.admin.createRepositories(login, { count, prefix: 'repo' });
}

/** Installs the App on `login`; with `dropCreated` its `installation.created` delivery is lost. */
async function install(login: string, options: { dropCreated?: boolean } = {}) {
  if (options.dropCreated) await fx.admin.call('POST', '/webhooks/faults', { count: 1, mode: 'drop' });
  const { installation } = await fx.admin.install({ appId: appId(), account: login });
  await fx.repositorySync?.idle();
  return installation.id;
}

const listCalls = async () =>
  (await fx.admin.calls()).filter((call) => call.method === 'GET' && call.route === LIST);

async function stateOf(installationId: number) {
  const [state] = await index().states([installationId]);
  return state;
}

/** One run of the sync itself, with a fake invocation clock or limits where a test needs them. */
function runSync(
  installationId: number,
  options: {
    remainingMs?: () => number;
    limits?: Partial<SyncLimits>;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
  } = {},
) {
  const { table, github } = getServices();
  return inInvocationScope('repository-sync', () =>
    syncInstallation(installationId, {
      index: new RepositoryIndexStore(table),
      store: new RepositorySyncStore(table),
      github,
      withToken: installationTokenSession(installationId, { permissions: { metadata: 'read' } }),
      remainingMs: options.remainingMs ?? (() => 600_000),
      limits: { ...SYNC_LIMITS, ...options.limits },
      ...(options.now ? { now: options.now } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    }),
  );
}

/** The sync as the schedule runs it: the very handler, in an invocation of its own. */
async function scheduledSync(installationId: number) {
  const result = await invokeRepositorySync({ installationId, reason: 'schedule' });
  if (result.kind !== 'installation') throw new Error('expected one installation’s run');
  return result.summary;
}

/** The most requests that were in flight at once (the emulator's call log, wall-clock times). */
function maxInFlight(calls: Array<{ startMs: number; endMs: number }>): number {
  const edges = calls.flatMap((call) => [
    [call.startMs, 1],
    [call.endMs, -1],
  ]);
  // An answer that ends as another starts does not overlap it.
  edges.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0));
  let current = 0;
  let most = 0;
  for (const [, delta] of edges) {
    current += delta ?? 0;
    most = Math.max(most, current);
  }
  return most;
}

describe('one installation of 250 repositories', () => {
  let installationId: number;
  let repos: Array<{ id: number; fullName: string }>;

  it('is indexed once it is installed, in at most ceil(n/100)+5 GitHub calls', async () => {
    repos = await organisation('sync-org', 250);
    await fx.admin.clearCalls();
    installationId = await install('sync-org');
    expect(fx.repositorySync?.errors).toEqual([]);
    expect(await stateOf(installationId)).toMatchObject({ status: 'ok', repositoryCount: 250 });
    expect((await stateOf(installationId))?.syncedAt).toEqual(expect.any(String));
    const indexed = await index().indexedIds(installationId);
    expect([...indexed.keys()].sort()).toEqual(repos.map((repo) => repo.id).sort());
    const calls = await fx.admin.calls();
    expect((await listCalls()).map((call) => call.status)).toEqual([200, 200, 200]);
    // The list's three pages, the token mint, and whatever the install's own webhook handling called.
    expect(calls.length).toBeLessThanOrEqual(Math.ceil(250 / 100) + 5);
  });

  it('resyncs unchanged with 304s only: no primary budget spent, nothing written to the index', async () => {
    const before = await syncStore().state(installationId);
    const fingerprints = await index().indexedIds(installationId);
    const syncedAt = (await stateOf(installationId))?.syncedAt;
    await fx.admin.clearCalls();

    const summary = await scheduledSync(installationId);

    expect(summary).toMatchObject({
      outcome: 'completed',
      requests: 3,
      notModified: 3,
      upserted: 0,
      removed: 0,
    });
    expect((await listCalls()).map((call) => call.status)).toEqual([304, 304, 304]);
    // GitHub's own reading after the 304s: the installation's budget is where the first sync left it.
    const after = await syncStore().state(installationId);
    expect(after.budget?.remaining).toBe(before.budget?.remaining);
    expect(await index().indexedIds(installationId)).toEqual(fingerprints);
    expect((await stateOf(installationId))?.syncedAt).not.toBe(syncedAt);
  });

  it('heals what lost webhooks missed: a repository added, one deleted, one renamed on GitHub', async () => {
    const deleted = repos[10] as { id: number; fullName: string };
    const renamed = repos[200] as { id: number; fullName: string };
    await fx.admin.call('POST', '/webhooks/faults', { count: 100, mode: 'drop' });
    const [added] = await fx.admin.createRepositories('sync-org', { names: ['late-arrival'] });
    await fx.admin.deleteRepository('sync-org', deleted.fullName.split('/')[1] ?? '');
    await fx.admin.renameRepository('sync-org', renamed.fullName.split('/')[1] ?? '', 'renamed-one');
    await fx.admin.call('DELETE', '/webhooks/faults');
    await fx.repositorySync?.idle();
    // No delivery reached the service: the index is as before.
    expect((await index().indexedIds(installationId)).has(added?.id ?? 0)).toBe(false);

    const summary = await scheduledSync(installationId);

    expect(summary).toMatchObject({ outcome: 'completed', upserted: 2, removed: 1 });
    const indexed = await index().indexedIds(installationId);
    expect(indexed.size).toBe(250);
    expect(indexed.has(added?.id ?? 0)).toBe(true);
    expect(indexed.has(deleted.id)).toBe(false);
    expect((await index().get(installationId, renamed.id))?.name).toBe('renamed-one');
    expect(await stateOf(installationId)).toMatchObject({ status: 'ok', repositoryCount: 250 });
    // And the next run finds nothing more to do, for no budget.
    expect(await scheduledSync(installationId)).toMatchObject({ notModified: 3, upserted: 0, removed: 0 });
  });

  const secondaryLimit = (retryAfterSeconds: number) =>
    fx.admin.fault({
      method: 'GET',
      route: LIST,
      count: 1,
      status: 403,
      headers: { 'retry-after': String(retryAfterSeconds) },
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      },
    });

  it('waits out a short secondary rate limit within the run, then goes on', async () => {
    await secondaryLimit(30);
    const waits: number[] = [];
    const summary = await runSync(installationId, {
      sleep: (ms) => Promise.resolve(void waits.push(ms)),
    });
    expect(summary).toMatchObject({ outcome: 'completed', throttledWaits: 1 });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(25_000);
    expect(waits[0]).toBeLessThanOrEqual(30_000);
  });

  it('stops on a long secondary rate limit with a checkpoint, and continues after retry-after', async () => {
    await secondaryLimit(120);
    const waits: number[] = [];
    const stopped = await runSync(installationId, { sleep: (ms) => Promise.resolve(void waits.push(ms)) });
    expect(stopped).toMatchObject({ outcome: 'checkpointed', stoppedBy: 'throttled' });
    expect(waits).toEqual([]);
    expect(Date.parse(stopped.resumeAfter ?? '') - Date.now()).toBeGreaterThan(100_000);
    await fx.admin.clearCalls();
    expect(await runSync(installationId)).toMatchObject({ outcome: 'deferred', requests: 0 });
    expect(await listCalls()).toEqual([]);
    const later = () => Date.now() + 121_000;
    expect(await runSync(installationId, { now: later })).toMatchObject({ outcome: 'completed' });
  });

  it('checkpoints a short rate limit too when the invocation has no time to wait it out', async () => {
    await secondaryLimit(30);
    const waits: number[] = [];
    const stopped = await runSync(installationId, {
      remainingMs: () => 50_000,
      sleep: (ms) => Promise.resolve(void waits.push(ms)),
    });
    expect(stopped).toMatchObject({ outcome: 'checkpointed', stoppedBy: 'throttled' });
    expect(waits).toEqual([]);
    expect(await runSync(installationId, { now: () => Date.now() + 31_000 })).toMatchObject({
      outcome: 'completed',
    });
  });
});

it('resumes from its checkpoint when an invocation runs out of time', async () => {
  await organisation('resume-org', 250);
  const installationId = await install('resume-org', { dropCreated: true });
  expect(await stateOf(installationId)).toMatchObject({
    status: 'syncing',
    syncedAt: null,
    repositoryCount: 0,
  });

  // Time for page 1 only: the invocation then has less than the margin left.
  let asked = 0;
  const first = await runSync(installationId, { remainingMs: () => (++asked <= 2 ? 600_000 : 1_000) });
  expect(first).toMatchObject({ outcome: 'checkpointed', stoppedBy: 'time', pages: 1, requests: 1 });
  expect((await syncStore().state(installationId)).pass?.nextPage).toBe(2);
  expect(await stateOf(installationId)).toMatchObject({
    status: 'syncing',
    syncedAt: null,
    repositoryCount: 100,
  });

  await fx.admin.clearCalls();
  const second = await scheduledSync(installationId);
  // Pages 2 and 3 only: page 1 is not read again.
  expect(second).toMatchObject({ outcome: 'completed', requests: 2, pages: 2, upserted: 150 });
  expect((await listCalls()).length).toBe(2);
  expect(await stateOf(installationId)).toMatchObject({ status: 'ok', repositoryCount: 250 });
});

it('never has more than 10 requests in flight for one installation', async () => {
  await organisation('wide-org', 1100);
  const installationId = await install('wide-org', { dropCreated: true });
  await fx.admin.setLatency(60);
  await fx.admin.clearCalls();
  try {
    const summary = await scheduledSync(installationId);
    expect(summary).toMatchObject({ outcome: 'completed', requests: 11, upserted: 1100 });
  } finally {
    await fx.admin.setLatency(0);
  }
  const calls = await listCalls();
  expect(calls).toHaveLength(11);
  const most = maxInFlight(calls);
  expect(most).toBeLessThanOrEqual(10);
  // Pages after the first are read in parallel (not one by one).
  expect(most).toBeGreaterThan(1);
});

it('asks for a sync on a new link only (a repeated PUT does not), and on new permissions', async () => {
  await fx.admin.createUser({ login: 'lara' });
  await organisation('link-org', 120, ['lara']);
  const installationId = await install('link-org', { dropCreated: true });
  const runs = () =>
    (fx.repositorySync?.results ?? []).filter(
      (result) => result.kind === 'installation' && result.installationId === installationId,
    ).length;
  expect(runs()).toBe(0);

  const lara = api(fx, await signIn(fx, 'lara'));
  const account = (await (await lara('/accounts', { method: 'POST', json: { name: 'Lara' } })).json()) as {
    id: string;
  };
  expect(
    (await lara(`/accounts/${account.id}/installations/${installationId}`, { method: 'PUT' })).status,
  ).toBe(201);
  await fx.repositorySync?.idle();
  expect(runs()).toBe(1);
  expect(await stateOf(installationId)).toMatchObject({ status: 'ok', repositoryCount: 120 });

  expect(
    (await lara(`/accounts/${account.id}/installations/${installationId}`, { method: 'PUT' })).status,
  ).toBe(200);
  await fx.repositorySync?.idle();
  expect(runs()).toBe(1);

  await fx.admin.call('POST', `/installations/${installationId}/permissions`, {
    permissions: { metadata: 'read', contents: 'write', administration: 'write' },
  });
  await fx.repositorySync?.idle();
  expect(runs()).toBe(2);
});

it('marks a suspended installation suspended and an uninstalled one unavailable, without failing', async () => {
  await organisation('gone-org', 30);
  const installationId = await install('gone-org');
  expect(await stateOf(installationId)).toMatchObject({ status: 'ok', repositoryCount: 30 });

  await fx.admin.suspend(installationId);
  await fx.repositorySync?.idle();
  expect(await scheduledSync(installationId)).toMatchObject({ outcome: 'suspended' });
  expect((await stateOf(installationId))?.status).toBe('suspended');

  await fx.admin.unsuspend(installationId);
  await fx.repositorySync?.idle();
  expect(await scheduledSync(installationId)).toMatchObject({ outcome: 'completed' });
  expect(await stateOf(installationId)).toMatchObject({ status: 'ok', repositoryCount: 30 });

  await fx.admin.call('POST', '/webhooks/faults', { count: 1, mode: 'drop' });
  await fx.admin.uninstall(installationId);
  expect(await scheduledSync(installationId)).toMatchObject({ outcome: 'unavailable' });
  expect((await stateOf(installationId))?.status).toBe('unavailable');
});

it('on its schedule, asks for a sync of every installation of the App (GitHub’s list)', async () => {
  const before = fx.repositorySync?.results.length ?? 0;
  const result = await invokeRepositorySync(scheduledEvent('RepositorySyncSchedule'));
  await fx.repositorySync?.idle();
  // sync-org, resume-org, wide-org and link-org (gone-org was uninstalled).
  expect(result).toEqual({ kind: 'schedule', requested: 4 });
  const runs = (fx.repositorySync?.results ?? []).slice(before);
  expect(runs).toHaveLength(4);
  expect(fx.repositorySync?.errors).toEqual([]);
  // Nothing changed on GitHub since their last runs: 304s only.
  for (const run of runs)
    if (run.kind === 'installation') expect(run.summary).toMatchObject({ outcome: 'completed', upserted: 0 });
});

// Last: it moves the emulator's clock an hour on.
it('never spends the budget below its reserve, and resumes after the reset', async () => {
  await organisation('budget-org', 250);
  const installationId = await install('budget-org', { dropCreated: true });
  // A reserve of 4,998 of the installation's 5,000: two requests may be spent, not three.
  const limits = { reserveRatio: 0.9995 };
  await fx.admin.clearCalls();

  const first = await runSync(installationId, { limits });
  expect(first).toMatchObject({ outcome: 'checkpointed', stoppedBy: 'budget', requests: 2 });
  const state = await syncStore().state(installationId);
  expect(state.budget).toMatchObject({ limit: 5000, remaining: 4998 });
  expect(Date.parse(first.resumeAfter ?? '')).toBeGreaterThan(Date.now() + 3_000_000);
  expect(await stateOf(installationId)).toMatchObject({ status: 'syncing', repositoryCount: 200 });

  // Before the reset: not one call.
  expect(await runSync(installationId, { limits })).toMatchObject({ outcome: 'deferred', requests: 0 });
  expect(await listCalls()).toHaveLength(2);

  // An hour on, for GitHub and for the service (its JWTs and token expiries follow Date.now).
  await fx.admin.advanceClock(3601);
  const realNow = Date.now.bind(Date);
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 3_601_000);
  const resumed = await runSync(installationId, { limits });
  expect(resumed).toMatchObject({ outcome: 'completed', requests: 1, upserted: 50 });
  expect(await stateOf(installationId)).toMatchObject({ status: 'ok', repositoryCount: 250 });
});
