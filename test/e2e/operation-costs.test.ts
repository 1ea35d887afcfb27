import { randomUUID } from 'node:crypto';
import { keys } from '../../functions/shared/store/keys.js';
import { getTable } from '../../functions/shared/store/table.js';
import {
  isRead,
  isWrite,
  recordDynamoRequests,
  type DynamoRecorder,
  type DynamoRequest,
} from '../support/dynamodb-requests.js';
import { recordGitHubRequests } from '../support/github-requests.js';
import { InstallationStore } from '../../functions/shared/store/installation-store.js';
import { RepositoryIndexStore } from '../../functions/shared/store/repository-index-store.js';
import {
  api,
  postWebhook as postSignedWebhook,
  signIn,
  startService,
  type ServiceFixture,
} from '../support/service.js';

/**
 * What each operation costs in GitHub calls (the emulator's call log) and DynamoDB requests (recorded on
 * the handlers' own table client): issue #14's per-operation targets, as counts, never times.
 */
let fx: ServiceFixture;
let dynamo: DynamoRecorder;
let github: ReturnType<typeof recordGitHubRequests>;
const installs: Record<string, number> = {};
type Call = ReturnType<typeof api>;
const sessions: Record<string, Call> = {};
let account: string;
const appId = () => Number(fx.secrets.githubApp.appId);

beforeAll(async () => {
  fx = await startService();
  for (const login of ['alice', 'bob']) await fx.admin.createUser({ login });
  for (const org of ['octo-org', 'other-org']) {
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['alice'], members: ['bob'] });
  }
  for (const target of ['alice', 'octo-org', 'other-org', 'bob']) {
    installs[target] = (await fx.admin.install({ appId: appId(), account: target })).installation.id;
  }
  for (const login of ['alice', 'bob']) sessions[login] = api(fx, await signIn(fx, login));
  const created = await (sessions.alice as Call)('/accounts', { method: 'POST', json: { name: 'Costs' } });
  account = ((await created.json()) as { id: string }).id;
  dynamo = recordDynamoRequests(getTable().client);
  github = recordGitHubRequests(fx.emulator.url);
});
afterAll(async () => {
  dynamo?.stop();
  github?.stop();
  await fx?.close();
});

/**
 * Runs `operation` with fresh counters: the GitHub calls it caused (the emulator's log, and as the
 * service sent them, timed on its side) and its DynamoDB requests.
 */
async function measure<T>(operation: () => Promise<T>) {
  await fx.admin.clearCalls();
  dynamo.clear();
  github.clear();
  const result = await operation();
  const calls = await fx.admin.calls();
  return { result, calls, sent: [...github.requests], requests: [...dynamo.requests] };
}

describe('list installations', () => {
  it('writes nothing', async () => {
    const { result, requests } = await measure(() =>
      (sessions.alice as Call)(`/accounts/${account}/installations`),
    );
    expect(result.status).toBe(200);
    expect(requests.filter(isRead).length).toBeGreaterThan(0);
    expect(requests.filter((r) => isWrite(r) || r.writeUnits > 0)).toEqual([]);
  });

  it('lists 1,000 installations in at most 2 sequential GitHub round trips', async () => {
    const world = fx.emulator.world;
    const owner = world.accountByLogin('alice');
    if (!owner) throw new Error('no alice');
    for (let index = 0; index < 1000 - 3; index++) {
      const org = world.createAccount({ login: `bulk-${index}`, type: 'Organization', admins: ['alice'] });
      world.install({ appId: appId(), accountId: org.id });
    }
    try {
      const { result, calls, sent } = await measure(() =>
        (sessions.alice as Call)(`/accounts/${account}/installations`),
      );
      expect(result.status).toBe(200);
      const body = (await result.json()) as { installations: Array<{ id: number }> };
      expect(new Set(body.installations.map((i) => i.id)).size).toBe(1000);
      const pages = calls.filter((call) => call.route === '/user/installations');
      expect(pages).toHaveLength(10);
      // Counted where the service waits (issued after an answer arrived), not by the emulator's clock.
      const listed = sent.filter((request) => request.path.startsWith('/user/installations'));
      expect(listed).toHaveLength(10);
      expect(github.sequentialRoundTrips(listed)).toBeLessThanOrEqual(2);
    } finally {
      for (let index = 0; index < 1000 - 3; index++) {
        const org = world.accountByLogin(`bulk-${index}`);
        const installation = org && world.installationFor(appId(), org.id);
        if (installation) world.uninstall(installation.id);
      }
    }
  });
});

