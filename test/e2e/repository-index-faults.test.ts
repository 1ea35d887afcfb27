/**
 * The repository index under webhook faults (issue 20, "the index stays true under the webhook fault
 * tests"): a storm of repository changes on GitHub (the emulator's control API, as people on
 * github.com make them) across three installations, while DynamoDB fails some of the service's writes,
 * some deliveries are posted again (concurrently, same GUID), some arrive late and out of order, and
 * some are lost. Then the service's redelivery job runs once, and the reconciler once per installation.
 *
 * What must hold (docs/repository-index.md "Webhooks"):
 * - after the redelivery job, every repository whose deliveries all reached the service (a 2xx attempt
 *   of each, as the emulator's delivery log shows) is indexed exactly as GitHub has it: presence, name,
 *   visibility, archived, default branch. Excepted, by GitHub's design: a repository moved out of an
 *   `all` installation's account to one that tells the service nothing (GitHub sends no event), and one
 *   whose `installation_repositories` deliveries were applied out of order (they carry no time);
 * - after one reconciler run per installation, every repository is, and the list's exact `total` is
 *   the world's count.
 *
 * GitHub's limits stay enforced: the storm goes through the control API (people, not API calls), and
 * what the service calls (the deliveries API, the reconciler's pages) stays far inside them.
 */
import { jest } from '@jest/globals';
import { RepositoryIndexStore } from '../../functions/shared/store/repository-index-store.js';
import type { RepositoryList } from '../../functions/repositories/list-repositories.js';
import { coversRepository } from '../../local/github-emulator/repository-events.js';
import type { Delivery } from '../../local/github-emulator/webhooks.js';
import { runRedeliveryOnce } from '../../local/redelivery-timer.js';
import { invokeRepositorySync } from '../../local/repository-sync.js';
import { eventually } from '../support/repository-index.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';
import { seededRandom } from '../support/seeded-random.js';

jest.setTimeout(180_000);

const SEED = Number(process.env.STORM_SEED ?? 20_2026);
const ROUNDS = 10;
const CHANGES_PER_ROUND = 40;
const CONCURRENCY = 6;
/** Share of the service's DynamoDB write calls that fail on every SDK attempt during the storm. */
const WRITE_FAULT_RATE = 0.03;
const DROP_RATE = 0.04;
const DUPLICATE_RATE = 0.08;

const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem'];
const ORGS = ['storm-a', 'storm-b', 'storm-c', 'storm-x'] as const;
type Org = (typeof ORGS)[number];
/** storm-a and storm-c: `all`; storm-b: `selected`; storm-x: no installation. */
const INSTALLED: Org[] = ['storm-a', 'storm-b', 'storm-c'];

let fx: ServiceFixture;
let me: ReturnType<typeof api>;
let accountId: string;
const installationOf = new Map<Org, number>();
const random = seededRandom(SEED);
const appId = () => Number(fx.secrets.githubApp.appId);
const world = () => fx.emulator.world;
const index = () => new RepositoryIndexStore(fx.table.table);

/** Every repository id the storm has seen (deleted ones must be gone from every index). */
const everIds = new Set<number>();
/** Repositories GitHub says nothing about to an installation that indexes them (see the header). */
const untold = new Set<number>();

