import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * GitHub's answer arrives (status and headers) but its body cannot be read: cut off mid-body
 * (issue 21, defect C). @octokit/request hands back `""` as the data then, which callers read as "no
 * commits" (404 ref_not_found) or trip over (500). The GitHub client layer catches it in one place:
 * every route answers 502 `github_unavailable` with Retry-After. Each case cuts one GitHub call.
 */
let fx: ServiceFixture;
let account: string;
const installs: Record<string, number> = {};
type Call = ReturnType<typeof api>;
let alice: Call;

beforeAll(async () => {
  fx = await startService();
  const appId = Number(fx.secrets.githubApp.appId);
  for (const login of ['alice', 'bob']) await fx.admin.createUser({ login });
  for (const org of ['octo-org', 'other-org']) {
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['alice'], members: ['bob'] });
  }
  await fx.admin.createRepositories('octo-org', {
    names: ['app-one', 'app-two'],
    files: { 'README.md': '# app\n', 'src/index.ts': 'export {};\n' },
  });
  for (const target of ['alice', 'octo-org', 'other-org']) {
    installs[target] = (await fx.admin.install({ appId, account: target })).installation.id;
  }
  alice = api(fx, await signIn(fx, 'alice'));
  const created = await alice('/accounts', { method: 'POST', json: { name: 'Cut off' } });
  account = ((await created.json()) as { id: string }).id;
  for (const target of ['alice', 'octo-org']) {
    const linked = await alice(`/accounts/${account}/installations/${installs[target]}`, { method: 'PUT' });
    expect(linked.status).toBe(201);
  }
  // A first read caches the installation token, so the cases below cut the call they name.
  expect((await alice(`${repo()}/tree`)).status).toBe(200);
});
afterAll(() => fx?.close());
afterEach(async () => {
  await fx.admin.call('DELETE', '/faults');
  await fx.admin.clearCalls();
});

const repo = (name = 'app-one') => `/accounts/${account}/repositories/octo-org/${name}`;

const cut = (route: string, method = 'GET') => fx.admin.fault({ method, route, mode: 'cut-body' });

async function expectUnavailable(response: Response) {
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, error: body.error }).toEqual({
    status: 502,
    error: 'github_unavailable',
  });
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  // The route did reach the call the fault names, and nothing answered it but the fault.
  const faulted = (await fx.admin.calls()).filter((call) => call.fault !== undefined);
  expect(faulted).toHaveLength(1);
  await fx.admin.clearCalls();
}

describe('a GitHub answer cut off mid-body is 502 github_unavailable', () => {
  it('reading the tree: the ref’s newest commit (was 404 ref_not_found)', async () => {
    await cut('/repos/{owner}/{repo}/commits');
    await expectUnavailable(await alice(`${repo()}/tree`));
  });

  it('reading the tree: the tree itself', async () => {
    await cut('/repos/{owner}/{repo}/git/trees/{tree_sha}');
    await expectUnavailable(await alice(`${repo()}/tree`));
  });

  it('reading a file', async () => {
    await cut('/repos/{owner}/{repo}/contents/{path}');
    await expectUnavailable(await alice(`${repo()}/contents/README.md`));
  });

  it('committing: the branch read, and the commit object (nothing moved; the retry commits once)', async () => {
    const request = () =>
      alice(`${repo()}/commits`, {
        method: 'POST',
        json: {
          branch: 'main',
          message: 'Cut',
          files: [{ path: 'a.txt', content: 'a\n', encoding: 'utf-8' }],
        },
      });
    const before = fx.emulator.world.repository('octo-org', 'app-one')?.git.refs.get('refs/heads/main');
    await cut('/repos/{owner}/{repo}/branches/{branch}');
    await expectUnavailable(await request());
    await cut('/repos/{owner}/{repo}/git/commits', 'POST');
    await expectUnavailable(await request());
    expect(fx.emulator.world.repository('octo-org', 'app-one')?.git.refs.get('refs/heads/main')).toBe(before);
    expect((await request()).status).toBe(201);
  });

  it('minting an installation token', async () => {
    // Another repository than the cached token's: a new token is minted.
    await cut('/app/installations/{installation_id}/access_tokens', 'POST');
    await expectUnavailable(await alice(`${repo('app-two')}/tree`));
    expect((await alice(`${repo('app-two')}/tree`)).status).toBe(200);
  });

  it("listing the user's installations", async () => {
    await cut('/user/installations');
    await expectUnavailable(await alice(`/accounts/${account}/installations`));
  });

  it('linking: the installation read as the App, and the reach check', async () => {
    // Without stored details (no webhook yet), linking reads the installation as the App.
    await fx.table.table.delete({ PK: `INSTALLATION#${installs['other-org']}`, SK: 'META' });
    await cut('/app/installations/{installation_id}');
    await expectUnavailable(
      await alice(`/accounts/${account}/installations/${installs['other-org']}`, { method: 'PUT' }),
    );
    // A personal installation: the user must show GitHub lets them reach it.
    await cut('/user/installations/{installation_id}/repositories');
    await expectUnavailable(
      await alice(`/accounts/${account}/installations/${installs.alice}`, { method: 'PUT' }),
    );
  });

  it('looking up an invitee', async () => {
    await cut('/users/{username}');
    await expectUnavailable(
      await alice(`/accounts/${account}/members`, { method: 'POST', json: { login: 'bob', role: 'member' } }),
    );
  });

  it('signing in: the code exchange and the profile read send the browser back with github_unavailable', async () => {
    for (const [route, method] of [
      ['/login/oauth/access_token', 'POST'],
      ['/user', 'GET'],
    ] as const) {
      await cut(route, method);
      const signedIn = await signIn(fx, 'bob');
      expect(signedIn.status).toBe(302);
      expect(new URL(signedIn.location).searchParams.get('auth_error')).toBe('github_unavailable');
      expect(signedIn.cookie).toBeUndefined();
      expect((await fx.admin.calls()).filter((call) => call.fault !== undefined)).toHaveLength(1);
      await fx.admin.clearCalls();
    }
  });

  it('creating a repository (GitHub created it): 502, and the retry finishes it', async () => {
    const request = () =>
      alice(`/accounts/${account}/repositories`, {
        method: 'POST',
        json: { installationId: installs['octo-org'], name: 'cut-create', private: true },
      });
    await cut('/orgs/{org}/repos', 'POST');
    await expectUnavailable(await request());
    expect(fx.emulator.world.repository('octo-org', 'cut-create')).toBeDefined();
    expect((await request()).status).toBe(201);
  });
});
