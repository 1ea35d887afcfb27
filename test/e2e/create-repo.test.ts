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
    await fx.admin.createUser({ login: org, type: 'Organization', members: ['alice', 'bob', 'carol'] });
  }
  for (const target of ['alice', 'bob', 'octo-org', 'sus-org', 'unlinked-org', 'bulk-org']) {
    installs[target] = (await fx.admin.install({ appId, account: target })).installation.id;
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
afterAll(() => fx.close());

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
    const back = await readBack(
      'octo-org',
      'service-a',
      template.map((f) => f.path),
    );
    expect(back.info).toMatchObject({ private: true, description: 'A service' });
    expect(back.commits).toBe(1);
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
        'invalid_file_path',
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
    expect(back.commits).toBe(1);
    expect(back.files['README.md']).toBe('# Service\n');
    // Replaying the finished request is harmless.
    const replay = await create('alice', body);
    expect(replay.status).toBe(201);
    expect(repoCount()).toBe(before);
  });
});

describe('installation tokens shared by every container', () => {
  it('four processes creating 40 repos concurrently mint exactly one token', async () => {
    const workers = await startWorkers(fx, 4);
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
      expect(await mints()).toBe(1);

      // Past the token's expiry on GitHub's clock, the next request mints exactly one new token.
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
    }
  });

  it('keeps installation tokens encrypted in the table', async () => {
    const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
    expect(Items.some((item) => item.SK?.S?.startsWith('TOKEN#'))).toBe(true);
    expect(JSON.stringify(Items)).not.toMatch(/gh[usr]_[A-Za-z0-9]{20}/);
  });
});
