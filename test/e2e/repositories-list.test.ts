import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { RepositoryList } from '../../functions/shared/repositories/list-repositories.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

let fx: ServiceFixture;
type Call = ReturnType<typeof api>;
const sessions: Record<string, Call> = {};
const installs: Record<string, number> = {};
const accounts: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };

type ListBody = RepositoryList;

const SMALL = ['api', 'API-gateway', 'web', 'docs', 'Rapid', 'tools', 'zeta', 'alpha', 'beta', 'gamma'];

beforeAll(async () => {
  // Through the DynamoDB fault proxy, so a test can throttle the table under the list.
  fx = await startService({ dynamoFaults: true });
  const appId = Number(fx.secrets.githubApp.appId);
  for (const login of ['alice', 'bob', 'eve']) await fx.admin.createUser({ login });
  for (const org of ['small-org', 'big-org', 'sus-org', 'one-org', 'two-org']) {
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['alice'], members: ['bob'] });
  }
  await fx.admin.createRepositories('small-org', { names: SMALL });
  await fx.admin.createRepositories('big-org', { count: 1000, prefix: 'big' });
  await fx.admin.createRepositories('sus-org', { names: ['sus-1', 'sus-2'] });
  await fx.admin.createRepositories('one-org', { names: ['one-1', 'one-2'] });
  await fx.admin.createRepositories('two-org', { names: ['two-1'] });
  for (const target of ['small-org', 'big-org', 'sus-org', 'one-org', 'two-org']) {
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
  for (const target of ['small-org', 'big-org', 'sus-org']) {
    const linked = await alice(`/accounts/${accounts.a}/installations/${installs[target]}`, {
      method: 'PUT',
    });
    expect(linked.status).toBe(201);
  }
  for (const target of ['one-org', 'two-org']) {
    const linked = await alice(`/accounts/${accounts.c}/installations/${installs[target]}`, {
      method: 'PUT',
    });
    expect(linked.status).toBe(201);
  }
}, 120_000);
afterAll(() => fx.close());

async function list(who: string, account: string, query: Record<string, string | number> = {}) {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const response = await (sessions[who] as Call)(
    `/accounts/${account}/repositories${search.size ? `?${search.toString()}` : ''}`,
  );
  return { status: response.status, body: (await response.json()) as ListBody & { error?: string } };
}

const listCalls = async () => fx.admin.calls('GET /installation/repositories');
const mints = async () =>
  (await fx.admin.calls('POST /app/installations/{installation_id}/access_tokens')).length;