beforeAll(async () => {
  fx = await startService({ dynamoFaults: true, appEvents: ['repository'], repositorySync: true });
  await fx.admin.createUser({ login: 'stormy' });
  for (const org of ORGS) await fx.admin.createUser({ login: org, type: 'Organization', admins: ['stormy'] });
  const sizes: Record<Org, number> = { 'storm-a': 30, 'storm-b': 30, 'storm-c': 20, 'storm-x': 6 };
  for (const org of ORGS) {
    const made = await fx.admin.createRepositories(org, {
      names: Array.from({ length: sizes[org] }, (_, n) => `${org.slice(-1)}-${String(n).padStart(3, '0')}`),
    });
    for (const repo of made) withDevelopBranch(repo.id);
  }
  for (const org of INSTALLED) {
    const selected = org === 'storm-b';
    const { installation } = await fx.admin.install({
      appId: appId(),
      account: org,
      ...(selected
        ? {
            repositorySelection: 'selected' as const,
            repositories: Array.from({ length: 15 }, (_, n) => `b-${String(n * 2).padStart(3, '0')}`),
          }
        : {}),
    });
    installationOf.set(org, installation.id);
  }
  const session = await signIn(fx, 'stormy');
  if (!session.sessionId) throw new Error(`sign-in answered ${session.status} (${session.error ?? ''})`);
  me = api(fx, session);
  const created = await patiently(() => me('/accounts', { method: 'POST', json: { name: 'Storm' } }));
  expect(created.status).toBe(201);
  accountId = ((await created.json()) as { id: string }).id;
  for (const id of installationOf.values())
    expect(
      (await patiently(() => me(`/accounts/${accountId}/installations/${id}`, { method: 'PUT' }))).status,
    ).toBe(201);
  await fx.repositorySync?.idle();
  expect(fx.repositorySync?.errors).toEqual([]);
  for (const repo of world().repositories.values()) everIds.add(repo.id);
}, 120_000);
afterAll(() => fx?.close());

/**
 * An API call as a client makes it: a 503 (DynamoDB Local slow on a loaded machine) is tried again
 * after a moment, a few times. Any other answer is returned.
 */
async function patiently(call: () => Promise<Response>): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await call();
    if (response.status !== 503 || attempt >= 5) return response;
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
}

/** A second branch on GitHub, so the storm can move the default branch (`edited`). */
function withDevelopBranch(repositoryId: number) {
  const repo = world().repositories.get(repositoryId);
  const main = repo?.git.refs.get('refs/heads/main');
  if (repo && main) repo.git.refs.set('refs/heads/develop', main);
}

// ---------------------------------------------------------------------------------------------------
// GitHub's world, and the index

type Fields = {
  name: string;
  fullName: string;
  private: boolean;
  visibility: string;
  archived: boolean;
  defaultBranch: string;
};

/** What each installation reaches on GitHub now: installation id → repository id → fields. */
function expected(): Map<number, Map<number, Fields>> {
  const out = new Map<number, Map<number, Fields>>();
  for (const installationId of installationOf.values()) {
    const installation = world().installations.get(installationId);
    if (!installation) throw new Error(`no installation ${installationId}`);
    const reached = new Map<number, Fields>();
    for (const repo of world().repositories.values()) {
      if (!coversRepository(installation, repo)) continue;
      const owner = world().account(repo.ownerId).login;
      reached.set(repo.id, {
        name: repo.name,
        fullName: `${owner}/${repo.name}`,
        private: repo.private,
        visibility: repo.private ? 'private' : 'public',
        archived: repo.archived,
        defaultBranch: repo.defaultBranch,
      });
    }
    out.set(installationId, reached);
  }
  return out;
}

/** What the store holds: installation id → repository id → fields. */
async function indexed(): Promise<Map<number, Map<number, Fields>>> {
  const out = new Map<number, Map<number, Fields>>();
  for (const installationId of installationOf.values()) {
    const ids = [...(await index().indexedIds(installationId)).keys()];
    const records = await Promise.all(ids.map((id) => index().get(installationId, id)));
    const held = new Map<number, Fields>();
    for (const record of records)
      if (record)
        held.set(record.id, {
          name: record.name,
          fullName: record.fullName,
          private: record.private,
          visibility: record.visibility,
          archived: record.archived,
          defaultBranch: record.defaultBranch,
        });
    out.set(installationId, held);
  }
  return out;
}

