import { createAppAuth } from '@octokit/auth-app';
import { request as octokitRequest } from '@octokit/request';
import { api, signIn, startService, startWorkers, type ServiceFixture } from '../support/service.js';

let fx: ServiceFixture;
let account: string;
const installs: Record<string, number> = {};
type Call = ReturnType<typeof api>;
const sessions: Record<string, Call> = {};
const sessionIds: Record<string, string> = {};

beforeAll(async () => {
  fx = await startService();
  const appId = Number(fx.secrets.githubApp.appId);
  for (const login of ['alice', 'bob', 'carol']) await fx.admin.createUser({ login });
  for (const org of ['octo-org', 'sus-org', 'unlinked-org', 'bulk-org']) {
    // alice owns the organisations (only an owner may link their installations).
    await fx.admin.createUser({
      login: org,
      type: 'Organization',
      admins: ['alice'],
      members: ['bob', 'carol'],
    });
  }
  // The files below include .github/workflows/ci.yml, which GitHub lets an App write only with
  // `workflows: write` (test/e2e/sso-and-workflows.test.ts covers the refusal without it).
  const permissions = {
    administration: 'write',
    contents: 'write',
    metadata: 'read',
    members: 'read',
    workflows: 'write',
  };
  for (const target of ['alice', 'bob', 'octo-org', 'sus-org', 'unlinked-org', 'bulk-org']) {
    installs[target] = (await fx.admin.install({ appId, account: target, permissions })).installation.id;
  }
  for (const login of ['alice', 'bob', 'carol']) {
    const result = await signIn(fx, login);
    sessions[login] = api(fx, result);
    sessionIds[login] = result.sessionId ?? '';
  }
  const alice = sessions.alice as Call;
  account = (
    (await (await alice('/accounts', { method: 'POST', json: { name: 'Platform' } })).json()) as {
      id: string;
    }
  ).id;
  // Members join by invitation and consent.
  for (const [login, role] of [
    ['bob', 'admin'],
    ['carol', 'member'],
  ] as const) {
    const invited = await alice(`/accounts/${account}/members`, { method: 'POST', json: { login, role } });
    const { id } = (await invited.json()) as { id: string };
    expect((await (sessions[login] as Call)(`/invitations/${id}/accept`, { method: 'POST' })).status).toBe(
      200,
    );
  }
  for (const target of ['alice', 'octo-org', 'sus-org', 'bulk-org']) {
    expect(
      (await alice(`/accounts/${account}/installations/${installs[target]}`, { method: 'PUT' })).status,
    ).toBe(201);
  }
  expect(
    (await (sessions.bob as Call)(`/accounts/${account}/installations/${installs.bob}`, { method: 'PUT' }))
      .status,
  ).toBe(201);
});
afterAll(() => fx?.close());

const create = (who: string, body: unknown) =>
  (sessions[who] as Call)(`/accounts/${account}/repositories`, { method: 'POST', json: body });
const repoCount = () => fx.emulator.world.repositories.size;
const mints = async () =>
  (await fx.admin.calls('POST /app/installations/{installation_id}/access_tokens')).length;

/** Reads a repository back through the emulator's GitHub API, as the App. */
async function readBack(owner: string, repo: string, paths: string[]) {
  const request = octokitRequest.defaults({ baseUrl: fx.emulator.url });
  const auth = createAppAuth({
    appId: fx.secrets.githubApp.appId,
    privateKey: fx.secrets.githubApp.privateKey,
    request,
  });
  const { token } = await auth({ type: 'installation', installationId: installs[owner] ?? 0 });
  const headers = { authorization: `token ${token}` };
  const { data: info } = await request('GET /repos/{owner}/{repo}', { owner, repo, headers });
  let commits = 0;
  try {
    commits = (await request('GET /repos/{owner}/{repo}/commits', { owner, repo, headers })).data.length;
  } catch (error) {
    if ((error as { status: number }).status !== 409) throw error; // 409: an empty repository
  }
  const files: Record<string, string> = {};
  for (const path of paths) {
    const { data } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner,
      repo,
      path,
      headers,
    });
    files[path] = Buffer.from((data as { content: string }).content, 'base64').toString('utf8');
  }
  return { info, commits, files };
}

