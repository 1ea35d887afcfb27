import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * SAML SSO and the `workflows` permission, end to end: the service, DynamoDB Local and the GitHub
 * emulator enforcing both as GitHub does (docs/sso-and-workflows.md).
 */
let fx: ServiceFixture;
let account: string;
const installs: Record<string, number> = {};
type Call = ReturnType<typeof api>;
let alice: Call;

const WORKFLOW = 'on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n';
const BASE_PERMISSIONS = { administration: 'write', contents: 'write', metadata: 'read', members: 'read' };

beforeAll(async () => {
  fx = await startService();
  const appId = Number(fx.secrets.githubApp.appId);
  await fx.admin.createUser({ login: 'alice' });
  for (const org of ['sso-org', 'wf-org', 'wf-granted-org'])
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['alice'] });
  await fx.admin.createRepositories('sso-org', { names: ['app'] });
  await fx.admin.createRepositories('wf-org', {
    names: ['service', 'service-two'],
    files: { 'README.md': '# service\n', '.github/workflows/ci.yml': WORKFLOW },
  });
  await fx.admin.createRepositories('wf-granted-org', { names: ['service'] });
  for (const org of ['sso-org', 'wf-org']) {
    installs[org] = (await fx.admin.install({ appId, account: org })).installation.id;
  }
  installs['wf-granted-org'] = (
    await fx.admin.install({
      appId,
      account: 'wf-granted-org',
      permissions: { ...BASE_PERMISSIONS, workflows: 'write' },
    })
  ).installation.id;
  alice = api(fx, await signIn(fx, 'alice'));
  account = (
    (await (await alice('/accounts', { method: 'POST', json: { name: 'A' } })).json()) as { id: string }
  ).id;
  for (const org of ['wf-org', 'wf-granted-org']) {
    expect(
      (await alice(`/accounts/${account}/installations/${installs[org]}`, { method: 'PUT' })).status,
    ).toBe(201);
  }
});
afterAll(() => fx?.close());

async function body<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

const requireSso = (required: boolean) => fx.admin.call('PUT', '/orgs/sso-org/sso', { required });