/** The list, every page (100 a page), as a client walks it; and its `total`. */
async function walkList() {
  const entries: RepositoryList['repositories'] = [];
  let cursor: string | undefined;
  let total: number | undefined;
  for (let page = 0; page < 50; page++) {
    const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
    const response = await patiently(() => me(`/accounts/${accountId}/repositories?${query.toString()}`));
    expect(response.status).toBe(200);
    const body = (await response.json()) as RepositoryList;
    entries.push(...body.repositories);
    total ??= body.total;
    cursor = body.nextCursor;
    if (!cursor) return { entries, total };
  }
  throw new Error('the list never ended');
}

const listKey = (installationId: number, fullName: string) => `${installationId}:${fullName.toLowerCase()}`;

/** Differences between GitHub and the index for these repositories (all when omitted), readable. */
async function differences(only?: ReadonlySet<number>) {
  const want = expected();
  const have = await indexed();
  const { entries } = await walkList();
  const listed = new Map<string, Array<(typeof entries)[number]>>();
  for (const entry of entries) {
    const key = listKey(entry.installationId, entry.fullName);
    listed.set(key, [...(listed.get(key) ?? []), entry]);
  }
  const wrong: string[] = [];
  for (const [installationId, reached] of want) {
    const held = have.get(installationId) ?? new Map<number, Fields>();
    for (const id of everIds) {
      if (only && !only.has(id)) continue;
      const should = reached.get(id);
      const is = held.get(id);
      if (JSON.stringify(should) !== JSON.stringify(is))
        wrong.push(`${installationId}/${id}: GitHub ${JSON.stringify(should)}, index ${JSON.stringify(is)}`);
      if (!should) continue;
      const inList = listed.get(listKey(installationId, should.fullName)) ?? [];
      const matching = inList.filter(
        (entry) =>
          entry.name === should.name &&
          entry.private === should.private &&
          entry.visibility === should.visibility &&
          entry.archived === should.archived &&
          entry.defaultBranch === should.defaultBranch,
      );
      if (matching.length !== 1 || inList.length !== 1)
        wrong.push(
          `${installationId}/${id}: listed ${JSON.stringify(inList)}, GitHub ${JSON.stringify(should)}`,
        );
    }
  }
  return wrong;
}

// ---------------------------------------------------------------------------------------------------
// The storm

let nameCount = 0;
const freshName = (tag: string) => `${tag}-${String(++nameCount).padStart(4, '0')}`;
const isSelected = (repositoryId: number) =>
  world()
    .installations.get(installationOf.get('storm-b') ?? 0)
    ?.selectedRepositoryIds.has(repositoryId) === true;

/** GUIDs of the storm's deliveries the test redelivers later, by hand. */
const lateCandidates: string[] = [];
let drops = 0;
let duplicates = 0;
let lateRedeliveries = 0;

/** One change a person makes on github.com to one repository (or a new one), chosen at random. */
async function change(repositoryId: number | undefined): Promise<void> {
  if (repositoryId === undefined) {
    const org = random.pick(ORGS);
    const [made] = await fx.admin.createRepositories(org, {
      names: [freshName('new')],
      private: random.next() < 0.3,
    });
    if (made) {
      everIds.add(made.id);
      withDevelopBranch(made.id);
    }
    return;
  }
  const repo = world().repositories.get(repositoryId);
  if (!repo) return;
  const owner = world().account(repo.ownerId).login as Org;
  const name = repo.name;
  const roll = random.next();
  if (roll < 0.07) {
    await fx.admin.deleteRepository(owner, name);
    return;
  }
  if (roll < 0.17) {
    const to = random.pick(ORGS.filter((org) => org !== owner));
    // From an `all` installation's account to one whose installation does not reach it: GitHub tells
    // the old installation nothing (only the new owner's installations hear `transferred`).
    if ((owner === 'storm-a' || owner === 'storm-c') && (to === 'storm-x' || to === 'storm-b'))
      untold.add(repositoryId);
    await fx.admin.transferRepository(owner, name, to);
    return;
  }
  if (owner === 'storm-b' && roll < 0.37) {
    const installationId = installationOf.get('storm-b') ?? 0;
    if (isSelected(repositoryId))
      await fx.admin.call('POST', `/installations/${installationId}/repositories`, { remove: [name] });
    // installation_repositories `added` carries no archived flag or default branch: the index takes
    // GitHub's defaults until the reconciler reads the repository (docs/repository-index.md), so the
    // storm adds only repositories for which those defaults are true.
    else if (!repo.archived && repo.defaultBranch === 'main')
      await fx.admin.call('POST', `/installations/${installationId}/repositories`, { add: [name] });
    return;
  }
  if (repo.archived) {
    await fx.admin.archiveRepository(owner, name, false);
    return;
  }
  const kind = random.pick(['rename', 'archive', 'visibility', 'branch'] as const);
  if (kind === 'rename') await fx.admin.renameRepository(owner, name, freshName('ren'));
  if (kind === 'archive') await fx.admin.archiveRepository(owner, name);
  if (kind === 'visibility')
    await fx.admin.setRepositoryVisibility(owner, name, repo.private ? 'public' : 'private');
  if (kind === 'branch')
    await fx.admin.updateRepository(owner, name, {
      defaultBranch: repo.defaultBranch === 'main' ? 'develop' : 'main',
    });
}

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

