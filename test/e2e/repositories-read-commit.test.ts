import { defaultPathSerializer } from 'openapi-fetch';
import { contractPath, ROUTES } from '../../functions/shared/service-routes.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

let fx: ServiceFixture;
let accountA: string;
let accountB: string;
const installs: Record<string, number> = {};
type Call = ReturnType<typeof api>;
const sessions: Record<string, Call> = {};

const PACKAGE_JSON = '{\n  "name": "app-one",\n  "version": "1.0.0"\n}\n';
const BIG = Buffer.alloc(1536 * 1024, 0xfe); // over GitHub's 1 MB contents limit, not UTF-8

beforeAll(async () => {
  fx = await startService();
  const appId = Number(fx.secrets.githubApp.appId);
  for (const login of ['alice', 'bob', 'carol']) await fx.admin.createUser({ login });
  for (const org of ['octo-org', 'ro-org']) {
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['alice'], members: ['bob'] });
  }
  await fx.admin.createRepositories('octo-org', {
    names: ['app-one', 'app-two', 'archived-one', 'removable', 'concurrent', 'outside'],
    files: {
      'package.json': PACKAGE_JSON,
      'README.md': '# app\n',
      'src/index.ts': 'export {};\n',
      'old.txt': 'old\n',
    },
  });
  await fx.admin.createRepositories('ro-org', { names: ['read-only'] });
  const big = fx.emulator.world.repository('octo-org', 'app-two');
  if (big) fx.emulator.world.commitFiles(big, { 'assets/big.bin': BIG }, 'Add a big file');
  installs.octo = (
    await fx.admin.install({
      appId,
      account: 'octo-org',
      repositorySelection: 'selected',
      repositories: ['app-one', 'app-two', 'archived-one', 'removable', 'concurrent'],
    })
  ).installation.id;
  installs.ro = (
    await fx.admin.install({
      appId,
      account: 'ro-org',
      permissions: { contents: 'read', metadata: 'read', members: 'read' },
    })
  ).installation.id;
  for (const login of ['alice', 'bob', 'carol']) sessions[login] = api(fx, await signIn(fx, login));
  const alice = sessions.alice as Call;
  accountA = (
    (await (await alice('/accounts', { method: 'POST', json: { name: 'A' } })).json()) as { id: string }
  ).id;
  const invited = await alice(`/accounts/${accountA}/members`, {
    method: 'POST',
    json: { login: 'bob', role: 'member' },
  });
  const { id } = (await invited.json()) as { id: string };
  expect((await (sessions.bob as Call)(`/invitations/${id}/accept`, { method: 'POST' })).status).toBe(200);
  for (const installation of [installs.octo, installs.ro]) {
    expect(
      (await alice(`/accounts/${accountA}/installations/${installation}`, { method: 'PUT' })).status,
    ).toBe(201);
  }
  const carol = sessions.carol as Call;
  accountB = (
    (await (await carol('/accounts', { method: 'POST', json: { name: 'B' } })).json()) as { id: string }
  ).id;
});
afterAll(() => fx?.close());

const bob = (path: string, init?: Parameters<Call>[1]) => (sessions.bob as Call)(path, init);
const base = (repo: string, account = accountA, owner = 'octo-org') =>
  `/accounts/${account}/repositories/${owner}/${repo}`;
const world = () => fx.emulator.world;
const repository = (name: string, owner = 'octo-org') => {
  const found = world().repository(owner, name);
  if (!found) throw new Error(`no ${owner}/${name}`);
  return found;
};
const head = (name: string, branch = 'main') => repository(name).git.refs.get(`refs/heads/${branch}`);
const commit = (name: string, branch = 'main') => {
  const sha = head(name, branch);
  return sha ? repository(name).git.commits.get(sha) : undefined;
};
/** GitHub calls made since the last clearCalls, minting of tokens left out, as `METHOD route`. */
async function gitHubCalls(): Promise<string[]> {
  return (await fx.admin.calls())
    .filter((call) => !call.route.startsWith('/_emulator') && !call.route.includes('access_tokens'))
    .map((call) => `${call.method} ${call.route}`);
}
async function body<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
const commitBody = (overrides: Record<string, unknown> = {}) => ({
  branch: 'feature/one',
  message: 'Add things',
  files: [{ path: 'a.txt', content: 'a\n', encoding: 'utf-8' }],
  ...overrides,
});

