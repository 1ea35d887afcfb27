/**
 * The GitHub emulator: the control API’s repositories, and git trees, blobs and contents (run by
 * test/integration/github-emulator.test.ts).
 */
import { appAuth, failure, fx, installations, request } from '../../support/emulator-suite.js';

describe('control API: repositories', () => {
  it('creates repositories with one commit of their files, as templates or private if asked', async () => {
    const made = await fx.admin.createRepositories('octo-org', {
      names: ['seeded-template'],
      isTemplate: true,
      private: true,
      files: { 'package.json': '{"name":"seeded"}\n', 'src/index.ts': 'export {};\n' },
    });
    expect(made).toEqual([{ id: expect.any(Number), fullName: 'octo-org/seeded-template' }]);
    const bulk = await fx.admin.createRepositories('octo-org', { count: 3, prefix: 'bulk' });
    expect(bulk.map((repo) => repo.fullName)).toEqual([
      'octo-org/bulk-0001',
      'octo-org/bulk-0002',
      'octo-org/bulk-0003',
    ]);
    const { token } = await appAuth()({ type: 'installation', installationId: installations.org });
    const headers = { authorization: `token ${token}` };
    const { data: repo } = await request('GET /repos/{owner}/{repo}', {
      owner: 'octo-org',
      repo: 'seeded-template',
      headers,
    });
    expect(repo).toMatchObject({ is_template: true, private: true, archived: false, default_branch: 'main' });
    const { data: file } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: 'octo-org',
      repo: 'seeded-template',
      path: 'src/index.ts',
      headers,
    });
    expect(Buffer.from((file as { content: string }).content, 'base64').toString()).toBe('export {};\n');
    await expect(fx.admin.createRepositories('octo-org', { names: ['bulk-0001'] })).rejects.toThrow(/taken/);
  });
});

describe('git trees, blobs and contents', () => {
  const big = Buffer.alloc(1024 * 1024 + 1, 7);
  let params: { owner: string; repo: string; headers: { authorization: string } };
  beforeAll(async () => {
    params = await seeded();
  });
  async function seeded() {
    const repo = fx.emulator.world.createRepository({
      ownerId: fx.emulator.world.accountByLogin('octo-org')?.id ?? 0,
      name: 'tree-repo',
      description: null,
      private: true,
    });
    fx.emulator.world.commitFiles(
      repo,
      { 'README.md': '# tree\n', 'src/a.ts': 'a\n', 'src/lib/b.ts': 'b\n', 'big.bin': big },
      'Initial commit',
    );
    repo.git.refs.set('refs/tags/v1', repo.git.refs.get('refs/heads/main') ?? '');
    const { token } = await appAuth()({ type: 'installation', installationId: installations.org });
    return { owner: 'octo-org', repo: 'tree-repo', headers: { authorization: `token ${token}` } };
  }

  it('answers a tree by tree sha, commit sha, branch, tag or HEAD; recursive for any value; truncated over the limit', async () => {
    const head = fx.emulator.world.repository('octo-org', 'tree-repo')?.git.refs.get('refs/heads/main') ?? '';
    const { data: top } = await request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
      ...params,
      tree_sha: 'main',
    });
    expect(top.truncated).toBe(false);
    expect(top.tree.map((entry) => [entry.path, entry.type])).toEqual([
      ['README.md', 'blob'],
      ['big.bin', 'blob'],
      ['src', 'tree'],
    ]);
    for (const name of [head, top.sha, 'v1', 'HEAD', 'refs/heads/main']) {
      const { data } = await request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        ...params,
        tree_sha: name,
      });
      expect(data.sha).toBe(top.sha);
    }
    for (const recursive of ['1', '0', 'false']) {
      const { data } = await request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        ...params,
        tree_sha: 'main',
        recursive,
      });
      expect(data.tree.map((entry) => entry.path)).toEqual([
        'README.md',
        'big.bin',
        'src',
        'src/a.ts',
        'src/lib',
        'src/lib/b.ts',
      ]);
      expect(data.tree.find((entry) => entry.path === 'src/a.ts')).toMatchObject({ mode: '100644', size: 2 });
      expect(data.tree.find((entry) => entry.path === 'src')?.size).toBeUndefined();
    }
    expect(
      (
        await failure(
          request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', { ...params, tree_sha: 'nope' }),
        )
      ).status,
    ).toBe(404);

    await fx.admin.call('PUT', '/limits/trees', { maxEntries: 4 });
    try {
      const { data } = await request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        ...params,
        tree_sha: 'main',
        recursive: '1',
      });
      expect(data.truncated).toBe(true);
      expect(data.tree).toHaveLength(4);
    } finally {
      await fx.admin.call('DELETE', '/limits/trees');
    }
  });

  it('answers contents as GitHub does (files, directories, files over 1 MB without content), blobs and branches', async () => {
    const { data: dir } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...params,
      path: 'src',
    });
    expect(Array.isArray(dir) && dir.map((entry) => [entry.path, entry.type])).toEqual([
      ['src/a.ts', 'file'],
      ['src/lib', 'dir'],
    ]);
    const { data: large } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...params,
      path: 'big.bin',
    });
    expect(large).toMatchObject({ type: 'file', size: big.length, encoding: 'none', content: '' });
    const { data: blob } = await request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', {
      ...params,
      file_sha: (large as { sha: string }).sha,
    });
    expect(blob.encoding).toBe('base64');
    expect(Buffer.from(blob.content, 'base64').equals(big)).toBe(true);
    const { data: branch } = await request('GET /repos/{owner}/{repo}/branches/{branch}', {
      ...params,
      branch: 'main',
    });
    const head = fx.emulator.world.repository('octo-org', 'tree-repo')?.git.refs.get('refs/heads/main');
    expect(branch).toMatchObject({ name: 'main', protected: false, commit: { sha: head } });
    const noBranch = await failure(
      request('GET /repos/{owner}/{repo}/branches/{branch}', { ...params, branch: 'nope' }),
    );
    expect([noBranch.status, noBranch.response?.data?.message]).toEqual([404, 'Branch not found']);
    const missingRef = await failure(
      request('GET /repos/{owner}/{repo}/contents/{path}', { ...params, path: 'README.md', ref: 'nope' }),
    );
    expect(missingRef.status).toBe(404);
    expect(missingRef.response?.data?.message).toMatch(/No commit found for the ref nope/);
    expect(
      (await failure(request('GET /repos/{owner}/{repo}/contents/{path}', { ...params, path: 'missing' })))
        .status,
    ).toBe(404);
  });
});