const deliveries = () => fx.emulator.webhooks.deliveries;
const attemptsOf = (guid: string) => deliveries().filter((delivery) => delivery.guid === guid);
const succeeded = (delivery: Delivery) =>
  delivery.statusCode !== null && delivery.statusCode >= 200 && delivery.statusCode < 300;
const delivered = (guid: string) => attemptsOf(guid).some(succeeded);

/** The same delivery (same GUID) posted `copies` times at once, as GitHub occasionally does. */
async function postAgain(guid: string, copies: number) {
  await Promise.all(Array.from({ length: copies }, () => fx.admin.redeliver(guid)));
}

/** Waits for the next second on GitHub's clock: `updated_at` has seconds, so rounds stay ordered. */
async function nextSecond() {
  const second = Math.floor(Date.now() / 1000);
  expect(await eventually(() => Promise.resolve(Math.floor(Date.now() / 1000) > second), 5000)).toBe(true);
}

async function storm() {
  // DynamoDB fails some of the service's writes: every SDK attempt of a doomed call (its retries too).
  const doomed = new Map<string, boolean>();
  fx.dynamo?.inject({
    operations: WRITES,
    mode: 'fail',
    count: Infinity,
    match: (_body, headers) => {
      const call = String(headers['amz-sdk-invocation-id']);
      if (!doomed.has(call)) doomed.set(call, Math.random() < WRITE_FAULT_RATE);
      return doomed.get(call) === true;
    },
  });
  for (let round = 0; round < ROUNDS; round++) {
    const firstAttempt = deliveries().length;
    // Each repository changes at most once a round; rounds are seconds apart.
    const ids = [...world().repositories.keys()].sort(() => random.next() - 0.5);
    const changes: Array<number | undefined> = ids.slice(0, CHANGES_PER_ROUND - 3);
    changes.push(undefined, undefined, undefined);
    // Late: some deliveries that failed in earlier rounds arrive now, after newer ones (some twice at
    // once). One at a time, before this round's changes: `installation_repositories` payloads carry no
    // time, so the test must know in which order the service applied them (checkable()).
    for (const guid of lateCandidates.splice(0)) {
      if (delivered(guid) || random.next() >= 0.5) continue;
      lateRedeliveries++;
      await postAgain(guid, random.next() < 0.3 ? 2 : 1);
    }
    await pool(changes, CONCURRENCY, async (repositoryId) => {
      if (random.next() < DROP_RATE) {
        drops++;
        await fx.admin.dropWebhooks(1);
      }
      const before = deliveries().length;
      await change(repositoryId);
      // Posted again at once (the same GUID twice, concurrently), possibly while the first is in flight.
      if (random.next() < DUPLICATE_RATE)
        for (const guid of new Set(
          deliveries()
            .slice(before)
            .map((delivery) => delivery.guid),
        )) {
          duplicates++;
          await postAgain(guid, 2);
        }
    });
    for (const delivery of deliveries().slice(firstAttempt))
      if (!delivery.redelivery && !succeeded(delivery)) lateCandidates.push(delivery.guid);
    await nextSecond();
  }
  fx.dynamo?.clear();
}