const githubRoutes = (calls: Array<{ method: string; route: string }>) =>
  calls.map((call) => `${call.method} ${call.route}`);

describe('link an installation', () => {
  const link = (who: string, installation: string) =>
    (sessions[who] as Call)(`/accounts/${account}/installations/${installs[installation]}`, {
      method: 'PUT',
    });

  it('a new link asks GitHub only whether the caller may (details stored by the webhook) and writes once', async () => {
    const { result, calls, requests } = await measure(() => link('alice', 'octo-org'));
    expect(result.status).toBe(201);
    expect(githubRoutes(calls)).toEqual(['GET /user/memberships/orgs/{org}']);
    expect(requests.filter(isWrite).map((r) => r.operation)).toEqual(['TransactWriteItems']);
  });

  it('linking again: 1 GitHub call (the authorization check), 0 writes', async () => {
    const { result, calls, requests } = await measure(() => link('alice', 'octo-org'));
    expect(result.status).toBe(200);
    expect(githubRoutes(calls)).toEqual(['GET /user/memberships/orgs/{org}']);
    expect(requests.filter(isWrite)).toEqual([]);
  });

  it('a personal installation: 1 GitHub call (the user reaches it with their own token)', async () => {
    const { result, calls } = await measure(() => link('alice', 'alice'));
    expect(result.status).toBe(201);
    expect(githubRoutes(calls)).toEqual(['GET /user/installations/{installation_id}/repositories']);
  });

  it('a stored login that changed hands never lets the new holder link (the organization id must match)', async () => {
    // other-org's stored details name mallory-org's login, as if other-org was renamed and mallory
    // took the old name before the rename event arrived.
    await fx.admin.createUser({ login: 'mallory' });
    await fx.admin.createUser({ login: 'mallory-org', type: 'Organization', admins: ['mallory'] });
    // With the App there too, GitHub answers mallory's membership of mallory-org: owner.
    await fx.admin.install({ appId: appId(), account: 'mallory-org' });
    const stored = await new InstallationStore(fx.table.table).getDetails(installs['other-org'] ?? 0);
    if (!stored) throw new Error('the webhook stored no details');
    await new InstallationStore(fx.table.table).putDetails({ ...stored, accountLogin: 'mallory-org' });
    const mallory = api(fx, await signIn(fx, 'mallory'));
    const own = await mallory('/accounts', { method: 'POST', json: { name: 'Mallory' } });
    const mallorys = ((await own.json()) as { id: string }).id;
    const response = await mallory(`/accounts/${mallorys}/installations/${installs['other-org']}`, {
      method: 'PUT',
    });
    expect(response.status).toBe(403);
    expect(await new InstallationStore(fx.table.table).isLinked(mallorys, installs['other-org'] ?? 0)).toBe(
      false,
    );
    // Its real owner still links it: refused on the stored login, GitHub's own answer decides.
    const { result } = await measure(() => link('alice', 'other-org'));
    expect(result.status).toBe(201);
  });
});

