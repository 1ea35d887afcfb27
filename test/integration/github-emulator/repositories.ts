/**
 * The GitHub emulator: creating repositories, committing to them, and who reaches them (run by
 * test/integration/github-emulator.test.ts).
 */
import { appAuth, failure, fx, installations, request, signIn } from '../../support/emulator-suite.js';

describe('repositories', () => {
  it('creates an org repository with an installation token and commits files in one commit', async () => {
    const { token } = await appAuth()({ type: 'installation', installationId: installations.org });
    const headers = { authorization: `token ${token}` };
    const { data: repo } = await request('POST /orgs/{org}/repos', {
      org: 'octo-org',
      name: 'service one',
      private: true,
      auto_init: true,
      headers,
    });
    expect(repo).toMatchObject({
      name: 'service-one',
      full_name: 'octo-org/service-one',
      private: true,
      default_branch: 'main',
    });
    const repoParams = { owner: 'octo-org', repo: 'service-one', headers };

    const { data: blob } = await request('POST /repos/{owner}/{repo}/git/blobs', {
      ...repoParams,
      content: Buffer.from('hello').toString('base64'),
      encoding: 'base64',
    });
    expect(blob.sha).toBe('b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0'); // git hash-object of "hello"
    const { data: tree } = await request('POST /repos/{owner}/{repo}/git/trees', {
      ...repoParams,
      tree: [
        { path: 'hello.txt', mode: '100644', type: 'blob', sha: blob.sha },
        { path: 'src/index.ts', mode: '100644', type: 'blob', content: 'export {};\n' },
      ],
    });
    const { data: commit } = await request('POST /repos/{owner}/{repo}/git/commits', {
      ...repoParams,
      message: 'Initial files',
      tree: tree.sha,
      parents: [],
    });
    expect(commit.author.name).toBe('platform-app[bot]');
    const { data: ref } = await request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
      ...repoParams,
      ref: 'heads/main',
      sha: commit.sha,
      force: true,
    });
    expect(ref.object.sha).toBe(commit.sha);

    const { data: commits } = await request('GET /repos/{owner}/{repo}/commits', repoParams);
    expect(commits.map((c) => c.sha)).toEqual([commit.sha]);
    const { data: file } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...repoParams,
      path: 'src/index.ts',
    });
    expect(Buffer.from((file as { content: string }).content, 'base64').toString()).toBe('export {};\n');
    const { data: root } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...repoParams,
      path: 'src',
    });
    expect(Array.isArray(root)).toBe(true);
    const { data: read } = await request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
      ...repoParams,
      ref: 'heads/main',
    });
    expect(read.object.sha).toBe(commit.sha);
    const { data: got } = await request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
      ...repoParams,
      commit_sha: commit.sha,
    });
    expect(got).toMatchObject({
      sha: commit.sha,
      tree: { sha: tree.sha },
      parents: [],
      message: 'Initial files',
    });
    const { data: fetched } = await request('GET /repos/{owner}/{repo}', repoParams);
    expect(fetched.full_name).toBe('octo-org/service-one');
  });

  it('refuses a non-fast-forward ref update without force, and git data on an empty repository', async () => {
    const { token } = await appAuth()({ type: 'installation', installationId: installations.org });
    const headers = { authorization: `token ${token}` };
    await request('POST /orgs/{org}/repos', { org: 'octo-org', name: 'empty-one', headers });
    const empty = await failure(
      request('POST /repos/{owner}/{repo}/git/blobs', {
        owner: 'octo-org',
        repo: 'empty-one',
        content: 'x',
        headers,
      }),
    );
    expect(empty.status).toBe(409);
    expect(empty.response?.data?.message).toBe('Git Repository is empty.');

    const params = { owner: 'octo-org', repo: 'service-one', headers };
    const { data: tree } = await request('POST /repos/{owner}/{repo}/git/trees', {
      ...params,
      tree: [{ path: 'x', mode: '100644', type: 'blob', content: 'x' }],
    });
    const { data: orphan } = await request('POST /repos/{owner}/{repo}/git/commits', {
      ...params,
      message: 'orphan',
      tree: tree.sha,
      parents: [],
    });
    const refused = await failure(
      request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
        ...params,
        ref: 'heads/main',
        sha: orphan.sha,
      }),
    );
    expect(refused.status).toBe(422);
    const { data: branch } = await request('POST /repos/{owner}/{repo}/git/refs', {
      ...params,
      ref: 'refs/heads/orphan',
      sha: orphan.sha,
    });
    expect(branch.ref).toBe('refs/heads/orphan');
  });

  it('answers 422 "name already exists" as GitHub does', async () => {
    const { token } = await appAuth()({ type: 'installation', installationId: installations.org });
    const error = await failure(
      request('POST /orgs/{org}/repos', {
        org: 'octo-org',
        name: 'SERVICE-ONE',
        headers: { authorization: `token ${token}` },
      }),
    );
    expect(error.status).toBe(422);
    expect(error.response?.data).toMatchObject({
      message: 'Repository creation failed.',
      errors: [
        {
          resource: 'Repository',
          code: 'custom',
          field: 'name',
          message: 'name already exists on this account',
        },
      ],
    });
  });

  it('refuses creation with a token narrowed to repositories, and a token never gains a repository made later', async () => {
    const narrowed = await appAuth()({
      type: 'installation',
      installationId: installations.org,
      repositoryNames: ['service-one'],
      permissions: { administration: 'write', contents: 'write', metadata: 'read' },
    });
    const refused = await failure(
      request('POST /orgs/{org}/repos', {
        org: 'octo-org',
        name: 'made-by-narrowed',
        auto_init: true,
        headers: { authorization: `token ${narrowed.token}` },
      }),
    );
    expect(refused.status).toBe(403);
    expect(refused.response?.data).toMatchObject({ message: 'Resource not accessible by integration' });
    expect(fx.emulator.world.repository('octo-org', 'made-by-narrowed')).toBeUndefined();

    // Another token of the installation creates one: the narrowed token still reaches only its own.
    const { token } = await appAuth()({ type: 'installation', installationId: installations.org });
    await request('POST /orgs/{org}/repos', {
      org: 'octo-org',
      name: 'made-later',
      auto_init: true,
      headers: { authorization: `token ${token}` },
    });
    const unreached = await failure(
      request('GET /repos/{owner}/{repo}', {
        owner: 'octo-org',
        repo: 'made-later',
        headers: { authorization: `token ${narrowed.token}` },
      }),
    );
    expect(unreached.status).toBe(404);
    const own = await request('GET /repos/{owner}/{repo}', {
      owner: 'octo-org',
      repo: 'service-one',
      headers: { authorization: `token ${narrowed.token}` },
    });
    expect(own.status).toBe(200);
  });

  it('creates a personal repository only with the user token, never with an installation token', async () => {
    const { token: installationToken } = await appAuth()({
      type: 'installation',
      installationId: installations.personal,
    });
    const refused = await failure(
      request('POST /orgs/{org}/repos', {
        org: 'octo-demo',
        name: 'mine',
        headers: { authorization: `token ${installationToken}` },
      }),
    );
    expect(refused.status).toBe(403);
    const viaUserEndpoint = await failure(
      request('POST /user/repos', { name: 'mine', headers: { authorization: `token ${installationToken}` } }),
    );
    expect(viaUserEndpoint.status).toBe(403);

    const { token } = await signIn('octo-demo');
    const { data } = await request('POST /user/repos', {
      name: 'mine',
      headers: { authorization: `token ${token}` },
    });
    expect(data).toMatchObject({ full_name: 'octo-demo/mine', owner: { login: 'octo-demo' } });
  });

  it('keeps other accounts’ repositories out of reach', async () => {
    const { token } = await appAuth()({ type: 'installation', installationId: installations.personal });
    const error = await failure(
      request('GET /repos/{owner}/{repo}', {
        owner: 'octo-org',
        repo: 'service-one',
        headers: { authorization: `token ${token}` },
      }),
    );
    expect(error.status).toBe(404);
  });
});
