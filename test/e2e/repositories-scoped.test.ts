import { forgetPageShapes, type RepositoryList } from '../../functions/repositories/list-repositories.js';
import { parseScope, type ScopeInput } from '../../functions/shared/installations/repository-scope.js';
import { getServices } from '../../functions/shared/services.js';
import { keys } from '../../functions/shared/store/keys.js';
import { recordDynamoRequests } from '../support/dynamodb-requests.js';
import { seedIndex } from '../support/repository-index.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * `GET /accounts/{accountId}/repositories` through a link's scope (docs/repository-index.md "Scoped
 * links"): a scoped installation lists and searches exactly what its scope reaches, merged with the
 * others in the same order and cursors, at a cost bounded by the page and the scope, never by the
 * installation. The scope is written on the link items as the link routes write it; the index is
 * seeded as a completed sync fills it (seedIndex).
 */
let fx: ServiceFixture;
type Call = ReturnType<typeof api>;
let bob: Call;
const installs: Record<string, number> = {};
const accounts: Record<'mixed' | 'scale', string> = { mixed: '', scale: '' };

const SCOPED = [
  'api',
  'API-gateway',
  'web',
  'docs',
  'team-a-one',
  'team-a-two',
  'team-ab',
  'team-b-one',
  'tools',
];
const PLAIN = ['alpha', 'omega', 'api-plain'];
const TEAM_A = Array.from({ length: 200 }, (_, n) => `team-a-${String(n).padStart(3, '0')}`);
const SVC = Array.from({ length: 50 }, (_, n) => `svc-${n * 7}-s`);
/**
 * Out of scope, interleaved with it by name (bulk names `[prefix-]<word>-<n>`, no webhooks): `svc-105`
 * between `svc-0-s` and `svc-105-s`, `team-ax-…` right after the last `team-a-…`; `count / 2` of each.
 */
async function noise(count: number, start: number) {
  await fx.admin.createRepositoriesInBulk('scale-org', { count: count / 2, start, words: [['svc', 'aaa']] });
  await fx.admin.createRepositoriesInBulk('scale-org', {
    count: count / 2,
    start,
    prefix: 'team',
    words: [['ax', 'b']],
  });
}

beforeAll(async () => {
  fx = await startService();
  const appId = Number(fx.secrets.githubApp.appId);
  for (const login of ['alice', 'bob']) await fx.admin.createUser({ login });
  for (const org of ['scope-org', 'plain-org', 'scale-org']) {
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['alice'], members: ['bob'] });
  }
  await fx.admin.createRepositories('scope-org', { names: SCOPED });
  await fx.admin.createRepositories('plain-org', { names: PLAIN });
  await fx.admin.createRepositories('scale-org', { names: [...TEAM_A, ...SVC] });
  await noise(50, 0);
  for (const target of ['scope-org', 'plain-org', 'scale-org']) {
    installs[target] = (await fx.admin.install({ appId, account: target })).installation.id;
  }
  const alice = api(fx, await signIn(fx, 'alice'));
  bob = api(fx, await signIn(fx, 'bob'));
  for (const key of ['mixed', 'scale'] as const) {
    const created = await alice('/accounts', { method: 'POST', json: { name: `Account ${key}` } });
    accounts[key] = ((await created.json()) as { id: string }).id;
    const invited = await alice(`/accounts/${accounts[key]}/members`, {
      method: 'POST',
      json: { login: 'bob', role: 'member' },
    });
    const { id } = (await invited.json()) as { id: string };
    expect((await bob(`/invitations/${id}/accept`, { method: 'POST' })).status).toBe(200);
  }
  const link = async (account: string, target: string) => {
    const linked = await alice(`/accounts/${account}/installations/${installs[target]}`, { method: 'PUT' });
    expect(linked.status).toBe(201);
  };
  await link(accounts.mixed, 'scope-org');
  await link(accounts.mixed, 'plain-org');
  await link(accounts.scale, 'scale-org');
  for (const target of ['scope-org', 'plain-org', 'scale-org']) await seedIndex(fx, installs[target] ?? 0);
  await setScope(accounts.scale, installs['scale-org'] ?? 0, { repositories: SVC, patterns: ['team-a-*'] });
}, 180_000);
afterAll(() => fx?.close());