describe('reading a repository', () => {
  it('reads the whole tree in one GitHub call once the token is cached', async () => {
    const first = await bob(`${base('app-one')}/tree`);
    expect(first.status).toBe(200);
    await fx.admin.clearCalls();
    const response = await bob(`${base('app-one')}/tree`);
    expect(response.status).toBe(200);
    const tree = await body<{
      commitSha: string;
      sha: string;
      truncated: boolean;
      entries: Array<Record<string, unknown>>;
    }>(response);
    expect(tree.truncated).toBe(false);
    expect(tree.sha).toBe(commit('app-one')?.tree);
    // The commit that was read, for expectedHeadSha.
    expect(tree.commitSha).toBe(head('app-one'));
    expect(tree.entries).toEqual([
      { path: 'README.md', type: 'blob', size: 6, sha: expect.any(String), mode: '100644' },
      { path: 'old.txt', type: 'blob', size: 4, sha: expect.any(String), mode: '100644' },
      {
        path: 'package.json',
        type: 'blob',
        size: PACKAGE_JSON.length,
        sha: expect.any(String),
        mode: '100644',
      },
      { path: 'src', type: 'tree', sha: expect.any(String), mode: '040000' },
      { path: 'src/index.ts', type: 'blob', size: 11, sha: expect.any(String), mode: '100644' },
    ]);
    expect(await gitHubCalls()).toEqual([
      'GET /repos/{owner}/{repo}/commits',
      'GET /repos/{owner}/{repo}/git/trees/{tree_sha}',
    ]);

    const atRef = await body<{ ref: string; sha: string }>(await bob(`${base('app-one')}/tree?ref=main`));
    expect(atRef).toMatchObject({ ref: 'main', sha: tree.sha });
  });

  it('passes GitHub’s truncated on', async () => {
    await fx.admin.call('PUT', '/limits/trees', { maxEntries: 2 });
    try {
      const tree = await body<{ truncated: boolean; entries: unknown[] }>(
        await bob(`${base('app-one')}/tree`),
      );
      expect(tree.truncated).toBe(true);
      expect(tree.entries).toHaveLength(2);
    } finally {
      await fx.admin.call('DELETE', '/limits/trees');
    }
  });

  it('reads package.json (one call) and a directory', async () => {
    await fx.admin.clearCalls();
    const response = await bob(`${base('app-one')}/contents/package.json`);
    expect(response.status).toBe(200);
    const file = await body<{ content: string }>(response);
    expect(file).toEqual({
      type: 'file',
      path: 'package.json',
      sha: expect.any(String),
      size: PACKAGE_JSON.length,
      encoding: 'base64',
      content: Buffer.from(PACKAGE_JSON).toString('base64'),
    });
    expect(await gitHubCalls()).toEqual(['GET /repos/{owner}/{repo}/contents/{path}']);

    const dir = await body(await bob(`${base('app-one')}/contents/src?ref=main`));
    expect(dir).toEqual({
      type: 'dir',
      path: 'src',
      entries: [{ path: 'src/index.ts', type: 'file', size: 11, sha: expect.any(String) }],
    });
  });

  it('reads a file over 1 MB through its blob (two calls)', async () => {
    await bob(`${base('app-two')}/tree`); // the token for app-two is cached
    await fx.admin.clearCalls();
    const file = await body<{ content: string; size: number }>(
      await bob(`${base('app-two')}/contents/assets/big.bin`),
    );
    expect(file.size).toBe(BIG.length);
    expect(Buffer.from(file.content, 'base64').equals(BIG)).toBe(true);
    expect(await gitHubCalls()).toEqual([
      'GET /repos/{owner}/{repo}/contents/{path}',
      'GET /repos/{owner}/{repo}/git/blobs/{file_sha}',
    ]);
  });

  it('tells a missing ref and a missing path from a missing repository, and refuses bad ones', async () => {
    const missingRef = await bob(`${base('app-one')}/tree?ref=nope`);
    expect(missingRef.status).toBe(404);
    expect((await body(missingRef)).error).toBe('ref_not_found');
    const missingContentsRef = await bob(`${base('app-one')}/contents/package.json?ref=nope`);
    expect((await body(missingContentsRef)).error).toBe('ref_not_found');
    const missingPath = await bob(`${base('app-one')}/contents/nothing/here.txt`);
    expect(missingPath.status).toBe(404);
    expect((await body(missingPath)).error).toBe('path_not_found');
    for (const ref of ['a..b', 'x.lock', 'a b', '-x', 'feature/', 'a@{1']) {
      const bad = await bob(`${base('app-one')}/tree?ref=${encodeURIComponent(ref)}`);
      expect([ref, bad.status, (await body(bad)).error]).toEqual([ref, 400, 'invalid_ref']);
    }
    const badPath = await bob(`${base('app-one')}/contents/.git/config`);
    expect(badPath.status).toBe(400);
    expect((await body(badPath)).error).toBe('invalid_path');
  });
  it('reaches a file by its path as one parameter with slashes as %2F (openapi-fetch’s default serializer)', async () => {
    const contents = ROUTES.find((route) => route.path.endsWith('/contents/{path+}'));
    // The contract's template, filled as a generated client fills it (the console does).
    const url = (path: string) =>
      defaultPathSerializer(contractPath(contents ?? { path: '' }), {
        accountId: accountA,
        owner: 'octo-org',
        repo: 'app-one',
        path,
      });
    expect(url('src/index.ts')).toBe(`${base('app-one')}/contents/src%2Findex.ts`);
    const file = await bob(url('src/index.ts'));
    expect(file.status).toBe(200);
    expect(await body(file)).toMatchObject({ type: 'file', path: 'src/index.ts', size: 11 });
    expect(await body(await bob(url('src')))).toMatchObject({ type: 'dir', path: 'src' });
    // Decoded, the path follows Git's rules as a raw one does: dot and empty segments are refused. (A
    // whole path of `.` or `..` never arrives: URL parsing resolves it first; the console refuses it.)
    for (const path of ['src/../package.json', 'src/./index.ts', 'src//index.ts', '../x', '.git/config']) {
      const refused = await bob(url(path));
      expect([path, refused.status, (await body(refused)).error]).toEqual([path, 400, 'invalid_path']);
    }
    // Malformed percent-encoding inside the one segment: 400 invalid_path, never decoded into a path.
    const malformed = await bob(`${base('app-one')}/contents/src%2F%ZZ`);
    expect([malformed.status, (await body(malformed)).error]).toEqual([400, 'invalid_path']);
  });
});