const template = [
  { path: 'README.md', content: '# Service\n' },
  { path: 'src/index.ts', content: 'export const answer = 42;\n' },
  { path: '.github/workflows/ci.yml', content: 'on: push\n' },
];

describe('POST /accounts/{accountId}/repositories', () => {
  it('a member creates an org repository with three files in one commit', async () => {
    await fx.admin.clearCalls();
    const response = await create('carol', {
      installationId: installs['octo-org'],
      name: 'service-a',
      description: 'A service',
      files: template,
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as {
      fullName: string;
      htmlUrl: string;
      defaultBranch: string;
      commitSha: string;
    };
    expect(body).toMatchObject({
      fullName: 'octo-org/service-a',
      defaultBranch: 'main',
      commitSha: expect.stringMatching(/^[0-9a-f]{40}$/) as string,
    });
    // GitHub calls: create, read the placeholder (head commit, one call), tree, commit, fast-forward
    // (token mints aside).
    const calls = (await fx.admin.calls())
      .map((call) => `${call.method} ${call.route}`)
      .filter((call) => !call.endsWith('/access_tokens'));
    expect(calls).toEqual([
      'POST /orgs/{org}/repos',
      'GET /repos/{owner}/{repo}/commits',
      'POST /repos/{owner}/{repo}/git/trees',
      'POST /repos/{owner}/{repo}/git/commits',
      'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
    ]);
    const back = await readBack(
      'octo-org',
      'service-a',
      template.map((f) => f.path),
    );
    expect(back.info).toMatchObject({ private: true, description: 'A service' });
    expect(back.commits).toBe(2); // auto_init's placeholder, then the three files in one commit on top
    expect(back.files).toEqual(Object.fromEntries(template.map((f) => [f.path, f.content])));
  });

  it('creates an empty personal repository for the caller with their own user token', async () => {
    const response = await create('alice', {
      installationId: installs.alice,
      name: 'my-notes',
      private: false,
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({
      fullName: 'alice/my-notes',
      htmlUrl: expect.any(String) as string,
      defaultBranch: 'main',
      commitSha: null,
    });
    const back = await readBack('alice', 'my-notes', []);
    expect(back.info).toMatchObject({ private: false, owner: { login: 'alice' } });
    expect(back.commits).toBe(0);
    const repoCalls = await fx.admin.calls('POST /user/repos');
    expect(repoCalls.at(-1)?.credential).toBe('user_token');
  });

  it("refuses someone else's personal installation with 403 personal_account_owner_only", async () => {
    const before = repoCount();
    const response = await create('alice', { installationId: installs.bob, name: 'not-mine' });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      error: 'personal_account_owner_only',
      message: expect.stringContaining('bob') as string,
    });
    expect(repoCount()).toBe(before);
  });

  it('refuses an unlinked installation (404) and a suspended one (409), creating nothing', async () => {
    const before = repoCount();
    const unlinked = await create('alice', { installationId: installs['unlinked-org'], name: 'x1' });
    expect(unlinked.status).toBe(404);
    expect(await unlinked.json()).toMatchObject({ error: 'installation_not_found' });
    await fx.admin.suspend(installs['sus-org'] ?? 0);
    const suspended = await create('alice', { installationId: installs['sus-org'], name: 'x2' });
    expect(suspended.status).toBe(409);
    expect(await suspended.json()).toMatchObject({ error: 'installation_suspended' });
    await fx.admin.unsuspend(installs['sus-org'] ?? 0);
    expect(repoCount()).toBe(before);
  });

  it('answers 403 when the installation does not grant what repository creation needs', async () => {
    await fx.admin.call('POST', `/installations/${installs['sus-org']}/permissions`, {
      permissions: { metadata: 'read', contents: 'read' },
    });
    const before = repoCount();
    const response = await create('alice', { installationId: installs['sus-org'], name: 'no-admin' });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'insufficient_installation_permissions' });
    expect(repoCount()).toBe(before);
  });

  it('answers 409 repository_exists for a taken name', async () => {
    const before = repoCount();
    const response = await create('alice', {
      installationId: installs['octo-org'],
      name: 'Service-A',
      files: [{ path: 'x', content: 'y' }],
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: 'repository_exists' });
    expect(repoCount()).toBe(before);
  });

  it('refuses 300 files, a 2 MB file, bad names and bad paths with 400 before creating anything', async () => {
    const before = repoCount();
    const cases: Array<[unknown, string]> = [
      [
        {
          installationId: installs['octo-org'],
          name: 'many',
          files: Array.from({ length: 300 }, (_, i) => ({ path: `f${i}.txt`, content: 'x' })),
        },
        'too_many_files',
      ],
      [
        {
          installationId: installs['octo-org'],
          name: 'big',
          files: [{ path: 'big.bin', content: 'x'.repeat(2 * 1024 * 1024) }],
        },
        'file_too_large',
      ],
      [{ installationId: installs['octo-org'], name: 'bad name!' }, 'invalid_name'],
      [{ installationId: installs['octo-org'], name: 'x.git' }, 'invalid_name'],
      [
        { installationId: installs['octo-org'], name: 'paths', files: [{ path: '../escape', content: 'x' }] },
        'invalid_path',
      ],
      [
        {
          installationId: installs['octo-org'],
          name: 'dupes',
          files: [
            { path: 'a', content: '1' },
            { path: 'a', content: '2' },
          ],
        },
        'duplicate_file_path',
      ],
      [{ installationId: 'nope', name: 'x' }, 'invalid_request'],
    ];
    for (const [body, code] of cases) {
      const response = await create('alice', body);
      expect([code, response.status]).toEqual([code, 400]);
      expect(await response.json()).toMatchObject({ error: code });
    }
    expect(repoCount()).toBe(before);
  });

  it('a failed commit answers 502 with what exists; the same request again finishes with one repo and one commit', async () => {
    const body = { installationId: installs['octo-org'], name: 'half-done', files: template };
    await fx.admin.fault({
      method: 'POST',
      route: '/repos/{owner}/{repo}/git/commits',
      status: 500,
      count: 5,
    });
    const failed = await create('alice', body);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({
      error: 'commit_failed',
      repository: { fullName: 'octo-org/half-done' },
    });
    await fx.admin.call('DELETE', '/faults');
    const before = repoCount();
    const retried = await create('alice', body);
    expect(retried.status).toBe(201);
    expect(repoCount()).toBe(before);
    const back = await readBack('octo-org', 'half-done', ['README.md']);
    expect(back.commits).toBe(2); // the placeholder and the files
    expect(back.files['README.md']).toBe('# Service\n');
    // Replaying the finished request is harmless.
    const replay = await create('alice', body);
    expect(replay.status).toBe(201);
    expect(repoCount()).toBe(before);
  });
});

