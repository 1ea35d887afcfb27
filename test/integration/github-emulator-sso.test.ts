import { createAppAuth } from '@octokit/auth-app';
import { exchangeWebFlowCode } from '@octokit/oauth-methods';
import { request as octokitRequest } from '@octokit/request';
import { authorizeAs, startEmulatorFixture, type EmulatorFixture } from '../support/emulator.js';
import { GitHubOpenApi } from '../support/openapi-validator.js';

/**
 * The emulator's SAML SSO and `workflows` rules, seen through the real octokit clients
 * (docs/sso-and-workflows.md).
 */
let fx: EmulatorFixture;
let request: typeof octokitRequest;
let ids: { sso: number; open: number; personal: number; ssoOrg: number };

type Failure = {
  status: number;
  message: string;
  response?: { data?: Record<string, unknown>; headers?: Record<string, string | undefined> };
};
async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    return error as Failure;
  }
  throw new Error('expected the call to fail');
}

const SSO_MESSAGE =
  'Resource protected by organization SAML enforcement. You must grant your OAuth token access to this organization.';

beforeAll(async () => {
  fx = await startEmulatorFixture();
  request = octokitRequest.defaults({ baseUrl: fx.emulator.url });
  for (const login of ['mona', 'hubot']) await fx.admin.createUser({ login });
  const ssoOrg = await fx.admin.createUser({ login: 'sso-org', type: 'Organization', members: ['mona'] });
  await fx.admin.createUser({ login: 'open-org', type: 'Organization', members: ['mona'] });
  await fx.admin.createRepositories('sso-org', { names: ['app'] });
  await fx.admin.createRepositories('open-org', { names: ['site'] });
  await fx.admin.createRepositories('mona', {
    names: ['dotfiles'],
    files: { 'README.md': '# dotfiles\n', '.github/workflows/ci.yml': 'on: push\n' },
  });
  ids = {
    sso: (await fx.admin.install({ appId: fx.app.id, account: 'sso-org' })).installation.id,
    open: (await fx.admin.install({ appId: fx.app.id, account: 'open-org' })).installation.id,
    personal: (await fx.admin.install({ appId: fx.app.id, account: 'mona' })).installation.id,
    ssoOrg: ssoOrg.id,
  };
});
afterAll(() => fx?.close());

async function userToken(login: string): Promise<string> {
  const query = await authorizeAs(fx.emulator.url, { client_id: fx.app.clientId, login, state: 's' });
  const { authentication } = await exchangeWebFlowCode({
    clientType: 'github-app',
    clientId: fx.app.clientId,
    clientSecret: fx.app.clientSecret,
    code: query.get('code') ?? '',
    request,
  });
  return authentication.token;
}

const appAuth = () => createAppAuth({ appId: fx.app.id, privateKey: fx.app.privateKey, request });

async function installationToken(installationId: number, permissions?: Record<string, string>) {
  const { token } = await appAuth()({
    type: 'installation',
    installationId,
    ...(permissions ? { permissions } : {}),
  });
  return token;
}

const as = (token: string) => ({ headers: { authorization: `token ${token}` } });

function ssoUrl(failed: Failure): URL {
  const header = failed.response?.headers?.['x-github-sso'] ?? '';
  const match = /^required; url=(\S+)$/.exec(header);
  if (!match?.[1]) throw new Error(`no SSO url in "${header}"`);
  return new URL(match[1]);
}

