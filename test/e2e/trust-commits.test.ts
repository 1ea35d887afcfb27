import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * Issue #22, finding 1: a plain account member committed with the App's power wherever the installation
 * reaches (octo-org/.github's profile, main of web-app). Replayed against the whole service (real
 * handlers, DynamoDB Local, the GitHub emulator modelling each user's own permission per repository):
 * by default a commit needs the caller's own push access on GitHub; an owner of the account who owns
 * the organization may relax that per link, keeping the default branch and `.github` for admins, and
 * may make repositories read-only.
 */
let fx: ServiceFixture;
let accountId: string;
let installationId: number;
type Call = ReturnType<typeof api>;
const sessions: Record<string, Call> = {};
const as = (login: string): Call => {
  const call = sessions[login];
  if (!call) throw new Error(`no session for ${login}`);
  return call;
};

beforeAll(async () => {
  fx = await startService();
  const appId = Number(fx.secrets.githubApp.appId);
  for (const login of ['octo-demo', 'octo-teammate', 'octo-lead']) await fx.admin.createUser({ login });
  await fx.admin.createUser({
    login: 'octo-org',
    type: 'Organization',
    admins: ['octo-demo'],
    members: ['octo-teammate', 'octo-lead'],
    // GitHub's default for a new organization: members may read, not push.
    basePermission: 'read',
  });
  await fx.admin.createRepositories('octo-org', {
    names: ['.github'],
    files: { 'profile/README.md': '# octo-org\n' },
  });
  await fx.admin.createRepositories('octo-org', {
    names: ['web-app', 'docs'],
    files: { 'README.md': '# app\n' },
  });
  installationId = (await fx.admin.install({ appId, account: 'octo-org' })).installation.id;
  for (const login of ['octo-demo', 'octo-teammate', 'octo-lead'])
    sessions[login] = api(fx, await signIn(fx, login));
  const created = await as('octo-demo')('/accounts', { method: 'POST', json: { name: 'Octo team' } });
  accountId = ((await created.json()) as { id: string }).id;
  for (const [login, role] of [
    ['octo-teammate', 'member'],
    ['octo-lead', 'admin'],
  ] as const) {
    const invited = await as('octo-demo')(`/accounts/${accountId}/members`, {
      method: 'POST',
      json: { login, role },
    });
    const { id } = (await invited.json()) as { id: string };
    expect((await as(login)(`/invitations/${id}/accept`, { method: 'POST' })).status).toBe(200);
  }
  const linked = await as('octo-demo')(`/accounts/${accountId}/installations/${installationId}`, {
    method: 'PUT',
  });
  expect(linked.status).toBe(201);
});
afterAll(() => fx?.close());

const head = (repo: string, branch = 'main') =>
  fx.emulator.world.repository('octo-org', repo)?.git.refs.get(`refs/heads/${branch}`);

function commit(login: string, repo: string, branch: string, path = 'README.md') {
  return as(login)(`/accounts/${accountId}/repositories/octo-org/${repo}/commits`, {
    method: 'POST',
    json: {
      branch,
      message: `Change ${path}`,
      files: [{ path, content: `changed by ${login}\n`, encoding: 'utf-8' }],
    },
  });
}

async function expectRefused(response: Response, error: string): Promise<void> {
  const text = await response.clone().text();
  expect(`${response.status} ${text}`).toMatch(/^403 /);
  expect(await response.json()).toMatchObject({ error, message: expect.any(String) });
}

function setPolicy(login: string, commitPolicy: Record<string, unknown>) {
  return as(login)(`/accounts/${accountId}/installations/${installationId}`, {
    method: 'PATCH',
    json: { commitPolicy },
  });
}

describe('commits by default: the caller’s own push access on GitHub', () => {
  it("a plain member without push on GitHub defaces neither octo-org/.github's profile nor main of web-app", async () => {
    const profileHead = head('.github');
    const appHead = head('web-app');
    await expectRefused(
      await commit('octo-teammate', '.github', 'main', 'profile/README.md'),
      'github_push_access_required',
    );
    await expectRefused(await commit('octo-teammate', 'web-app', 'main'), 'github_push_access_required');
    // An account admin is no exception: the App's power goes to those GitHub trusts.
    await expectRefused(await commit('octo-lead', 'web-app', 'feature/x'), 'github_push_access_required');
    expect(head('.github')).toBe(profileHead);
    expect(head('web-app')).toBe(appHead);
    expect(head('web-app', 'feature/x')).toBeUndefined();
  });

  it('a member GitHub gives push on a repository commits there, and the link shows the default policy', async () => {
    await fx.admin.setRepositoryPermission('octo-org', 'docs', 'octo-teammate', 'write');
    const response = await commit('octo-teammate', 'docs', 'main');
    expect(response.status).toBe(201);
    expect(head('docs')).toBe(((await response.json()) as { sha: string }).sha);
    const listed = await as('octo-teammate')(`/accounts/${accountId}/installations`);
    const { installations } = (await listed.json()) as {
      installations: Array<{ id: number; commitPolicy?: unknown }>;
    };
    expect(installations.find((one) => one.id === installationId)?.commitPolicy).toEqual({
      committers: 'github_push_access',
      defaultBranchNeedsAdmin: false,
      githubPathsNeedAdmin: false,
      readOnlyRepositories: [],
    });
  });
});

describe('commit trailers (finding 6)', () => {
  it('a Co-authored-by: naming someone else is removed and listed; the caller’s own is written', async () => {
    const response = await as('octo-demo')(`/accounts/${accountId}/repositories/octo-org/docs/commits`, {
      method: 'POST',
      json: {
        branch: 'feature/trailers',
        message:
          'Update the docs\n\nOrdinary text: kept.\n\nCo-authored-by: octo-teammate <2+octo-teammate@users.noreply.github.com>\nSIGNED-OFF-BY: Mona <mona@example.com>',
        files: [{ path: 'README.md', content: 'docs\n', encoding: 'utf-8' }],
      },
    });
    expect(response.status).toBe(201);
    const answer = (await response.json()) as { sha: string; removedTrailers: string[] };
    expect(answer.removedTrailers).toEqual([
      'Co-authored-by: octo-teammate <2+octo-teammate@users.noreply.github.com>',
      'SIGNED-OFF-BY: Mona <mona@example.com>',
    ]);
    const written = fx.emulator.world.repository('octo-org', 'docs')?.git.commits.get(answer.sha)?.message;
    expect(written).toContain('Ordinary text: kept.');
    expect(written).not.toMatch(/octo-teammate|mona/i);
    expect(written).toMatch(/Co-authored-by: octo-demo <\d+\+octo-demo@users\.noreply\.github\.com>\n$/);
  });
});

describe('relaxing the policy', () => {
  it('only an owner of the account who owns the GitHub organization may change it', async () => {
    await expectRefused(await setPolicy('octo-lead', { committers: 'account_members' }), 'insufficient_role');
    await expectRefused(
      await setPolicy('octo-teammate', { committers: 'account_members' }),
      'insufficient_role',
    );
    await fx.admin.setOrgRole('octo-org', 'octo-demo', 'member');
    try {
      await expectRefused(
        await setPolicy('octo-demo', { committers: 'account_members' }),
        'org_owner_required',
      );
    } finally {
      await fx.admin.setOrgRole('octo-org', 'octo-demo', 'admin');
    }
    const invalid = await setPolicy('octo-demo', { committers: 'anyone' });
    expect(invalid.status).toBe(400);
    expect(await commit('octo-teammate', 'web-app', 'feature/y').then((r) => r.status)).toBe(403);
  });

  it('relaxed: members commit on other branches; the default branch and .github stay with admins', async () => {
    const relaxed = await setPolicy('octo-demo', { committers: 'account_members' });
    expect(relaxed.status).toBe(200);
    expect(await relaxed.json()).toMatchObject({
      id: installationId,
      linked: true,
      commitPolicy: {
        committers: 'account_members',
        defaultBranchNeedsAdmin: true,
        githubPathsNeedAdmin: true,
        readOnlyRepositories: [],
      },
    });
    expect((await commit('octo-teammate', 'web-app', 'feature/z')).status).toBe(201);

    const appHead = head('web-app');
    const profileHead = head('.github');
    await expectRefused(await commit('octo-teammate', 'web-app', 'main'), 'insufficient_role');
    await expectRefused(
      await commit('octo-teammate', '.github', 'feature/profile', 'profile/README.md'),
      'insufficient_role',
    );
    await expectRefused(
      await commit('octo-teammate', 'web-app', 'feature/owners', '.github/CODEOWNERS'),
      'insufficient_role',
    );
    expect(head('web-app')).toBe(appHead);
    expect(head('.github')).toBe(profileHead);
    expect(head('.github', 'feature/profile')).toBeUndefined();

    // An admin of the account, though read-only on GitHub, may now.
    expect((await commit('octo-lead', 'web-app', 'main')).status).toBe(201);
    expect((await commit('octo-lead', '.github', 'main', 'profile/README.md')).status).toBe(201);
  });

  it('read-only repositories take no commit through the account, not even from its owner', async () => {
    const restricted = await setPolicy('octo-demo', {
      committers: 'account_members',
      readOnlyRepositories: ['Web-App'],
    });
    expect(restricted.status).toBe(200);
    const appHead = head('web-app');
    await expectRefused(await commit('octo-teammate', 'web-app', 'feature/ro'), 'repository_read_only');
    await expectRefused(await commit('octo-demo', 'web-app', 'main'), 'repository_read_only');
    expect(head('web-app')).toBe(appHead);
    expect((await commit('octo-teammate', 'docs', 'feature/ok')).status).toBe(201);
  });

  it('back to the default: the plain member is refused again', async () => {
    expect((await setPolicy('octo-demo', { committers: 'github_push_access' })).status).toBe(200);
    await expectRefused(await commit('octo-teammate', 'web-app', 'feature/w'), 'github_push_access_required');
  });
});