/** The App's installation token for `owner`, as "someone else" (not the service) would use it. */
async function tokenFor(owner: string) {
  const auth = createAppAuth({
    appId: fx.secrets.githubApp.appId,
    privateKey: fx.secrets.githubApp.privateKey,
    request: octokitRequest.defaults({ baseUrl: fx.emulator.url }),
  });
  return (await auth({ type: 'installation', installationId: installs[owner] ?? 0 })).token;
}

const git = () => octokitRequest.defaults({ baseUrl: fx.emulator.url });

async function headOf(owner: string, repo: string) {
  const headers = { authorization: `token ${await tokenFor(owner)}` };
  const { data } = await git()('GET /repos/{owner}/{repo}/git/ref/{ref}', {
    owner,
    repo,
    ref: 'heads/main',
    headers,
  });
  return data.object.sha;
}

/** Pushes one commit to main through the git data API, as a person working in the repository would. */
async function pushAsSomeoneElse(owner: string, repo: string) {
  const headers = { authorization: `token ${await tokenFor(owner)}` };
  const parent = await headOf(owner, repo);
  const tree = await git()('POST /repos/{owner}/{repo}/git/trees', {
    owner,
    repo,
    headers,
    tree: [{ path: 'THEIR-WORK.md', mode: '100644', type: 'blob', content: 'mine\n' }],
  });
  const commit = await git()('POST /repos/{owner}/{repo}/git/commits', {
    owner,
    repo,
    headers,
    message: 'Their work',
    tree: tree.data.sha,
    parents: [parent],
  });
  await git()('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
    owner,
    repo,
    headers,
    ref: 'heads/main',
    sha: commit.data.sha,
  });
  return commit.data.sha;
}