/** Writes the scope on both link items (the account's and its twin), as the link routes do. */
async function setScope(accountId: string, installationId: number, input: ScopeInput) {
  const scope = parseScope(input);
  for (const key of [
    keys.link(accountId, installationId),
    keys.installationLink(installationId, accountId),
  ]) {
    await fx.table.table.update(
      key,
      scope
        ? { expression: 'SET #scope = :scope', names: { '#scope': 'scope' }, values: { ':scope': scope } }
        : { expression: 'REMOVE #scope', names: { '#scope': 'scope' } },
    );
  }
}

async function list(account: string, query: Record<string, string | number> = {}) {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const response = await bob(
    `/accounts/${account}/repositories${search.size ? `?${search.toString()}` : ''}`,
  );
  return { status: response.status, body: (await response.json()) as RepositoryList & { error?: string } };
}

/** Every full name across all pages, following nextCursor; with each page's length. */
async function walk(account: string, query: Record<string, string | number>) {
  const seen: string[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  do {
    const { status, body } = await list(account, { ...query, ...(cursor ? { cursor } : {}) });
    expect(status).toBe(200);
    expect(body.total).toBeUndefined();
    seen.push(...body.repositories.map((repo) => repo.fullName));
    sizes.push(body.repositories.length);
    cursor = body.nextCursor;
    if (sizes.length > 200) throw new Error('the walk does not end');
  } while (cursor);
  return { seen, sizes };
}

const scopeOrg = (...names: string[]) => names.map((name) => `scope-org/${name}`);
const byLower = (x: string, y: string) => (x.toLowerCase() < y.toLowerCase() ? -1 : 1);

describe('the repository list through a link’s scope', () => {
  const scoped = () => installs['scope-org'] ?? 0;

  it('names: exactly the named repositories (any case; a name the installation lacks is no error), no total, statuses as before', async () => {
    await setScope(accounts.mixed, scoped(), { repositories: ['WEB', 'api', 'not-there'] });
    const { status, body } = await list(accounts.mixed, { installationId: scoped() });
    expect(status).toBe(200);
    expect(body.repositories.map((repo) => repo.fullName)).toEqual(scopeOrg('api', 'web'));
    expect(body.nextCursor).toBeUndefined();
    expect(body.total).toBeUndefined();
    expect(body.installations).toEqual([
      { id: scoped(), account: 'scope-org', status: 'ok', syncedAt: expect.any(String) as string },
    ]);
  });

  it('patterns: every name with the prefix and nothing else; names and patterns together', async () => {
    await setScope(accounts.mixed, scoped(), { patterns: ['team-a-*'] });
    const prefix = await list(accounts.mixed, { installationId: scoped() });
    expect(prefix.body.repositories.map((repo) => repo.fullName)).toEqual(
      scopeOrg('team-a-one', 'team-a-two'),
    );
    await setScope(accounts.mixed, scoped(), {
      repositories: ['docs', 'team-ab'],
      patterns: ['TEAM-*', 'api*'],
    });
    const both = await list(accounts.mixed, { installationId: scoped() });
    expect(both.body.repositories.map((repo) => repo.fullName)).toEqual(
      scopeOrg('api', 'API-gateway', 'docs', 'team-a-one', 'team-a-two', 'team-ab', 'team-b-one'),
    );
    // Back to every repository: the exact total again.
    await setScope(accounts.mixed, scoped(), {});
    const all = await list(accounts.mixed, { installationId: scoped() });
    expect(all.body.repositories.map((repo) => repo.name)).toEqual([...SCOPED].sort(byLower));
    expect(all.body.total).toBe(SCOPED.length);
  });

  it('a scoped and an unscoped installation merge in one order, page by page with the cursor, each once', async () => {
    await setScope(accounts.mixed, scoped(), { repositories: ['tools', 'api'], patterns: ['team-b-*'] });
    const expected = [
      ...PLAIN.map((name) => `plain-org/${name}`).sort(),
      ...scopeOrg('api', 'team-b-one', 'tools'),
    ];
    for (const limit of [1, 2, 4, 100]) {
      const { seen } = await walk(accounts.mixed, { limit });
      expect({ limit, seen }).toEqual({ limit, seen: expected });
    }
    // Only the unscoped installation: its exact total.
    const plain = await list(accounts.mixed, { installationId: installs['plain-org'] ?? 0 });
    expect(plain.body.total).toBe(PLAIN.length);
    expect((await list(accounts.mixed)).body.installations.map((entry) => entry.status)).toEqual([
      'ok',
      'ok',
    ]);
  });

  it('search finds only what the scope reaches, also past a pattern’s prefix, merged with the unscoped', async () => {
    await setScope(accounts.mixed, scoped(), { repositories: ['api', 'web'] });
    // scope-org's API-gateway matches `api` but is out of scope.
    expect((await walk(accounts.mixed, { q: 'api', limit: 1 })).seen).toEqual([
      'scope-org/api',
      'plain-org/api-plain',
    ]);
    expect((await walk(accounts.mixed, { q: 'gate' })).seen).toEqual([]);
    await setScope(accounts.mixed, scoped(), { patterns: ['team-*'] });
    // `one` is a word after the prefix: found by the search entries, filtered by the scope.
    expect((await walk(accounts.mixed, { q: 'one' })).seen).toEqual(scopeOrg('team-a-one', 'team-b-one'));
    expect((await walk(accounts.mixed, { q: 'team-a', limit: 2 })).seen).toEqual(
      scopeOrg('team-a-one', 'team-a-two', 'team-ab'),
    );
    expect((await walk(accounts.mixed, { q: 'api' })).seen).toEqual(['plain-org/api-plain']);
    // A search cursor is still refused without its q.
    const first = await list(accounts.mixed, { q: 'team', limit: 1 });
    const wrong = await list(accounts.mixed, { cursor: first.body.nextCursor ?? '' });
    expect([wrong.status, wrong.body.error]).toEqual([400, 'invalid_cursor']);
  });

  it('pages through a scope of 250 inside an installation of 2,000: the same pages at the same cost as inside 300', async () => {
    const scale = installs['scale-org'] ?? 0;
    const expected = [...SVC, ...TEAM_A].sort().map((name) => `scale-org/${name}`);
    const measured = async () => {
      forgetPageShapes();
      await fx.admin.clearCalls();
      const recorder = recordDynamoRequests(getServices().table.client);
      try {
        const { seen, sizes } = await walk(accounts.scale, { limit: 30 });
        const queries = recorder.requests.filter((request) => request.operation === 'Query');
        return {
          seen,
          sizes,
          queries: queries.length,
          scanned: queries.reduce((sum, request) => sum + (request.scanned ?? 0), 0),
        };
      } finally {
        recorder.stop();
      }
    };
    const small = await measured();
    expect(small.seen).toEqual(expected);
    expect(small.sizes.reduce((sum, size) => sum + size, 0)).toBe(250);
    // 1,700 more, out of scope and interleaved with it.
    await noise(1700, 25);
    expect(await seedIndex(fx, scale)).toBe(2000);
    const large = await measured();
    expect(large.seen).toEqual(expected);
    expect({ sizes: large.sizes, queries: large.queries, scanned: large.scanned }).toEqual({
      sizes: small.sizes,
      queries: small.queries,
      scanned: small.scanned,
    });
    // Every page: the links and the session aside, at most 25 names a round and a page of the prefix.
    const pages = large.sizes.length;
    expect(large.scanned).toBeLessThanOrEqual(pages * (3 + 3 * (25 + 31)) + pages * 10);
    expect(await fx.admin.calls()).toEqual([]);
  }, 240_000);

  it('a warm page reads its spans beside the owner check: 2 round trips (3 in a cold container)', async () => {
    await setScope(accounts.mixed, scoped(), { patterns: ['team-a-*'] });
    const roundTrips = async () => {
      const recorder = recordDynamoRequests(getServices().table.client);
      try {
        const { body } = await list(accounts.mixed, { installationId: scoped() });
        expect(body.repositories.map((repo) => repo.name)).toEqual(['team-a-one', 'team-a-two']);
        return recorder.sequentialRoundTrips(recorder.requests.sort((x, y) => x.startMs - y.startMs));
      } finally {
        recorder.stop();
      }
    };
    forgetPageShapes();
    expect(await roundTrips()).toBe(3);
    expect(await roundTrips()).toBe(2);
  });
});