describe('SAML SSO', () => {
  beforeEach(async () => {
    // Off and on again: every SAML session ends, each test starts with none.
    await fx.admin.call('PUT', '/orgs/sso-org/sso', { required: false });
    await fx.admin.call('PUT', '/orgs/sso-org/sso', { required: true });
  });

  it('refuses a member’s user token on the organisation’s resources, with GitHub’s header and message', async () => {
    const token = await userToken('mona');
    const calls = [
      request('GET /repos/{owner}/{repo}', { owner: 'sso-org', repo: 'app', ...as(token) }),
      request('GET /user/memberships/orgs/{org}', { org: 'sso-org', ...as(token) }),
      request('POST /orgs/{org}/repos', { org: 'sso-org', name: 'new-one', ...as(token) }),
      request('GET /user/installations/{installation_id}/repositories', {
        installation_id: ids.sso,
        ...as(token),
      }),
    ];
    for (const call of calls) {
      const failed = await failure(call);
      expect(failed.status).toBe(403);
      expect(failed.response?.data?.message).toBe(SSO_MESSAGE);
      const url = ssoUrl(failed);
      expect(url.origin).toBe(fx.emulator.url);
      expect(url.pathname).toBe('/orgs/sso-org/sso');
      expect(url.searchParams.get('authorization_request')).toMatch(/^[0-9a-f]{32}$/);
    }
    // Nothing was created, and other organisations and the user's own account are not affected.
    expect(fx.emulator.world.repository('sso-org', 'new-one')).toBeUndefined();
    const open = await request('GET /repos/{owner}/{repo}', {
      owner: 'open-org',
      repo: 'site',
      ...as(token),
    });
    expect(open.status).toBe(200);
    expect(open.headers['x-github-sso']).toBeUndefined();
    const own = await request('GET /repos/{owner}/{repo}', { owner: 'mona', repo: 'dotfiles', ...as(token) });
    expect(own.status).toBe(200);
  });

  it('leaves the organisation out of GET /user/installations and names it in partial-results', async () => {
    const token = await userToken('mona');
    const listed = await request('GET /user/installations', as(token));
    expect(listed.data.installations.map((installation) => installation.id).sort()).toEqual(
      [ids.open, ids.personal].sort(),
    );
    expect(listed.data.total_count).toBe(2);
    expect(listed.headers['x-github-sso']).toBe(`partial-results; organizations=${ids.ssoOrg}`);
  });

  it('does not apply to installation tokens and App JWTs', async () => {
    const token = await installationToken(ids.sso);
    const repo = await request('GET /repos/{owner}/{repo}', { owner: 'sso-org', repo: 'app', ...as(token) });
    expect(repo.status).toBe(200);
    const { token: jwt } = await appAuth()({ type: 'app' });
    const installation = await request('GET /app/installations/{installation_id}', {
      installation_id: ids.sso,
      headers: { authorization: `bearer ${jwt}` },
    });
    expect(installation.status).toBe(200);
  });

  it('authorises the user’s current and later tokens once they visit the url', async () => {
    const token = await userToken('mona');
    const failed = await failure(
      request('GET /repos/{owner}/{repo}', { owner: 'sso-org', repo: 'app', ...as(token) }),
    );
    const page = await fetch(ssoUrl(failed));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Single sign-on to sso-org');
    const href = /href="([^"]+continue=1[^"]*)"/.exec(html)?.[1]?.replace(/&#38;/g, '&');
    expect(href).toBeDefined();
    // Still refused until the user continues.
    expect(
      (await failure(request('GET /repos/{owner}/{repo}', { owner: 'sso-org', repo: 'app', ...as(token) })))
        .status,
    ).toBe(403);
    expect((await fetch(new URL(href ?? '', fx.emulator.url))).status).toBe(200);

    const repo = await request('GET /repos/{owner}/{repo}', { owner: 'sso-org', repo: 'app', ...as(token) });
    expect(repo.status).toBe(200);
    const later = await userToken('mona');
    const listed = await request('GET /user/installations', as(later));
    expect(listed.data.installations.map((installation) => installation.id)).toContain(ids.sso);
    expect(listed.headers['x-github-sso']).toBeUndefined();
    // A request url works once.
    expect((await fetch(ssoUrl(failed))).status).toBe(404);
  });

  it('control routes: authorise, revoke and lift the requirement', async () => {
    const token = await userToken('mona');
    const get = () => request('GET /user/memberships/orgs/{org}', { org: 'sso-org', ...as(token) });
    expect((await failure(get())).status).toBe(403);
    const authorised = await fx.admin.call('POST', '/orgs/sso-org/sso/authorizations', { login: 'mona' });
    expect(authorised).toMatchObject({ organization: 'sso-org', required: true, authorized: ['mona'] });
    expect((await get()).status).toBe(200);
    await fx.admin.call('DELETE', '/orgs/sso-org/sso/authorizations/mona');
    expect((await failure(get())).status).toBe(403);
    await fx.admin.call('PUT', '/orgs/sso-org/sso', { required: false });
    expect((await get()).status).toBe(200);
    // Only members can be authorised.
    await expect(
      fx.admin.call('POST', '/orgs/sso-org/sso/authorizations', { login: 'hubot' }),
    ).rejects.toThrow();
  });
});

describe('the workflows permission', () => {
  /** A commit on main of `owner/repo` with `changes`, made through the git data API with `token`. */
  async function commitOnMain(
    token: string,
    owner: string,
    repo: string,
    changes: Array<{ path: string; content?: string; delete?: true }>,
  ) {
    const base = { owner, repo, ...as(token) };
    const { data: branch } = await request('GET /repos/{owner}/{repo}/branches/{branch}', {
      ...base,
      branch: 'main',
    });
    const { data: tree } = await request('POST /repos/{owner}/{repo}/git/trees', {
      ...base,
      base_tree: branch.commit.commit.tree.sha,
      tree: changes.map((change) =>
        change.delete
          ? { path: change.path, mode: '100644' as const, type: 'blob' as const, sha: null }
          : {
              path: change.path,
              mode: '100644' as const,
              type: 'blob' as const,
              content: change.content ?? '',
            },
      ),
    });
    const { data: commit } = await request('POST /repos/{owner}/{repo}/git/commits', {
      ...base,
      message: 'change',
      tree: tree.sha,
      parents: [branch.commit.sha],
    });
    return { head: branch.commit.sha, commit: commit.sha, base };
  }

  const headOf = (owner: string, repo: string, ref = 'refs/heads/main') =>
    fx.emulator.world.repository(owner, repo)?.git.refs.get(ref);

  it('refuses an installation token without workflows: write to add, change or remove a workflow file', async () => {
    await fx.admin.createRepositories('open-org', {
      names: ['wf'],
      files: { 'README.md': '# wf\n', '.github/workflows/ci.yml': 'on: push\n' },
    });
    const token = await installationToken(ids.open);
    const cases: Array<[Array<{ path: string; content?: string; delete?: true }>, string]> = [
      [[{ path: '.github/workflows/new.yml', content: 'on: pull_request\n' }], '.github/workflows/new.yml'],
      [[{ path: '.github/workflows/ci.yml', content: 'on: [push]\n' }], '.github/workflows/ci.yml'],
      [[{ path: '.github/workflows/ci.yml', delete: true }], '.github/workflows/ci.yml'],
      // The guard is by path: any file there counts.
      [[{ path: '.github/workflows/README.md', content: 'docs\n' }], '.github/workflows/README.md'],
    ];
    for (const [changes, path] of cases) {
      const before = headOf('open-org', 'wf');
      const { commit, base } = await commitOnMain(token, 'open-org', 'wf', changes);
      const refused = await failure(
        request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', { ...base, ref: 'heads/main', sha: commit }),
      );
      expect([refused.status, refused.response?.data?.message]).toEqual([
        422,
        `refusing to allow a GitHub App to create or update workflow \`${path}\` without \`workflows\` permission`,
      ]);
      const created = await failure(
        request('POST /repos/{owner}/{repo}/git/refs', { ...base, ref: 'refs/heads/wf-branch', sha: commit }),
      );
      expect(created.status).toBe(422);
      expect(created.message).toMatch(/workflows/);
      expect(headOf('open-org', 'wf')).toBe(before);
      expect(headOf('open-org', 'wf', 'refs/heads/wf-branch')).toBeUndefined();
    }
    // Anything outside .github/workflows/ is fine (.github itself included).
    const { commit, base } = await commitOnMain(token, 'open-org', 'wf', [
      { path: '.github/dependabot.yml', content: 'version: 2\n' },
      { path: 'src/a.ts', content: 'export {};\n' },
    ]);
    const moved = await request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
      ...base,
      ref: 'heads/main',
      sha: commit,
    });
    expect(moved.status).toBe(200);
    // Branching off a head that already holds workflows brings no workflow change in.
    const branched = await request('POST /repos/{owner}/{repo}/git/refs', {
      ...base,
      ref: 'refs/heads/from-main',
      sha: commit,
    });
    expect(branched.status).toBe(201);
  });

  it('a token cannot ask for workflows the installation lacks; granted, the same commit goes through', async () => {
    await fx.admin.createRepositories('open-org', { names: ['wf-granted'] });
    const asked = await failure(installationToken(ids.open, { contents: 'write', workflows: 'write' }));
    expect(asked.status).toBe(422);

    const before = await installationToken(ids.open, { contents: 'write' });
    const { commit, base } = await commitOnMain(before, 'open-org', 'wf-granted', [
      { path: '.github/workflows/ci.yml', content: 'on: push\n' },
    ]);
    await fx.admin.call('POST', `/installations/${ids.open}/permissions`, {
      permissions: { contents: 'write', metadata: 'read', administration: 'write', workflows: 'write' },
    });
    // A token minted before keeps its permissions: still refused.
    expect(
      (
        await failure(
          request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', { ...base, ref: 'heads/main', sha: commit }),
        )
      ).status,
    ).toBe(422);
    const granted = await installationToken(ids.open, { contents: 'write', workflows: 'write' });
    const moved = await request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
      owner: 'open-org',
      repo: 'wf-granted',
      ref: 'heads/main',
      sha: commit,
      ...as(granted),
    });
    expect(moved.status).toBe(200);
    expect(headOf('open-org', 'wf-granted')).toBe(commit);
  });

  it('applies to a user token too: it acts as the App', async () => {
    const token = await userToken('mona');
    const { commit, base } = await commitOnMain(token, 'mona', 'dotfiles', [
      { path: '.github/workflows/ci.yml', content: 'on: [push, pull_request]\n' },
    ]);
    const refused = await failure(
      request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', { ...base, ref: 'heads/main', sha: commit }),
    );
    expect(refused.status).toBe(422);
    expect(refused.response?.data?.message).toContain('`.github/workflows/ci.yml`');
  });
});

describe('the answers validate against GitHub’s OpenAPI description', () => {
  it('checks every recorded answer of this suite', () => {
    const openapi = new GitHubOpenApi();
    const problems: string[] = [];
    for (const call of fx.emulator.state.calls) {
      if (call.status === 0 || !openapi.hasOperation(call.method, call.route)) continue;
      const errors = openapi.validate(call.method, call.route, call.status, call.body);
      if (errors?.length) problems.push(`${call.method} ${call.route} ${call.status}: ${errors.join('; ')}`);
    }
    expect(problems).toEqual([]);
  });
});