/** main's history, newest first, as shas with their parents. */
async function historyOf(owner: string, repo: string) {
  const headers = { authorization: `token ${await tokenFor(owner)}` };
  const { data } = await git()('GET /repos/{owner}/{repo}/commits', { owner, repo, headers });
  return data.map((commit) => ({ sha: commit.sha, parents: commit.parents.map((p) => p.sha) }));
}

describe('who may create what (repository creation policy)', () => {
  const orgRepoCalls = async () => (await fx.admin.calls('POST /orgs/{org}/repos')).length;

  it('a member cannot create a public repository or a special one: 403 insufficient_role, nothing at GitHub', async () => {
    const before = repoCount();
    await fx.admin.clearCalls();
    const bodies = [
      { installationId: installs['octo-org'], name: 'public-by-member', private: false },
      { installationId: installs['octo-org'], name: '.github' },
      { installationId: installs['octo-org'], name: '.GitHub-Private' },
      { installationId: installs['octo-org'], name: 'octo-org.github.io' },
      { installationId: installs['octo-org'], name: 'OCTO-ORG.GitHub.IO', files: template },
    ];
    for (const body of bodies) {
      const response = await create('carol', body);
      expect([body.name, response.status]).toEqual([body.name, 403]);
      expect(await response.json()).toMatchObject({ error: 'insufficient_role' });
    }
    expect(await orgRepoCalls()).toBe(0);
    expect(repoCount()).toBe(before);
  });

  it("an admin can create a public repository and the org's .github repository", async () => {
    const open = await create('bob', {
      installationId: installs['octo-org'],
      name: 'public-by-admin',
      private: false,
    });
    expect(open.status).toBe(201);
    const special = await create('bob', { installationId: installs['octo-org'], name: '.github' });
    expect(special.status).toBe(201);
    expect((await readBack('octo-org', 'public-by-admin', [])).info).toMatchObject({ private: false });
    expect((await readBack('octo-org', '.github', [])).info).toMatchObject({ private: true });
  });
});

/**
 * Parallel identical requests agree: each answers 201 with the same commit or a clear 409
 * creation_in_progress, and at least one finishes. Returns the commit.
 */
async function oneAnswer(responses: Response[]) {
  const answers = await Promise.all(
    responses.map(async (r) => ({
      status: r.status,
      ...((await r.json()) as { commitSha?: string; error?: string }),
    })),
  );
  for (const answer of answers) {
    if (answer.status !== 201) expect(answer).toMatchObject({ status: 409, error: 'creation_in_progress' });
  }
  const shas = new Set(answers.filter((a) => a.status === 201).map((a) => a.commitSha));
  expect(shas.size).toBe(1);
  const [sha] = [...shas];
  expect(sha).toMatch(/^[0-9a-f]{40}$/);
  return sha;
}