describe('committing', () => {
  it('commits 3 files (one binary) and a deletion to a new branch in exactly one commit', async () => {
    const mainBefore = head('app-one');
    await fx.admin.clearCalls();
    const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x01]);
    const response = await bob(`${base('app-one')}/commits`, {
      method: 'POST',
      json: {
        branch: 'feature/one',
        message: 'Add a script, a note and an image',
        files: [
          { path: 'notes/a.txt', content: 'héllo\n', encoding: 'utf-8' },
          { path: 'img/logo.png', content: binary.toString('base64'), encoding: 'base64' },
          { path: 'scripts/run.sh', content: '#!/bin/sh\necho hi\n', encoding: 'utf-8', mode: '100755' },
        ],
        deletions: ['old.txt'],
      },
    });
    expect(response.status).toBe(201);
    const answer = await body<{ sha: string; htmlUrl: string; branch: string }>(response);
    expect(answer).toEqual({
      sha: head('app-one', 'feature/one'),
      htmlUrl: expect.stringContaining(`/octo-org/app-one/commit/${answer.sha}`),
      branch: 'feature/one',
      removedTrailers: [],
    });
    const calls = await gitHubCalls();
    // The branch (404), the repository (default branch, archived?), the base branch (head and tree),
    // one blob (the only non-UTF-8 file, made beside those reads), the tree, the commit, the new ref;
    // and, first, bob's own push access (the repository read with his token, then kept a minute); the
    // repository's id for repository.committed (beside the first reads: the index does not hold it here).
    expect(calls.sort()).toEqual([
      'GET /repos/{owner}/{repo}',
      'GET /repos/{owner}/{repo}',
      'GET /repos/{owner}/{repo}',
      'GET /repos/{owner}/{repo}/branches/{branch}',
      'GET /repos/{owner}/{repo}/branches/{branch}',
      'POST /repos/{owner}/{repo}/git/blobs',
      'POST /repos/{owner}/{repo}/git/commits',
      'POST /repos/{owner}/{repo}/git/refs',
      'POST /repos/{owner}/{repo}/git/trees',
    ]);

    const repo = repository('app-one');
    const made = repo.git.commits.get(answer.sha);
    expect(made?.parents).toEqual([mainBefore]);
    expect(head('app-one')).toBe(mainBefore);
    const bobId = world().accountByLogin('bob')?.id;
    expect(made?.message).toBe(
      `Add a script, a note and an image\n\nCo-authored-by: bob <${bobId}+bob@users.noreply.github.com>\n`,
    );
    const slug = [...world().apps.values()][0]?.slug;
    expect(made?.author.name).toBe(`${slug}[bot]`);
    const read = (path: string) => {
      const found = repo.git.resolvePath(answer.sha, path);
      return found?.kind === 'blob' ? found.content : undefined;
    };
    expect(read('notes/a.txt')?.toString()).toBe('héllo\n');
    expect(read('img/logo.png')?.equals(binary)).toBe(true);
    expect(read('old.txt')).toBeUndefined();
    expect(read('package.json')?.toString()).toBe(PACKAGE_JSON);
    const scripts = repo.git.resolvePath(answer.sha, 'scripts');
    expect(scripts?.kind === 'tree' && scripts.entries[0]?.mode).toBe('100755');

    // Through GitHub's commits API too: exactly one new commit on top of main's history.
    const history = await body<Array<{ sha: string }>>(
      await fetch(`${fx.emulator.url}/repos/octo-org/app-one/commits?sha=feature/one`, {
        headers: { authorization: `token ${await installationToken()}` },
      }),
    );
    expect(history.map((entry) => entry.sha)).toEqual([answer.sha, mainBefore]);

    // Read back through the service at the new branch (a ref with a slash).
    const atBranch = await body<{ entries: Array<{ path: string }> }>(
      await bob(`${base('app-one')}/tree?ref=feature/one`),
    );
    expect(atBranch.entries.map((entry) => entry.path)).toEqual(
      expect.arrayContaining(['img/logo.png', 'notes/a.txt', 'scripts/run.sh']),
    );
    expect(atBranch.entries.map((entry) => entry.path)).not.toContain('old.txt');
    const logo = await body<{ content: string }>(
      await bob(`${base('app-one')}/contents/img/logo.png?ref=${encodeURIComponent('feature/one')}`),
    );
    expect(Buffer.from(logo.content, 'base64').equals(binary)).toBe(true);

    // On the existing branch, with the expected head: four calls (and the repository's id beside the
    // branch read, for repository.committed: the index does not hold it here).
    await fx.admin.clearCalls();
    const next = await bob(`${base('app-one')}/commits`, {
      method: 'POST',
      json: commitBody({ expectedHeadSha: answer.sha }),
    });
    expect(next.status).toBe(201);
    const nextCalls = await gitHubCalls();
    expect(nextCalls.filter((call) => call !== 'GET /repos/{owner}/{repo}')).toEqual([
      'GET /repos/{owner}/{repo}/branches/{branch}',
      'POST /repos/{owner}/{repo}/git/trees',
      'POST /repos/{owner}/{repo}/git/commits',
      'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
    ]);
    expect(nextCalls.filter((call) => call === 'GET /repos/{owner}/{repo}')).toHaveLength(1);
    expect(repo.git.commits.get(head('app-one', 'feature/one') ?? '')?.parents).toEqual([answer.sha]);
  });

  it('a binary file on an existing branch: 6 calls in 4 sequential round trips (the blob and the repository id beside the branch read)', async () => {
    const before = head('app-one', 'feature/one');
    await fx.admin.setLatency(60);
    try {
      await fx.admin.clearCalls();
      const response = await bob(`${base('app-one')}/commits`, {
        method: 'POST',
        json: commitBody({
          expectedHeadSha: before,
          files: [
            {
              path: 'bin/data',
              content: Buffer.from([0xff, 0x00, 0xfe]).toString('base64'),
              encoding: 'base64',
            },
          ],
        }),
      });
      expect(response.status).toBe(201);
    } finally {
      await fx.admin.setLatency(0);
    }
    const calls = (await fx.admin.calls())
      .filter((call) => !call.route.startsWith('/_emulator') && !call.route.includes('access_tokens'))
      .sort((a, b) => a.startMs - b.startMs);
    // The repository's id (for repository.committed; the index does not hold it here) is the sixth.
    expect(calls).toHaveLength(6);
    // Calls that start before the previous round's calls have all answered run in the same round.
    let rounds = 0;
    let roundEnd = -Infinity;
    for (const call of calls) {
      if (call.startMs >= roundEnd) {
        rounds++;
        roundEnd = call.endMs;
      } else roundEnd = Math.max(roundEnd, call.endMs);
    }
    expect(rounds).toBe(4);
  });

  it('a stale expectedHeadSha is 409 head_moved with the current head, and nothing changes', async () => {
    const before = head('app-one', 'feature/one');
    const stale = head('app-one');
    const commits = repository('app-one').git.commits.size;
    await fx.admin.clearCalls();
    const response = await bob(`${base('app-one')}/commits`, {
      method: 'POST',
      json: commitBody({ expectedHeadSha: stale, message: 'stale' }),
    });
    expect(response.status).toBe(409);
    expect(await body(response)).toMatchObject({ error: 'head_moved', currentSha: before });
    expect(head('app-one', 'feature/one')).toBe(before);
    expect(repository('app-one').git.commits.size).toBe(commits);
    expect((await gitHubCalls()).filter((call) => !call.startsWith('GET'))).toEqual([]);
  });

  it('a ref update GitHub refuses while the head has not moved is tried once more, never forced', async () => {
    const before = head('app-one', 'feature/one');
    await fx.admin.fault({
      method: 'PATCH',
      route: '/repos/{owner}/{repo}/git/refs/{ref}',
      status: 422,
      body: { message: 'Reference cannot be updated', documentation_url: 'https://docs.github.com/rest' },
    });
    await fx.admin.clearCalls();
    const response = await bob(`${base('app-one')}/commits`, {
      method: 'POST',
      json: commitBody({ message: 'After a refusal', expectedHeadSha: before }),
    });
    expect(response.status).toBe(201);
    const { sha } = await body<{ sha: string }>(response);
    expect(head('app-one', 'feature/one')).toBe(sha);
    expect(repository('app-one').git.commits.get(sha)?.parents).toEqual([before]);
    const updates = (await fx.admin.calls()).filter((call) => call.method === 'PATCH');
    expect(updates.map((call) => call.status)).toEqual([422, 200]);
  });

  it('10 concurrent commits on the same head: one 201, nine 409 head_moved, a linear history', async () => {
    const start = head('concurrent') ?? '';
    const answers = await Promise.all(
      Array.from({ length: 10 }, async (_, index) => {
        const response = await bob(`${base('concurrent')}/commits`, {
          method: 'POST',
          json: {
            branch: 'main',
            message: `Change ${index}`,
            expectedHeadSha: start,
            files: [{ path: `file-${index}.txt`, content: `${index}\n`, encoding: 'utf-8' }],
          },
        });
        return { status: response.status, body: await body(response) };
      }),
    );
    const won = answers.filter((answer) => answer.status === 201);
    const lost = answers.filter((answer) => answer.status === 409);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(9);
    const winner = won[0]?.body.sha;
    expect(head('concurrent')).toBe(winner);
    for (const answer of lost) expect(answer.body).toMatchObject({ error: 'head_moved', currentSha: winner });
    const history = repository('concurrent').git.history(winner as string);
    expect(history.map((entry) => entry.parents.length)).toEqual([1, 0]);
    expect(history[0]?.parents).toEqual([start]);
  });

  it('refuses bad input with 400/413 before any GitHub call, and nothing changes', async () => {
    const before = [...repository('app-one').git.refs.entries()];
    await fx.admin.clearCalls();
    const cases: Array<[unknown, number, string]> = [
      [commitBody({ branch: 'a..b' }), 400, 'invalid_branch'],
      [commitBody({ branch: 'x.lock' }), 400, 'invalid_branch'],
      [commitBody({ baseBranch: 'bad branch' }), 400, 'invalid_branch'],
      [
        commitBody({ files: [{ path: '.git/hooks/x', content: 'x', encoding: 'utf-8' }] }),
        400,
        'invalid_path',
      ],
      [commitBody({ files: [{ path: 'a/../b', content: 'x', encoding: 'utf-8' }] }), 400, 'invalid_path'],
      [commitBody({ deletions: ['a.txt'] }), 400, 'duplicate_path'],
      [
        commitBody({
          files: [
            { path: 'a', content: 'x', encoding: 'utf-8' },
            { path: 'a/b', content: 'x', encoding: 'utf-8' },
          ],
        }),
        400,
        'path_conflict',
      ],
      [commitBody({ files: [], deletions: [] }), 400, 'empty_commit'],
      [commitBody({ message: '  ' }), 400, 'invalid_request'],
      [commitBody({ expectedHeadSha: 'abc' }), 400, 'invalid_request'],
      [commitBody({ files: [{ path: 'x', content: '%%%', encoding: 'base64' }] }), 400, 'invalid_content'],
      [commitBody({ files: [{ path: 'x', content: 'x', encoding: 'latin1' }] }), 400, 'invalid_request'],
      [
        commitBody({
          files: Array.from({ length: 1001 }, (_, index) => ({
            path: `f${index}`,
            content: '',
            encoding: 'utf-8',
          })),
        }),
        400,
        'too_many_files',
      ],
      [
        commitBody({
          files: [
            {
              path: 'big',
              content: Buffer.alloc(4 * 1024 * 1024 + 1).toString('base64'),
              encoding: 'base64',
            },
          ],
        }),
        413,
        'file_too_large',
      ],
      [
        commitBody({
          files: [1, 2].map((index) => ({
            path: `big${index}`,
            content: Buffer.alloc(2 * 1024 * 1024 + 1).toString('base64'),
            encoding: 'base64',
          })),
        }),
        413,
        'commit_too_large',
      ],
    ];
    for (const [input, status, error] of cases) {
      const response = await bob(`${base('app-one')}/commits`, { method: 'POST', json: input });
      expect([error, response.status, (await body(response)).error]).toEqual([error, status, error]);
    }
    expect([...repository('app-one').git.refs.entries()]).toEqual(before);
    expect(await gitHubCalls()).toEqual([]);
  });

  it('a new branch from baseBranch (five calls, and the repository id beside them), the expected head being the base’s', async () => {
    const baseHead = head('app-one', 'feature/one') ?? '';
    await fx.admin.clearCalls();
    const response = await bob(`${base('app-one')}/commits`, {
      method: 'POST',
      json: commitBody({ branch: 'feature/three', baseBranch: 'feature/one', expectedHeadSha: baseHead }),
    });
    expect(response.status).toBe(201);
    expect(repository('app-one').git.commits.get(head('app-one', 'feature/three') ?? '')?.parents).toEqual([
      baseHead,
    ]);
    // The repository's id for repository.committed is read beside the branch reads (the index does
    // not hold it here), so the order of the first calls is not fixed.
    expect((await gitHubCalls()).sort()).toEqual(
      [
        'GET /repos/{owner}/{repo}',
        'GET /repos/{owner}/{repo}/branches/{branch}',
        'GET /repos/{owner}/{repo}/branches/{branch}',
        'POST /repos/{owner}/{repo}/git/trees',
        'POST /repos/{owner}/{repo}/git/commits',
        'POST /repos/{owner}/{repo}/git/refs',
      ].sort(),
    );
    const stale = await bob(`${base('app-one')}/commits`, {
      method: 'POST',
      json: commitBody({ branch: 'feature/four', baseBranch: 'main', expectedHeadSha: baseHead }),
    });
    expect(stale.status).toBe(409);
    expect(await body(stale)).toMatchObject({ error: 'head_moved', currentSha: head('app-one') });
    expect(head('app-one', 'feature/four')).toBeUndefined();
  });

  it('a deletion GitHub refuses (a path the branch does not hold) is 400 invalid_deletion, nothing moves', async () => {
    const before = head('app-one', 'feature/one');
    // The emulator answers a tree that deletes a missing path as GitHub does: 422 GitRPC::BadObjectState.
    const response = await bob(`${base('app-one')}/commits`, {
      method: 'POST',
      json: commitBody({ files: [], deletions: ['never/there.txt'] }),
    });
    expect(response.status).toBe(400);
    expect((await body(response)).error).toBe('invalid_deletion');
    expect(head('app-one', 'feature/one')).toBe(before);
  });

  it('a missing base branch is 404 branch_not_found', async () => {
    const response = await bob(`${base('app-one')}/commits`, {
      method: 'POST',
      json: commitBody({ branch: 'feature/two', baseBranch: 'no-such-base' }),
    });
    expect(response.status).toBe(404);
    expect((await body(response)).error).toBe('branch_not_found');
  });
});