describe('create a repository', () => {
  it('reads what it decides on in at most 2 sequential table round trips, the session included', async () => {
    const { result, requests } = await measure(() =>
      (sessions.alice as Call)(`/accounts/${account}/repositories`, {
        method: 'POST',
        json: { installationId: installs['octo-org'], name: 'cost-check' },
      }),
    );
    expect(result.status).toBe(201);
    // Everything read before the first write (the creation's lease): session, membership, link,
    // installation details, an earlier creation of the same name.
    const firstWrite = Math.min(...requests.filter(isWrite).map((r) => r.startMs));
    const decided = requests.filter((r) => r.startMs < firstWrite);
    expect(decided.every(isRead)).toBe(true);
    expect(decided.length).toBeGreaterThanOrEqual(4);
    expect(dynamo.sequentialRoundTrips(decided)).toBeLessThanOrEqual(2);
  });

  it('with files and a cached creation token: 2 sequential read round trips to decide, 1 more for the new repository’s token', async () => {
    const files = [{ path: 'README.md', content: '# costs\n' }];
    // The first creation mints the creation token; the second finds it cached.
    const create = (name: string) =>
      (sessions.alice as Call)(`/accounts/${account}/repositories`, {
        method: 'POST',
        json: { installationId: installs['octo-org'], name, files },
      });
    expect((await create('cost-files-1')).status).toBe(201);
    const { result, requests, calls } = await measure(() => create('cost-files-2'));
    expect(result.status).toBe(201);
    const reads = requests.filter(isRead);
    // Before the creation's first write (its lease, taken before GitHub is asked): the session, then
    // membership, link, details, earlier creation and the creation token at once.
    const firstWrite = Math.min(...requests.filter(isWrite).map((r) => r.startMs));
    const deciding = reads.filter((read) => read.startMs < firstWrite);
    expect(dynamo.sequentialRoundTrips(deciding)).toBeLessThanOrEqual(2);
    // After that, the token narrowed to the new repository, which nobody can have cached: one read (a
    // miss), one mint (docs/repository-scope.md, "Tokens").
    expect(dynamo.sequentialRoundTrips(reads)).toBeLessThanOrEqual(3);
    expect(calls.filter((call) => call.route.endsWith('/access_tokens'))).toHaveLength(1);
  });
});

const postWebhook = (event: string, payload: unknown, deliveryId?: string) =>
  postSignedWebhook(fx, event, payload, deliveryId);

describe('webhook', () => {
  it('an installation event: its delivery record, effect and events in one write after one round of reads, no GitHub call', async () => {
    await fx.admin.createUser({ login: 'hook-org', type: 'Organization', admins: ['alice'] });
    const { result, calls, requests } = await measure(() =>
      fx.admin.install({ appId: appId(), account: 'hook-org' }),
    );
    const id = result.installation.id;
    expect((await new InstallationStore(fx.table.table).getDetails(id))?.accountLogin).toBe('hook-org');
    expect(calls).toEqual([]);
    expect(requests.filter(isWrite).map((r) => r.operation)).toEqual(['TransactWriteItems']);
    // What is stored and which accounts are linked (the event's platformAccountIds, #24): the stored
    // details and the link twins and GSI1 links, read at once; bounded by the links, not the org.
    expect(
      requests
        .filter(isRead)
        .map((r) => r.operation)
        .sort(),
    ).toEqual(['GetItem', 'Query', 'Query']);
  });

  it('an ignored event: one write, no GitHub call', async () => {
    const { result, calls, requests } = await measure(() =>
      postWebhook('star', { action: 'created', starred_at: null }),
    );
    expect(result).toEqual({ status: 202, body: { status: 'ignored' } });
    expect(calls).toEqual([]);
    expect(requests.filter(isWrite)).toHaveLength(1);
  });

  it('a repository event: index entries and delivery record in one write after 2 read round trips, no GitHub call', async () => {
    const org = fx.emulator.world.accountByLogin('octo-org');
    if (!org) throw new Error('no octo-org');
    const repositoryCreated = (n: number, updatedAt: string) => ({
      action: 'created',
      repository: {
        id: 8_100_000 + n,
        name: `costs-hook-${n}`,
        full_name: `octo-org/costs-hook-${n}`,
        private: false,
        visibility: 'public',
        owner: { login: 'octo-org', id: org.id, type: 'Organization' },
        html_url: `https://github.com/octo-org/costs-hook-${n}`,
        archived: false,
        default_branch: 'main',
        updated_at: updatedAt,
      },
      organization: { login: 'octo-org', id: org.id },
      installation: { id: installs['octo-org'] },
      sender: { login: 'alice', id: 1, type: 'User' },
    });
    const at = new Date().toISOString();
    const { result, calls, requests } = await measure(() =>
      postWebhook('repository', repositoryCreated(1, at)),
    );
    expect(result).toEqual({ status: 200, body: { status: 'applied' } });
    expect(calls).toEqual([]);
    expect(requests.filter(isWrite).map((r) => r.operation)).toEqual(['TransactWriteItems']);
    // The installation's details beside the repository's copies; then the repository's record.
    expect(dynamo.sequentialRoundTrips(requests.filter(isRead))).toBe(2);
    expect(dynamo.sequentialRoundTrips(requests)).toBe(3);
    const indexed = await new RepositoryIndexStore(fx.table.table).get(installs['octo-org'] ?? 0, 8_100_001);
    expect(indexed?.name).toBe('costs-hook-1');
    // The same repository again (nothing to change in the index): the record alone, one write.
    const again = await measure(() => postWebhook('repository', repositoryCreated(1, at)));
    expect(again.result).toEqual({ status: 200, body: { status: 'applied' } });
    expect(again.requests.filter(isWrite)).toHaveLength(1);
    // The same delivery again: a duplicate, answered from its record, nothing written.
    const deliveryId = randomUUID();
    expect((await postWebhook('repository', repositoryCreated(2, at), deliveryId)).status).toBe(200);
    const duplicate = await measure(() => postWebhook('repository', repositoryCreated(2, at), deliveryId));
    expect(duplicate.result).toEqual({ status: 200, body: { status: 'duplicate' } });
  });

  it('a duplicate: no write beyond the refused claim, answered from the record', async () => {
    const deliveryId = randomUUID();
    expect((await postWebhook('star', { action: 'created' }, deliveryId)).status).toBe(202);
    const { result, requests } = await measure(() => postWebhook('star', { action: 'created' }, deliveryId));
    expect(result).toEqual({ status: 200, body: { status: 'duplicate' } });
    expect(requests.filter(isWrite)).toHaveLength(1);
  });
});