describe('a retry never destroys commits the service did not make', () => {
  const failFirstCommit = () =>
    fx.admin.fault({ method: 'POST', route: '/repos/{owner}/{repo}/git/commits', status: 500, count: 5 });

  it('retry after someone pushed to main: 409 repository_changed, main still holds their commit', async () => {
    const body = { installationId: installs['octo-org'], name: 'pushed-meanwhile', files: template };
    await failFirstCommit();
    const failed = await create('alice', body);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ error: 'commit_failed' });
    await fx.admin.call('DELETE', '/faults');

    const theirs = await pushAsSomeoneElse('octo-org', 'pushed-meanwhile');
    const retried = await create('alice', body);
    expect(retried.status).toBe(409);
    expect(await retried.json()).toMatchObject({ error: 'repository_changed' });
    expect(await headOf('octo-org', 'pushed-meanwhile')).toBe(theirs);
    expect((await historyOf('octo-org', 'pushed-meanwhile')).length).toBe(2); // placeholder + theirs
  });

  it('four identical retries in parallel: one commit on top of the placeholder, one answer', async () => {
    const body = { installationId: installs['octo-org'], name: 'four-retries', files: template };
    await failFirstCommit();
    expect((await create('alice', body)).status).toBe(502);
    await fx.admin.call('DELETE', '/faults');
    const placeholder = await headOf('octo-org', 'four-retries');

    const sha = await oneAnswer(await Promise.all(Array.from({ length: 4 }, () => create('alice', body))));
    expect(await historyOf('octo-org', 'four-retries')).toEqual([
      { sha, parents: [placeholder] },
      { sha: placeholder, parents: [] },
    ]);
    const back = await readBack('octo-org', 'four-retries', ['README.md', 'src/index.ts']);
    expect(back.files['README.md']).toBe('# Service\n');
  });

  it('a retry finds exactly its own files on top of the placeholder (an earlier answer lost): 201 with that commit', async () => {
    const body = { installationId: installs['octo-org'], name: 'answer-lost', files: template };
    await failFirstCommit();
    expect((await create('alice', body)).status).toBe(502);
    await fx.admin.call('DELETE', '/faults');
    // The same tree, one commit on top of the placeholder: what the service itself would have made.
    const headers = { authorization: `token ${await tokenFor('octo-org')}` };
    const where = { owner: 'octo-org', repo: 'answer-lost', headers };
    const placeholder = await headOf('octo-org', 'answer-lost');
    const tree = await git()('POST /repos/{owner}/{repo}/git/trees', {
      ...where,
      tree: template.map((f) => ({
        path: f.path,
        mode: '100644' as const,
        type: 'blob' as const,
        content: f.content,
      })),
    });
    const commit = await git()('POST /repos/{owner}/{repo}/git/commits', {
      ...where,
      message: 'Add initial files',
      tree: tree.data.sha,
      parents: [placeholder],
    });
    await git()('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
      ...where,
      ref: 'heads/main',
      sha: commit.data.sha,
    });

    const retried = await create('alice', body);
    expect(retried.status).toBe(201);
    expect(await retried.json()).toMatchObject({ commitSha: commit.data.sha });
    expect((await historyOf('octo-org', 'answer-lost')).map((c) => c.sha)).toEqual([
      commit.data.sha,
      placeholder,
    ]);
  });

  it('placeholder never recorded: a retry builds on an untouched auto_init commit, refuses a moved branch', async () => {
    const failHeadRead = () =>
      fx.admin.fault({ method: 'GET', route: '/repos/{owner}/{repo}/commits', status: 500 });
    for (const name of ['unrecorded-clean', 'unrecorded-pushed']) {
      await failHeadRead();
      const failed = await create('alice', { installationId: installs['octo-org'], name, files: template });
      expect([name, failed.status]).toEqual([name, 502]);
      await fx.admin.call('DELETE', '/faults');
    }
    const clean = await create('alice', {
      installationId: installs['octo-org'],
      name: 'unrecorded-clean',
      files: template,
    });
    expect(clean.status).toBe(201);
    expect(await historyOf('octo-org', 'unrecorded-clean')).toHaveLength(2);

    const theirs = await pushAsSomeoneElse('octo-org', 'unrecorded-pushed');
    const pushed = await create('alice', {
      installationId: installs['octo-org'],
      name: 'unrecorded-pushed',
      files: template,
    });
    expect(pushed.status).toBe(409);
    expect(await pushed.json()).toMatchObject({ error: 'repository_changed' });
    expect(await headOf('octo-org', 'unrecorded-pushed')).toBe(theirs);
  });

  it('four identical new requests in parallel: at most one commit lands, answers agree', async () => {
    const body = { installationId: installs['octo-org'], name: 'four-fresh', files: template };
    const sha = await oneAnswer(await Promise.all(Array.from({ length: 4 }, () => create('alice', body))));
    const history = await historyOf('octo-org', 'four-fresh');
    expect(history).toHaveLength(2);
    expect(history[0]?.sha).toBe(sha);
    expect(history[1]?.parents).toEqual([]);
  });
});