describe('SAML SSO', () => {
  it('a link GitHub refuses for SSO is 403 sso_authorization_required with GitHub’s url; authorised, it links', async () => {
    await requireSso(true);
    const refused = await alice(`/accounts/${account}/installations/${installs['sso-org']}`, {
      method: 'PUT',
    });
    expect(refused.status).toBe(403);
    const answer = await body<{ error: string; message: string; url: string }>(refused);
    expect(answer.error).toBe('sso_authorization_required');
    const url = new URL(answer.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${fx.emulator.url}/orgs/sso-org/sso`);
    expect(url.searchParams.get('authorization_request')).toMatch(/^[0-9a-f]+$/);
    expect(answer.message).toMatch(/sso-org|single sign-on/i);

    // Following the url (as the user's browser would) starts the SAML session.
    const page = await (await fetch(url)).text();
    const href = /href="([^"]+continue=1[^"]*)"/.exec(page)?.[1]?.replace(/&#38;/g, '&') ?? '';
    expect((await fetch(new URL(href, fx.emulator.url))).status).toBe(200);
    const linked = await alice(`/accounts/${account}/installations/${installs['sso-org']}`, {
      method: 'PUT',
    });
    expect(linked.status).toBe(201);
  });

  it('list-installations marks a linked installation GitHub left out for SSO with sso.required and a url', async () => {
    await fx.admin.call('DELETE', '/orgs/sso-org/sso/authorizations/alice');
    const response = await alice(`/accounts/${account}/installations`);
    expect(response.status).toBe(200);
    const { installations } = await body<{ installations: Array<Record<string, unknown>> }>(response);
    const sso = installations.find((installation) => installation.id === installs['sso-org']);
    expect(sso).toEqual({
      id: installs['sso-org'],
      accessible: false,
      linked: true,
      account: { login: 'sso-org', type: 'Organization', avatarUrl: expect.anything() as unknown },
      sso: { required: true, url: `${fx.emulator.url}/orgs/sso-org/sso` },
      // The link's repository scope (docs/repository-scope.md): every repository.
      scope: null,
    });
    // The others are as always, without the marker.
    const other = installations.find((installation) => installation.id === installs['wf-org']);
    expect(other).toMatchObject({ accessible: true, linked: true });
    expect(other).not.toHaveProperty('sso');

    // Signed in to the organisation again: listed by GitHub, no marker.
    await fx.admin.call('POST', '/orgs/sso-org/sso/authorizations', { login: 'alice' });
    const after = await body<{ installations: Array<Record<string, unknown>> }>(
      await alice(`/accounts/${account}/installations`),
    );
    const back = after.installations.find((installation) => installation.id === installs['sso-org']);
    expect(back).toMatchObject({ accessible: true, linked: true });
    expect(back).not.toHaveProperty('sso');
  });

  it('without SSO required, nothing changes', async () => {
    await requireSso(false);
    const relinked = await alice(`/accounts/${account}/installations/${installs['sso-org']}`, {
      method: 'PUT',
    });
    expect(relinked.status).toBe(200);
  });
});

describe('the workflows permission', () => {
  const commit = (
    owner: string,
    repo: string,
    files: Array<{ path: string; content: string }>,
    deletions?: string[],
  ) =>
    alice(`/accounts/${account}/repositories/${owner}/${repo}/commits`, {
      method: 'POST',
      json: {
        branch: 'main',
        message: 'Change things',
        files: files.map((file) => ({ ...file, encoding: 'utf-8' })),
        ...(deletions ? { deletions } : {}),
      },
    });
  const head = (owner: string, repo: string) =>
    fx.emulator.world.repository(owner, repo)?.git.refs.get('refs/heads/main');
  /** The permissions of the installation tokens minted for `org` since `since` tokens existed. */
  const mintedPermissions = (org: string) =>
    [...fx.emulator.world.installationTokens.values()]
      .filter((token) => token.installationId === installs[org])
      .map((token) => Object.keys(token.permissions).sort().join(','));

  it('a commit touching .github/workflows/ without the permission is 403 installation_permission_missing', async () => {
    for (const [files, deletions] of [
      [[{ path: '.github/workflows/ci.yml', content: 'on: [push]\n' }], undefined],
      [[{ path: '.github/workflows/new.yml', content: WORKFLOW }], undefined],
      [[], ['.github/workflows/ci.yml']],
    ] as const) {
      const before = head('wf-org', 'service');
      const response = await commit('wf-org', 'service', [...files], deletions ? [...deletions] : undefined);
      expect(response.status).toBe(403);
      expect(await body(response)).toMatchObject({
        error: 'installation_permission_missing',
        permission: 'workflows',
      });
      expect(head('wf-org', 'service')).toBe(before);
    }
  });

  it('a commit elsewhere asks for no workflows permission and goes through', async () => {
    const response = await commit('wf-org', 'service-two', [{ path: 'src/a.ts', content: 'export {};\n' }]);
    expect(response.status).toBe(201);
    expect(mintedPermissions('wf-org').every((permissions) => !permissions.includes('workflows'))).toBe(true);
  });

  it('with workflows: write granted, the same commit is 201, with a token that asked for it', async () => {
    const response = await commit('wf-granted-org', 'service', [
      { path: '.github/workflows/ci.yml', content: WORKFLOW },
    ]);
    expect(response.status).toBe(201);
    const { sha } = await body<{ sha: string }>(response);
    expect(head('wf-granted-org', 'service')).toBe(sha);
    expect(mintedPermissions('wf-granted-org')).toContain('contents,workflows');
  });

  it('repository creation with workflow files and no permission is refused before anything is created', async () => {
    const response = await alice(`/accounts/${account}/repositories`, {
      method: 'POST',
      json: {
        installationId: installs['wf-org'],
        name: 'with-ci',
        files: [
          { path: 'README.md', content: '# with-ci\n' },
          { path: '.github/workflows/ci.yml', content: WORKFLOW },
        ],
      },
    });
    expect(response.status).toBe(403);
    expect(await body(response)).toMatchObject({
      error: 'installation_permission_missing',
      permission: 'workflows',
    });
    expect(fx.emulator.world.repository('wf-org', 'with-ci')).toBeUndefined();

    const granted = await alice(`/accounts/${account}/repositories`, {
      method: 'POST',
      json: {
        installationId: installs['wf-granted-org'],
        name: 'with-ci',
        files: [
          { path: 'README.md', content: '# with-ci\n' },
          { path: '.github/workflows/ci.yml', content: WORKFLOW },
        ],
      },
    });
    expect(granted.status).toBe(201);
    const created = fx.emulator.world.repository('wf-granted-org', 'with-ci');
    const sha = created?.git.refs.get('refs/heads/main') ?? '';
    expect(created?.git.resolvePath(sha, '.github/workflows/ci.yml')).toMatchObject({ kind: 'blob' });
  });
});