/** Every item in the table (sorted), to show that listing writes nothing. */
async function tableItems(options: { withTokenCache: boolean }) {
  const items: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await fx.table.raw.send(
      new ScanCommand({
        TableName: fx.table.tableName,
        ...(start ? { ExclusiveStartKey: start as never } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      if (
        !options.withTokenCache &&
        item.SK?.S?.startsWith('TOKEN#') &&
        item.PK?.S?.startsWith('INSTALLATION#')
      )
        continue;
      items.push(JSON.stringify(item, Object.keys(item).sort()));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort();
}

describe('GET /accounts/{accountId}/repositories', () => {
  it('a member lists one linked installation’s repositories, sorted by full name, with every field', async () => {
    const { status, body } = await list('bob', accounts.a, { installationId: installs['small-org'] ?? 0 });
    expect(status).toBe(200);
    expect(body.repositories.map((repo) => repo.name)).toEqual(
      [...SMALL].sort((x, y) => (x.toLowerCase() < y.toLowerCase() ? -1 : 1)),
    );
    expect(body.repositories[0]).toEqual({
      installationId: installs['small-org'],
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
    expect(body.installations).toEqual([{ id: installs['small-org'], account: 'small-org', status: 'ok' }]);
  });

  it('reads 1,000 repositories in 2 sequential waves of GitHub calls: page 1, then pages 2–10 at once', async () => {
    const installationId = installs['big-org'] ?? 0;
    await fx.admin.setLatency(100);
    try {
      for (const run of ['token minted', 'token cached']) {
        await fx.admin.clearCalls();
        const { status, body } = await list('bob', accounts.a, { installationId, limit: 100 });
        expect(status).toBe(200);
        expect(body.repositories[0]?.name).toBe('big-0001');
        expect(body.nextCursor).toBeDefined();
        const calls = (await listCalls()).sort((x, y) => x.startMs - y.startMs);
        expect({ run, calls: calls.length }).toEqual({ run, calls: 10 });
        const [first, ...rest] = calls;
        // Every later page starts after page 1 has ended, and they all overlap one another.
        expect(rest.every((call) => call.startMs >= (first?.endMs ?? Infinity))).toBe(true);
        expect(Math.max(...rest.map((call) => call.startMs))).toBeLessThan(
          Math.min(...rest.map((call) => call.endMs)),
        );
        expect(await mints()).toBe(run === 'token minted' ? 1 : 0);
      }
    } finally {
      await fx.admin.setLatency(0);
    }
    // limit above 100 is 100.
    const capped = await list('bob', accounts.a, { limit: 500 });
    expect(capped.body.repositories).toHaveLength(100);
    // The whole walk across account A's installations: 1,000 + 10 + 2, each once.
    const names = new Set<string>();
    let cursor: string | undefined;
    do {
      const { body } = await list('bob', accounts.a, { limit: 100, ...(cursor ? { cursor } : {}) });
      for (const repo of body.repositories) names.add(repo.fullName);
      cursor = body.nextCursor;
    } while (cursor);
    expect(names.size).toBe(1000 + SMALL.length + 2);
  });

  it('an account without links gets 200 and nothing; a non-member 404', async () => {
    expect(await list('alice', accounts.b)).toEqual({
      status: 200,
      body: { repositories: [], installations: [] },
    });
    const outsider = await list('eve', accounts.a);
    expect(outsider.status).toBe(404);
    expect(outsider.body.error).toBe('account_not_found');
  });

  it('filters by name substring (case-insensitive, trimmed) and by linked installation only', async () => {
    const { body } = await list('bob', accounts.a, { q: '  aPi ' });
    expect(body.repositories.map((repo) => repo.fullName)).toEqual([
      'small-org/api',
      'small-org/API-gateway',
      'small-org/Rapid',
    ]);
    const unlinked = await list('bob', accounts.a, { installationId: installs['one-org'] ?? 0 });
    expect(unlinked.status).toBe(404);
    expect(unlinked.body.error).toBe('installation_not_found');
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

  it('walks every repository exactly once with limit and cursor, even when one is created between pages', async () => {
    const installationId = installs['small-org'] ?? 0;
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { status, body } = await list('bob', accounts.a, {
        installationId,
        limit: 3,
        ...(cursor ? { cursor } : {}),
      });
      expect(status).toBe(200);
      expect(body.repositories.length).toBeLessThanOrEqual(3);
      seen.push(...body.repositories.map((repo) => repo.name));
      cursor = body.nextCursor;
      if (++pages === 2) {
        // One sorts before the pages already read, one after: neither shifts the others.
        await fx.admin.createRepositories('small-org', { names: ['aaa-new', 'zzz-new'] });
      }
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((name) => SMALL.includes(name)).sort()).toEqual([...SMALL].sort());
    expect(seen).toContain('zzz-new');
    expect(seen).not.toContain('aaa-new');
  });

  it('lists every linked installation in one go: GitHub calls per list', async () => {
    await fx.admin.clearCalls();
    const { body } = await list('alice', accounts.c);
    expect(body.repositories.map((repo) => repo.fullName)).toEqual([
      'one-org/one-1',
      'one-org/one-2',
      'two-org/two-1',
    ]);
    expect(body.installations.map((entry) => entry.status)).toEqual(['ok', 'ok']);
    // 2 installations: 2 mints (first time) + 1 page each.
    expect(await mints()).toBe(2);
    expect(await listCalls()).toHaveLength(2);
    await fx.admin.clearCalls();
    await list('alice', accounts.c);
    expect(await mints()).toBe(0);
    expect(await listCalls()).toHaveLength(2);
  });

  it('a repository removed from the selection is no longer listed', async () => {
    const installationId = installs['small-org'] ?? 0;
    await fx.admin.call('POST', `/installations/${installationId}/repositories`, { remove: ['web'] });
    const { body } = await list('bob', accounts.a, { installationId, q: 'web' });
    expect(body.repositories).toEqual([]);
    expect(body.installations).toEqual([{ id: installationId, account: 'small-org', status: 'ok' }]);
  });

  it('a suspended installation’s repositories are not listed, the others still are', async () => {
    const installationId = installs['sus-org'] ?? 0;
    const before = await list('bob', accounts.a, { q: 'sus' });
    expect(before.body.repositories.map((repo) => repo.name)).toEqual(['sus-1', 'sus-2']);
    await fx.admin.suspend(installationId);
    const { status, body } = await list('bob', accounts.a, { q: 'sus' });
    expect(status).toBe(200);
    expect(body.repositories).toEqual([]);
    expect(body.installations.find((entry) => entry.id === installationId)?.status).toBe('suspended');
    // The others are still there.
    expect(body.installations.filter((entry) => entry.status === 'ok')).toHaveLength(2);
    await fx.admin.unsuspend(installationId);
    expect((await list('bob', accounts.a, { q: 'sus' })).body.repositories).toHaveLength(2);
  });

  it('one installation GitHub fails for is reported, not hiding the others; failing for all is 502; a rate limit 503', async () => {
    // Tokens are cached: the fault hits one of the two page calls.
    await fx.admin.fault({ method: 'GET', route: '/installation/repositories', status: 500, count: 1 });
    const { status, body } = await list('alice', accounts.c);
    expect(status).toBe(200);
    expect(body.installations.map((entry) => entry.status).sort()).toEqual(['ok', 'unavailable']);
    const okId = body.installations.find((entry) => entry.status === 'ok')?.id;
    expect(body.repositories.length).toBeGreaterThan(0);
    expect(body.repositories.every((repo) => repo.installationId === okId)).toBe(true);

    await fx.admin.fault({ method: 'GET', route: '/installation/repositories', status: 500, count: 2 });
    const all = await list('alice', accounts.c);
    expect(all.status).toBe(502);

    await fx.admin.fault({
      method: 'GET',
      route: '/installation/repositories',
      status: 403,
      count: 1,
      headers: { 'retry-after': '30' },
      body: { message: 'You have exceeded a secondary rate limit.' },
    });
    const limited = await (sessions.alice as Call)(`/accounts/${accounts.c}/repositories`);
    expect(limited.status).toBe(503);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(((await limited.json()) as { error: string }).error).toBe('github_rate_limited');
    await fx.admin.call('DELETE', '/faults');
  });

  it('an uninstalled installation is gone from the list with its links', async () => {
    await fx.admin.uninstall(installs['two-org'] ?? 0);
    const { body } = await list('alice', accounts.c);
    expect(body.repositories.map((repo) => repo.fullName)).toEqual(['one-org/one-1', 'one-org/one-2']);
    expect(body.installations.map((entry) => entry.id)).toEqual([installs['one-org']]);
  });

  it('an installation uninstalled without the service hearing of it shows as unavailable, with nothing listed', async () => {
    // The deletion webhook is missed: the link is still in the table, GitHub no longer knows the installation.
    fx.emulator.world.uninstall(installs['one-org'] ?? 0);
    const { status, body } = await list('alice', accounts.c);
    expect(status).toBe(200);
    expect(body.repositories).toEqual([]);
    expect(body.installations).toEqual([
      { id: installs['one-org'], account: 'one-org', status: 'unavailable' },
    ]);
  });

  it('the table throttling under an installation’s token is 503, never an empty list', async () => {
    const proxy = fx.dynamo;
    if (!proxy) throw new Error('the fixture runs through the fault proxy');
    proxy.inject({
      operations: ['GetItem'],
      match: (body) => JSON.stringify(body).includes('TOKEN#'),
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

  it('writes nothing to the table (but the shared token cache when a token is minted)', async () => {
    const before = await tableItems({ withTokenCache: false });
    await list('bob', accounts.a);
    expect(await tableItems({ withTokenCache: false })).toEqual(before);
    const cached = await tableItems({ withTokenCache: true });
    await list('bob', accounts.a, { q: 'big-09' });
    await list('bob', accounts.a, { limit: 5 });
    expect(await tableItems({ withTokenCache: true })).toEqual(cached);
  });
});