describe('file paths Git would refuse', () => {
  it('answers 400 invalid_path for .git aliases and malformed paths, creating nothing', async () => {
    const before = repoCount();
    await fx.admin.clearCalls();
    const attacks = [
      '.git./hooks/x',
      '.git /config',
      'git~1/config',
      '.g\u200cit/config',
      '.GIT/config',
      'a/.git::$INDEX_ALLOCATION/x',
      '/etc/passwd',
      'a//b',
      './a',
      'a/../b',
      'a\\b',
      'a\nb',
      'dir/',
    ];
    for (const path of attacks) {
      const response = await create('alice', {
        installationId: installs['octo-org'],
        name: 'attack',
        files: [{ path, content: 'x' }],
      });
      expect([path, response.status]).toEqual([path, 400]);
      expect(await response.json()).toMatchObject({ error: 'invalid_path' });
    }
    expect(await fx.admin.calls('POST /orgs/{org}/repos')).toHaveLength(0);
    expect(repoCount()).toBe(before);
  });
});

describe('installation tokens shared by every container', () => {
  it('four processes creating 40 repos concurrently mint one creation token, and one token per new repository', async () => {
    const workers = await startWorkers(fx, 4);
    // 40 repositories with files at once are some 200 content-creating calls: past GitHub's 80 a minute
    // by design (this is about the token cache), so GitHub's limits are relaxed for it.
    await fx.admin.setLimits({ enforce: false });
    try {
      await fx.admin.clearCalls();
      const responses = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          fetch(`${workers.urls[i % 4] ?? ''}/accounts/${account}/repositories`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${sessionIds.alice ?? ''}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify({
              installationId: installs['bulk-org'],
              name: `bulk-${i}`,
              files: [{ path: 'README.md', content: `# ${i}\n` }],
            }),
          }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 40 }, () => 201));
      // The creation token (no repository named: shared by all 40), and for the files the token of
      // each new repository alone (docs/repository-scope.md, "Tokens").
      const minted = await fx.admin.calls('POST /app/installations/{installation_id}/access_tokens');
      expect(minted).toHaveLength(41);
      const tokens = [...fx.emulator.world.installationTokens.values()].filter(
        (token) => token.installationId === installs['bulk-org'],
      );
      const wide = tokens.filter((token) => token.repositoryIds === null);
      expect(wide.filter((token) => token.permissions.administration === 'write')).toHaveLength(1);
      expect(wide.filter((token) => token.permissions.contents === 'write')).toEqual([]);
      expect(tokens.filter((token) => token.repositoryIds?.size === 1)).toHaveLength(40);

      // Past the token's expiry on GitHub's clock, the next request (no files) mints exactly one new token.
      await fx.admin.advanceClock(3601);
      await fx.admin.clearCalls();
      const later = await fetch(`${workers.urls[0] ?? ''}/accounts/${account}/repositories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sessionIds.alice ?? ''}`, 'content-type': 'application/json' },
        body: JSON.stringify({ installationId: installs['bulk-org'], name: 'bulk-later' }),
      });
      expect(later.status).toBe(201);
      expect(await mints()).toBe(1);
    } finally {
      workers.stop();
      await fx.admin.setLimits({ enforce: true });
    }
  });

  it('keeps installation tokens encrypted in the table', async () => {
    const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
    expect(Items.some((item) => item.SK?.S?.startsWith('TOKEN#'))).toBe(true);
    expect(JSON.stringify(Items)).not.toMatch(/gh[usr]_[\w-]{20}/);
  });
});