/**
 * Two sequences the random storm rarely makes, made on purpose (each one's lost delivery arrives
 * late, so both must end right after the redelivery job):
 * - a rename lost, then a deletion in the same second; the rename arrives after the deletion;
 * - a transfer to storm-c lost, then the transfer back (seconds later); the first arrives last.
 */
const scripted = { deletedAfterRename: 0, transferredBack: 0 };
async function scriptedSequences() {
  const [marker] = await fx.admin.createRepositories('storm-a', { names: ['s-marker'] });
  const [moved] = await fx.admin.createRepositories('storm-a', { names: ['s-moved'] });
  if (!marker || !moved) throw new Error('not created');
  scripted.deletedAfterRename = marker.id;
  scripted.transferredBack = moved.id;
  everIds.add(marker.id).add(moved.id);
  await nextSecond();

  // Early in a second, so that the rename and the deletion share it.
  expect(await eventually(() => Promise.resolve(Date.now() % 1000 < 300), 3000)).toBe(true);
  await fx.admin.dropWebhooks(1);
  const renamed = await fx.admin.renameRepository('storm-a', 's-marker', 's-marker-renamed');
  await fx.admin.deleteRepository('storm-a', 's-marker-renamed');
  const lostRename = renamed.deliveries[0]?.guid ?? '';
  expect(delivered(lostRename)).toBe(false);

  await fx.admin.dropWebhooks(1);
  const away = await fx.admin.transferRepository('storm-a', 's-moved', 'storm-c');
  const lostTransfer = away.deliveries[0]?.guid ?? '';
  expect(delivered(lostTransfer)).toBe(false);
  await nextSecond();
  await fx.admin.transferRepository('storm-c', 's-moved', 'storm-a');

  await fx.admin.redeliver(lostRename);
  await fx.admin.redeliver(lostTransfer);
  expect([delivered(lostRename), delivered(lostTransfer)]).toEqual([true, true]);
}

/**
 * Repositories whose every delivery reached the service (a 2xx attempt), that GitHub told every
 * installation about, and whose `installation_repositories` deliveries were applied in the order
 * GitHub sent them (those payloads carry no time to order them by).
 */
function checkable(): Set<number> {
  const byRepository = new Map<number, Array<{ guid: string; event: string; installationId: number }>>();
  const originals = deliveries().filter((delivery) => !delivery.redelivery);
  const seen = new Set<string>();
  for (const delivery of originals) {
    if (seen.has(delivery.guid)) continue;
    seen.add(delivery.guid);
    const payload = JSON.parse(delivery.body) as {
      repository?: { id: number };
      repositories_added?: Array<{ id: number }>;
      repositories_removed?: Array<{ id: number }>;
    };
    const ids = [
      payload.repository?.id,
      ...(payload.repositories_added ?? []).map((repo) => repo.id),
      ...(payload.repositories_removed ?? []).map((repo) => repo.id),
    ];
    for (const id of ids)
      if (id !== undefined)
        byRepository.set(id, [
          ...(byRepository.get(id) ?? []),
          { guid: delivery.guid, event: delivery.event, installationId: delivery.installationId ?? 0 },
        ]);
  }
  // When a delivery took effect: its first 2xx attempt (later ones answer `duplicate`).
  const appliedAt = (guid: string) => attemptsOf(guid).find(succeeded)?.id ?? Infinity;
  const out = new Set<number>();
  for (const id of everIds) {
    if (untold.has(id)) continue;
    const sent = byRepository.get(id) ?? [];
    if (!sent.every((delivery) => delivered(delivery.guid))) continue;
    const inversion = sent.some((earlier, i) =>
      sent
        .slice(i + 1)
        .some(
          (later) =>
            later.installationId === earlier.installationId &&
            (earlier.event === 'installation_repositories' || later.event === 'installation_repositories') &&
            appliedAt(later.guid) < appliedAt(earlier.guid),
        ),
    );
    if (!inversion) out.add(id);
  }
  return out;
}