describe('repositories', () => {
  it('reading a repository reads the stored details of all linked installations in one request', async () => {
    // The account links alice, octo-org, other-org by now (the link tests above).
    await fx.admin.createRepositories('octo-org', { names: ['costs-read'] });
    const tree = () => (sessions.alice as Call)(`/accounts/${account}/repositories/octo-org/costs-read/tree`);
    expect((await tree()).status).toBe(200);
    const { result, requests } = await measure(tree);
    expect(result.status).toBe(200);
    const reads = requests.filter(isRead).map((r) => r.operation);
    expect(reads.filter((operation) => operation === 'BatchGetItem')).toHaveLength(1);
    // The session, the membership, the links, the cached token: one each; details in the batch.
    expect(reads.filter((operation) => operation === 'GetItem').length).toBeLessThanOrEqual(3);
  });

  it('a token GitHub rejects is dropped with one delete of its own cache item, however many tokens the installation has cached', async () => {
    const tree = () => (sessions.alice as Call)(`/accounts/${account}/repositories/octo-org/costs-read/tree`);
    const queries = (requests: DynamoRequest[]) => requests.filter((r) => r.operation === 'Query');
    const before = await measure(tree);
    expect(before.result.status).toBe(200);
    const installationId = installs['octo-org'] as number;
    // Other scopes' tokens of the installation (accounts narrow tokens to their repositories: many).
    for (let index = 0; index < 300; index++) {
      await getTable().put({
        ...keys.installationToken(installationId, `seeded-${index}`),
        value: 'x'.repeat(2000),
        tokenHash: `seeded-${index}`,
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      });
    }
    // GitHub no longer knows the cached token (revoked, expired early): its next use answers 401.
    const world = fx.emulator.world;
    for (const [token, record] of world.installationTokens) {
      if (record.installationId === installationId) world.installationTokens.delete(token);
    }
    const { result, requests } = await measure(tree);
    expect(result.status).toBe(200);
    // The same queries as a read whose token GitHub took, none reading the installation's tokens.
    expect(queries(requests)).toHaveLength(queries(before.requests).length);
    expect(queries(requests).every((r) => (r.scanned ?? 0) < 300)).toBe(true);
    expect(requests.filter((r) => r.operation === 'DeleteItem')).toHaveLength(1);
  });

  it("listing an account's repositories reads the installations' details and index states in one request each", async () => {
    const { result, requests } = await measure(() =>
      (sessions.alice as Call)(`/accounts/${account}/repositories`),
    );
    expect(result.status).toBe(200);
    const body = (await result.json()) as { installations: unknown[] };
    expect(body.installations.length).toBeGreaterThanOrEqual(3);
    // The stored installations and the index's states (counts included), in parallel.
    expect(requests.filter((r) => r.operation === 'BatchGetItem')).toHaveLength(2);
  });
});
