import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { RepositoryList } from '../../functions/repositories/list-repositories.js';
import { getServices } from '../../functions/shared/services.js';
import { RepositoryIndexStore } from '../../functions/shared/store/repository-index-store.js';
import { recordDynamoRequests } from '../support/dynamodb-requests.js';
import { eventually, seedIndex } from '../support/repository-index.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * The list answers from the repository index (docs/repository-index.md): no GitHub call, O(page)
 * table reads. The index is seeded as a completed sync would fill it (seedIndex, a stand-in for the
 * reconciler), then kept by the `repository` and `installation_repositories` webhooks the emulator
 * sends when a test changes GitHub through its control API.
 */
let fx: ServiceFixture;
type Call = ReturnType<typeof api>;
const sessions: Record<string, Call> = {};
const installs: Record<string, number> = {};
const accounts: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };

type ListBody = RepositoryList;

const SMALL = ['api', 'API-gateway', 'web', 'docs', 'Rapid', 'tools', 'zeta', 'alpha', 'beta', 'gamma'];
const WORDS = ['payments-api', 'aquasarium', 'my_lib.core', 'api-api', 'Pay.Roll'];

beforeAll(async () => {
  // Through the DynamoDB fault proxy, so a test can throttle the table under the list.
  fx = await startService({ dynamoFaults: true, appEvents: ['repository'] });
  const appId = Number(fx.secrets.githubApp.appId);
  for (const login of ['alice', 'bob', 'eve']) await fx.admin.createUser({ login });
  const orgs = ['small-org', 'big-org', 'sus-org', 'one-org', 'two-org', 'word-org'];
  for (const org of orgs) {
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['alice'], members: ['bob'] });
  }
  await fx.admin.createRepositories('small-org', { names: SMALL });
  await fx.admin.createRepositories('big-org', { count: 1000, prefix: 'big' });
  await fx.admin.createRepositories('sus-org', { names: ['sus-1', 'sus-2'] });
  await fx.admin.createRepositories('one-org', { names: ['one-1', 'one-2'] });
  await fx.admin.createRepositories('two-org', { names: ['two-1'] });
  await fx.admin.createRepositories('word-org', { names: WORDS });
  for (const target of orgs) {
    installs[target] = (await fx.admin.install({ appId, account: target })).installation.id;
  }
  for (const login of ['alice', 'bob', 'eve']) sessions[login] = api(fx, await signIn(fx, login));
  const alice = sessions.alice as Call;
  for (const key of ['a', 'b', 'c'] as const) {
    const created = await alice('/accounts', { method: 'POST', json: { name: `Account ${key}` } });
    accounts[key] = ((await created.json()) as { id: string }).id;
  }
  // bob is a plain member of account A.
  const invited = await alice(`/accounts/${accounts.a}/members`, {
    method: 'POST',
    json: { login: 'bob', role: 'member' },
  });
  const { id } = (await invited.json()) as { id: string };
  expect((await (sessions.bob as Call)(`/invitations/${id}/accept`, { method: 'POST' })).status).toBe(200);
  const link = async (account: string, target: string) => {
    const linked = await alice(`/accounts/${account}/installations/${installs[target]}`, { method: 'PUT' });
    expect(linked.status).toBe(201);
  };
  for (const target of ['small-org', 'big-org', 'sus-org', 'word-org']) await link(accounts.a, target);
  for (const target of ['one-org', 'two-org']) await link(accounts.c, target);
  // All synced but two-org, whose first sync has not completed.
  for (const target of orgs) await seedIndex(fx, installs[target] ?? 0, { synced: target !== 'two-org' });
}, 180_000);
afterAll(() => fx?.close());

async function list(who: string, account: string, query: Record<string, string | number> = {}) {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const response = await (sessions[who] as Call)(
    `/accounts/${account}/repositories${search.size ? `?${search.toString()}` : ''}`,
  );
  return { status: response.status, body: (await response.json()) as ListBody & { error?: string } };
}

const names = async (who: string, account: string, query: Record<string, string | number> = {}) =>
  (await list(who, account, query)).body.repositories.map((repo) => repo.name);

/** Every name across all pages, following nextCursor. */
async function walk(
  account: string,
  query: Record<string, string | number>,
  between?: (page: number) => Promise<void>,
) {
  const seen: string[] = [];
  let cursor: string | undefined;
  let page = 0;
  do {
    const { status, body } = await list('bob', account, { ...query, ...(cursor ? { cursor } : {}) });
    expect(status).toBe(200);
    seen.push(...body.repositories.map((repo) => repo.name));
    cursor = body.nextCursor;
    await between?.(++page);
  } while (cursor);
  return seen;
}