it('stays true under a storm of changes, DynamoDB faults, duplicates, late and lost deliveries; the reconciler heals the rest', async () => {
  expect(await differences()).toEqual([]);
  const before = deliveries().length;

  await storm();
  await scriptedSequences();

  const stormAttempts = deliveries().slice(before);
  const stormGuids = new Set(stormAttempts.map((delivery) => delivery.guid));
  const failedFirst = new Set(
    stormAttempts.filter((delivery) => !delivery.redelivery && !succeeded(delivery)).map((d) => d.guid),
  );
  const lost = stormAttempts.filter((delivery) => delivery.error === 'timed out').length;

  // The redelivery job, once, as its schedule runs it (a minute on: leases of failed attempts have
  // lapsed). Some of its attempts are lost too: those deliveries stay undelivered until the reconciler.
  const stillLost = [...stormGuids].filter((guid) => !delivered(guid)).length;
  await fx.admin.dropWebhooks(Math.max(1, Math.ceil(stillLost / 2)));
  const realNow = Date.now.bind(Date);
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 61_000);
  const run = await runRedeliveryOnce();
  jest.restoreAllMocks();
  await fx.admin.call('DELETE', '/webhooks/faults');
  const undelivered = [...stormGuids].filter((guid) => !delivered(guid));
  const checked = checkable();
  const figures = {
    seed: SEED,
    deliveries: stormGuids.size,
    attempts: stormAttempts.length,
    failedFirst: failedFirst.size,
    // Answered 5xx: the table failed under the delivery (503), as opposed to lost on the way.
    tableFailures: stormAttempts.filter((delivery) => (delivery.statusCode ?? 0) >= 500).length,
    lostAttempts: lost,
    drops,
    duplicates,
    lateRedeliveries,
    jobRedelivered: run.redelivered.length,
    undeliveredAfterJob: undelivered.length,
    repositories: everIds.size,
    checkedAfterJob: checked.size,
    untold: untold.size,
  };
  // The storm's figures, for the report (counts only).
  process.stdout.write(`Repository index storm ${JSON.stringify(figures)}\n`);
  expect(run.redelivered.length).toBeGreaterThan(0);
  // The faults reached the service, and the check is not vacuous.
  expect(stormGuids.size).toBeGreaterThanOrEqual(250);
  expect(failedFirst.size).toBeGreaterThan(0);
  expect(checked.size).toBeGreaterThanOrEqual(everIds.size / 2);
  expect(checked.has(scripted.deletedAfterRename) && checked.has(scripted.transferredBack)).toBe(true);

  // After the redelivery job: every repository whose deliveries all reached the service is right.
  expect(await differences(checked)).toEqual([]);

  // One reconciler run per installation heals the rest: the lost deliveries, the untold transfers.
  // (A run that the table or GitHub failed part-way checkpoints; only then does a second one run.)
  for (const installationId of installationOf.values()) {
    let result = await invokeRepositorySync({ installationId, reason: 'schedule' });
    if (result.kind === 'installation' && result.summary.outcome === 'checkpointed')
      result = await invokeRepositorySync({ installationId, reason: 'schedule' });
    expect(result).toMatchObject({ kind: 'installation', summary: { outcome: 'completed' } });
  }
  expect(await differences()).toEqual([]);
  const want = expected();
  const worldCount = [...want.values()].reduce((sum, reached) => sum + reached.size, 0);
  const { entries, total } = await walkList();
  expect(total).toBe(worldCount);
  expect(entries).toHaveLength(worldCount);
  const [state] = await index().states([installationOf.get('storm-a') ?? 0]);
  expect(state?.repositoryCount).toBe(want.get(installationOf.get('storm-a') ?? 0)?.size);
});