describe('who and what may be reached', () => {
  const routes = (repo: string, account: string, owner = 'octo-org') => {
    // Carol is the member of account B; Bob of account A.
    const who = (account === accountB ? sessions.carol : sessions.bob) as Call;
    const at = base(repo, account, owner);
    return [
      () => who(`${at}/tree`),
      () => who(`${at}/contents/README.md`),
      () => who(`${at}/commits`, { method: 'POST', json: commitBody({ branch: 'intruder' }) }),
    ];
  };
  async function expectNotFound(repo: string, account: string, owner = 'octo-org') {
    for (const route of routes(repo, account, owner)) {
      const response = await route();
      expect([response.status, (await body(response)).error]).toEqual([404, 'repository_not_found']);
    }
    expect(world().repository(owner, repo)?.git.refs.has('refs/heads/intruder') ?? false).toBe(false);
  }

  it('account B, not linked to the installation, gets 404 on every route', async () => {
    await expectNotFound('app-one', accountB);
  });

  it('a repository outside the installation’s selection, or none at all, is 404', async () => {
    await expectNotFound('outside', accountA);
    await expectNotFound('no-such-repo', accountA);
    await expectNotFound('anything', accountA, 'someone-else');
  });

  it('after installation_repositories.removed a repository read before is 404, cached token or not', async () => {
    expect((await bob(`${base('removable')}/tree`)).status).toBe(200);
    expect((await bob(`${base('removable')}/contents/README.md`)).status).toBe(200);
    await fx.admin.call('POST', `/installations/${installs.octo}/repositories`, { remove: ['removable'] });
    await fx.admin.clearCalls();
    for (const path of ['tree', 'contents/README.md']) {
      const response = await bob(`${base('removable')}/${path}`);
      expect([path, response.status, (await body(response)).error]).toEqual([
        path,
        404,
        'repository_not_found',
      ]);
    }
    // The narrowed read token was cached: no new one was asked for, GitHub's 404 on it decided.
    expect((await fx.admin.calls()).filter((call) => call.route.includes('access_tokens'))).toEqual([]);
    await expectNotFound('removable', accountA);
  });

  it('an archived repository is 409 repository_archived for commits (new or existing branch) and still readable', async () => {
    repository('archived-one').archived = true;
    const before = [...repository('archived-one').git.refs.entries()];
    for (const branch of ['main', 'feature/x']) {
      const response = await bob(`${base('archived-one')}/commits`, {
        method: 'POST',
        json: commitBody({ branch }),
      });
      expect([branch, response.status, (await body(response)).error]).toEqual([
        branch,
        409,
        'repository_archived',
      ]);
    }
    expect([...repository('archived-one').git.refs.entries()]).toEqual(before);
    expect((await bob(`${base('archived-one')}/tree`)).status).toBe(200);
  });

  it('an installation without contents: write is 403 insufficient_installation_permissions on commit, readable', async () => {
    const response = await bob(`${base('read-only', accountA, 'ro-org')}/commits`, {
      method: 'POST',
      json: commitBody(),
    });
    expect(response.status).toBe(403);
    expect((await body(response)).error).toBe('insufficient_installation_permissions');
    expect((await bob(`${base('read-only', accountA, 'ro-org')}/tree`)).status).toBe(200);
  });
});

/** An installation token of octo-org, to look at the result through GitHub's own API. */
async function installationToken(): Promise<string> {
  const { createAppAuth } = await import('@octokit/auth-app');
  const { request } = await import('@octokit/request');
  const auth = createAppAuth({
    appId: fx.secrets.githubApp.appId,
    privateKey: fx.secrets.githubApp.privateKey,
    request: request.defaults({ baseUrl: fx.emulator.url }),
  });
  return (await auth({ type: 'installation', installationId: installs.octo ?? 0 })).token;
}