/** Every item in the table (sorted), to show that listing writes nothing. */
async function tableItems() {
  const items: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await fx.table.raw.send(
      new ScanCommand({
        TableName: fx.table.tableName,
        ...(start ? { ExclusiveStartKey: start as never } : {}),
      }),
    );
    for (const item of page.Items ?? []) items.push(JSON.stringify(item, Object.keys(item).sort()));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort();
}

const byLowerName = (x: string, y: string) => (x.toLowerCase() < y.toLowerCase() ? -1 : 1);

describe('GET /accounts/{accountId}/repositories (from the index)', () => {
  it('a member lists one linked installation’s repositories, sorted by full name, with every field and the total', async () => {
    const installationId = installs['small-org'] ?? 0;
    const { status, body } = await list('bob', accounts.a, { installationId });
    expect(status).toBe(200);
    expect(body.repositories.map((repo) => repo.name)).toEqual([...SMALL].sort(byLowerName));
    expect(body.repositories[0]).toEqual({
      installationId,
      owner: 'small-org',
      name: 'alpha',
      fullName: 'small-org/alpha',
      private: false,
      visibility: 'public',
      defaultBranch: 'main',
      archived: false,
      htmlUrl: `${fx.emulator.url}/small-org/alpha`,
      updatedAt: expect.any(String) as string,
    });
    expect(body.nextCursor).toBeUndefined();
    expect(body.total).toBe(SMALL.length);
    expect(body.installations).toEqual([
      { id: installationId, account: 'small-org', status: 'ok', syncedAt: expect.any(String) as string },
    ]);
  });

  it('costs 0 GitHub calls, 2 sequential table round trips (the session included), and O(page) reads', async () => {
    const recorder = recordDynamoRequests(getServices().table.client);
    try {
      const cases: Array<Record<string, string | number>> = [
        { limit: 30 },
        { limit: 100, installationId: installs['big-org'] ?? 0 },
        { q: 'big-09' },
      ];
      const first = await list('bob', accounts.a, { limit: 30 });
      cases.push({ limit: 30, cursor: first.body.nextCursor ?? '' });
      await fx.admin.clearCalls();
      for (const query of cases) {
        recorder.clear();
        const { status, body } = await list('bob', accounts.a, query);
        expect(status).toBe(200);
        expect(body.repositories.length).toBeGreaterThan(0);
        // The session beside the links; then the membership beside the index.
        const listing = recorder.requests.sort((x, y) => x.startMs - y.startMs);
        expect({ query, roundTrips: recorder.sequentialRoundTrips(listing) }).toEqual({
          query,
          roundTrips: 2,
        });
        // One Query per listed installation (at most 4 here), whatever the organisation's size.
        const queries = listing.filter((request) => request.operation === 'Query');
        expect(queries.length).toBeLessThanOrEqual(1 + 4);
        expect(recorder.totals().readUnits).toBeLessThan(60);
      }
      expect(await fx.admin.calls()).toEqual([]);
    } finally {
      recorder.stop();
    }
  });

  it('walks 1,000 + the others exactly once with limit and cursor; limit above 100 is 100; exact totals', async () => {
    const big = installs['big-org'] ?? 0;
    const capped = await list('bob', accounts.a, { limit: 500, installationId: big });
    expect(capped.body.repositories).toHaveLength(100);
    expect(capped.body.repositories[0]?.name).toBe('big-0001');
    expect(capped.body.total).toBe(1000);
    const all = await walk(accounts.a, { limit: 100 });
    const expected = 1000 + SMALL.length + 2 + WORDS.length;
    expect(all).toHaveLength(expected);
    expect(new Set(all).size).toBe(expected);
    expect((await list('bob', accounts.a)).body.total).toBe(expected);
  });

  it('an account without links gets 200, nothing and a total of 0; a non-member 404; an unlinked installation 404', async () => {
    expect(await list('alice', accounts.b)).toEqual({
      status: 200,
      body: { repositories: [], total: 0, installations: [] },
    });
    const outsider = await list('eve', accounts.a);
    expect([outsider.status, outsider.body.error]).toEqual([404, 'account_not_found']);
    // The links are read beside the session: a non-member still learns nothing of them.
    for (const installationId of [installs['one-org'] ?? 0, installs['big-org'] ?? 0]) {
      const probe = await list('eve', accounts.a, { installationId });
      expect([probe.status, probe.body.error, probe.body.repositories]).toEqual([
        404,
        'account_not_found',
        undefined,
      ]);
    }
    const unlinked = await list('bob', accounts.a, { installationId: installs['one-org'] ?? 0 });
    expect([unlinked.status, unlinked.body.error]).toEqual([404, 'installation_not_found']);
  });

  it('q matches the start of the name or of a word (split on - _ .), case-insensitively, and nothing else', async () => {
    const word = { installationId: installs['word-org'] ?? 0 };
    // Ordered by the matched part: `api` (payments-api's second word), then `api-api`.
    expect(await names('bob', accounts.a, { ...word, q: '  aPi ' })).toEqual(['payments-api', 'api-api']);
    expect(await names('bob', accounts.a, { ...word, q: 'pay' })).toEqual(['Pay.Roll', 'payments-api']);
    expect(await names('bob', accounts.a, { ...word, q: 'payments-a' })).toEqual(['payments-api']);
    expect(await names('bob', accounts.a, { ...word, q: 'roll' })).toEqual(['Pay.Roll']);
    expect(await names('bob', accounts.a, { ...word, q: 'lib.c' })).toEqual(['my_lib.core']);
    expect(await names('bob', accounts.a, { ...word, q: 'quas' })).toEqual([]);
    expect(await names('bob', accounts.a, { ...word, q: 'ments' })).toEqual([]);
    // Across installations: small-org's api and API-gateway too, but not Rapid.
    expect(await names('bob', accounts.a, { q: 'api' })).toEqual([
      'api',
      'payments-api',
      'api-api',
      'API-gateway',
    ]);
    const search = await list('bob', accounts.a, { q: 'api' });
    expect(search.body.total).toBeUndefined();
  });

  it('a q no repository name could match reads no repository', async () => {
    const recorder = recordDynamoRequests(getServices().table.client);
    try {
      for (const q of ['a b', 'a/b', 'ä', '%']) {
        recorder.clear();
        const { status, body } = await list('bob', accounts.a, { q });
        expect({ q, status, repositories: body.repositories }).toEqual({ q, status: 200, repositories: [] });
        expect(recorder.requests.filter((request) => request.operation === 'Query')).toHaveLength(1); // the links
      }
    } finally {
      recorder.stop();
    }
  });

  it('pages a search with its cursor, each repository once; a cursor of another search is 400', async () => {
    const seen = await walk(accounts.a, { q: 'api', limit: 1 });
    expect(seen).toEqual(['api', 'payments-api', 'api-api', 'API-gateway']);
    const first = await list('bob', accounts.a, { q: 'api', limit: 1 });
    const cursor = first.body.nextCursor ?? '';
    for (const query of [{ q: 'pay', cursor }, { cursor }] as Array<Record<string, string>>) {
      const { status, body } = await list('bob', accounts.a, query);
      expect({ status, error: body.error }).toEqual({ status: 400, error: 'invalid_cursor' });
    }
  });

  it('refuses bad query values with 400', async () => {
    for (const [query, code] of [
      [{ limit: 0 }, 'invalid_query'],
      [{ limit: 'ten' }, 'invalid_query'],
      [{ q: 'x'.repeat(101) }, 'invalid_query'],
      [{ installationId: 'abc' }, 'invalid_query'],
      [{ cursor: '!!!' }, 'invalid_cursor'],
      [{ cursor: Buffer.from('{"n":1}').toString('base64url') }, 'invalid_cursor'],
      [{ cursor: Buffer.from('not json').toString('base64url') }, 'invalid_cursor'],
    ] as const) {
      const { status, body } = await list('bob', accounts.a, query);
      expect({ query, status, error: body.error }).toEqual({ query, status: 400, error: code });
    }
  });

  it('a page planned by its cursor reads about a page in 2 round trips; a wrong plan reads again, same page', async () => {
    // Account A's first 100 names are all big-org's: its cursor says so, and the next page reads
    // 101 of big-org and a share of the others, not 101 of each.
    const first = await list('bob', accounts.a, { limit: 100 });
    const cursor = first.body.nextCursor ?? '';
    const body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(body.h).toEqual([installs['big-org'], 100]);
    const recast = (h: unknown) => Buffer.from(JSON.stringify({ ...body, h })).toString('base64url');
    const { h: _h, ...unplanned } = body;
    const cursors = {
      planned: cursor,
      // A cursor without the plan (as given out before it): limit + 1 from each installation.
      unplanned: Buffer.from(JSON.stringify(unplanned)).toString('base64url'),
      // A plan that says small-org gave the last page.
      wrong: recast([installs['small-org'], 100]),
    };
    const recorder = recordDynamoRequests(getServices().table.client);
    const seen: Record<string, { names: string[]; roundTrips: number; asked: number; next: boolean }> = {};
    try {
      for (const [label, value] of Object.entries(cursors)) {
        recorder.clear();
        const { status, body: page } = await list('bob', accounts.a, { limit: 100, cursor: value });
        expect(status).toBe(200);
        seen[label] = {
          names: page.repositories.map((repo) => repo.name),
          roundTrips: recorder.sequentialRoundTrips(recorder.requests.sort((x, y) => x.startMs - y.startMs)),
          // Index entries asked for (the Queries' Limits; the links' Query has none).
          asked: recorder.requests.reduce((sum, request) => sum + (request.limit ?? 0), 0),
          next: page.nextCursor !== undefined,
        };
      }
    } finally {
      recorder.stop();
    }
    const expected = Array.from({ length: 100 }, (_, n) => `big-${String(101 + n).padStart(4, '0')}`);
    expect(seen.unplanned).toMatchObject({ names: expected, roundTrips: 2, next: true });
    expect(seen.planned).toMatchObject({ names: expected, roundTrips: 2, next: true });
    expect(seen.wrong).toMatchObject({ names: expected, roundTrips: 3, next: true });
    // 4 installations: 101 each without the plan; with it 101 of big-org and ⌈100 / 4⌉ + 1 of the others.
    expect([seen.unplanned?.asked, seen.planned?.asked]).toEqual([4 * 101, 101 + 3 * 26]);
    // A first page answered before (this container remembers its shape) is planned the same way.
    const again = recordDynamoRequests(getServices().table.client);
    try {
      const repeated = await list('bob', accounts.a, { limit: 100 });
      expect(repeated.body.repositories).toEqual(first.body.repositories);
      expect(again.sequentialRoundTrips(again.requests.sort((x, y) => x.startMs - y.startMs))).toBe(2);
      expect(again.requests.reduce((sum, request) => sum + (request.limit ?? 0), 0)).toBe(101 + 3 * 26);
    } finally {
      again.stop();
    }
    const malformed = await list('bob', accounts.a, { limit: 100, cursor: recast([1, 2, 3]) });
    expect([malformed.status, malformed.body.error]).toEqual([400, 'invalid_cursor']);
  });

  it('the cursor stays stable while repositories are created and deleted between pages', async () => {
    const installationId = installs['small-org'] ?? 0;
    const before = await names('bob', accounts.a, { installationId, limit: 100 });
    let deleted = '';
    const seen = await walk(accounts.a, { installationId, limit: 3 }, async (page) => {
      if (page !== 2) return;
      // One sorts before the pages already read, one after; one not yet read is deleted.
      await fx.admin.createRepositories('small-org', { names: ['aaa-new', 'zzz-new'] });
      deleted = 'tools';
      await fx.admin.deleteRepository('small-org', deleted);
    });
    expect(new Set(seen).size).toBe(seen.length);
    const throughout = before.filter((name) => name !== deleted);
    expect(throughout.every((name) => seen.includes(name))).toBe(true);
    expect(seen).toContain('zzz-new');
    expect(seen).not.toContain('aaa-new');
    expect(seen).not.toContain(deleted);
  });

  it('a repository created, renamed or removed on GitHub shows in the list within 2 s', async () => {
    const installationId = installs['small-org'] ?? 0;
    const query = { installationId, limit: 100 };
    await fx.admin.createRepositories('small-org', { names: ['fresh'] });
    expect(await eventually(async () => (await names('bob', accounts.a, query)).includes('fresh'))).toBe(
      true,
    );
    await fx.admin.renameRepository('small-org', 'fresh', 'renamed-fresh');
    expect(
      await eventually(async () => {
        const now = await names('bob', accounts.a, query);
        return now.includes('renamed-fresh') && !now.includes('fresh');
      }),
    ).toBe(true);
    expect(await names('bob', accounts.a, { installationId, q: 'fresh' })).toEqual(['renamed-fresh']);
    await fx.admin.deleteRepository('small-org', 'renamed-fresh');
    expect(
      await eventually(async () => !(await names('bob', accounts.a, query)).includes('renamed-fresh')),
    ).toBe(true);
    // Removed from the installation's selection (installation_repositories removed).
    await fx.admin.call('POST', `/installations/${installationId}/repositories`, { remove: ['web'] });
    expect(await eventually(async () => !(await names('bob', accounts.a, query)).includes('web'))).toBe(true);
    // The cursor test before this one added zzz-new and aaa-new and deleted tools.
    expect((await list('bob', accounts.a, query)).body.total).toBe(SMALL.length + 2 - 1 - 1);
  });

  it('statuses: syncing with no syncedAt before the first sync; sso_required and unavailable as the index says', async () => {
    const body = (await list('alice', accounts.c)).body;
    expect(body.installations).toEqual([
      { id: installs['one-org'], account: 'one-org', status: 'ok', syncedAt: expect.any(String) as string },
      { id: installs['two-org'], account: 'two-org', status: 'syncing', syncedAt: null },
    ]);
    // What the index holds is listed, syncing or not; the total is exact.
    expect(body.repositories.map((repo) => repo.fullName)).toEqual([
      'one-org/one-1',
      'one-org/one-2',
      'two-org/two-1',
    ]);
    expect(body.total).toBe(3);
    const index = new RepositoryIndexStore(fx.table.table);
    await index.setState(installs['one-org'] ?? 0, { status: 'sso_required' });
    await index.setState(installs['two-org'] ?? 0, { status: 'unavailable' });
    const after = (await list('alice', accounts.c)).body;
    expect(after.installations.map((entry) => entry.status)).toEqual(['sso_required', 'unavailable']);
    expect(after.total).toBe(3);
    await index.setState(installs['one-org'] ?? 0, { status: 'ok' });
    await index.setState(installs['two-org'] ?? 0, { status: 'syncing' });
  });

  it('a suspended installation’s repositories are not listed, the others still are', async () => {
    const installationId = installs['sus-org'] ?? 0;
    expect(await names('bob', accounts.a, { q: 'sus' })).toEqual(['sus-1', 'sus-2']);
    const total = (await list('bob', accounts.a)).body.total ?? 0;
    await fx.admin.suspend(installationId);
    const { status, body } = await list('bob', accounts.a, { q: 'sus' });
    expect(status).toBe(200);
    expect(body.repositories).toEqual([]);
    expect(body.installations.find((entry) => entry.id === installationId)?.status).toBe('suspended');
    expect(body.installations.filter((entry) => entry.status === 'ok')).toHaveLength(3);
    expect((await list('bob', accounts.a)).body.total).toBe(total - 2);
    await fx.admin.unsuspend(installationId);
    const back = await list('bob', accounts.a, { q: 'sus' });
    expect(back.body.repositories).toHaveLength(2);
    expect(back.body.installations.find((entry) => entry.id === installationId)?.status).toBe('ok');
  });

  it('an uninstalled installation is gone from the list with its links and its index', async () => {
    const two = installs['two-org'] ?? 0;
    await fx.admin.uninstall(two);
    const { body } = await list('alice', accounts.c);
    expect(body.repositories.map((repo) => repo.fullName)).toEqual(['one-org/one-1', 'one-org/one-2']);
    expect(body.installations.map((entry) => entry.id)).toEqual([installs['one-org']]);
    expect(body.total).toBe(2);
    expect(await new RepositoryIndexStore(fx.table.table).indexedIds(two)).toEqual(new Map());
  });

  it('the table throttling under the list is 503, never an empty list', async () => {
    const proxy = fx.dynamo;
    if (!proxy) throw new Error('the fixture runs through the fault proxy');
    proxy.inject({
      operations: ['Query'],
      match: (body) => JSON.stringify(body).includes('REPOS#'),
      mode: 'fail',
      count: Infinity,
      errorType: 'ProvisionedThroughputExceededException',
      status: 400,
    });
    try {
      const { status, body } = await list('bob', accounts.a, { installationId: installs['small-org'] ?? 0 });
      expect({ status, error: body.error }).toEqual({ status: 503, error: 'service_unavailable' });
    } finally {
      proxy.clear();
    }
  });

  it('writes nothing to the table', async () => {
    const before = await tableItems();
    await list('bob', accounts.a);
    await list('bob', accounts.a, { q: 'big-09' });
    await list('bob', accounts.a, { limit: 5 });
    expect(await tableItems()).toEqual(before);
  });
});
