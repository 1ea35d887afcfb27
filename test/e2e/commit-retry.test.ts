import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * Issue 21, defect A: a commit whose ref update landed on GitHub but whose answer was lost, retried with
 * the same request. The retry must recognise its own commit (parent, tree and message) and answer 201
 * with it: never a second commit, never 409 head_moved.
 */
let fx: ServiceFixture;
let account: string;
type Call = ReturnType<typeof api>;
let alice: Call;

const REPOS = [
  'retry-expected',
  'retry-plain',
  'retry-new-branch',
  'retry-other',
  'retry-concurrent',
  'retry-race',
];

beforeAll(async () => {
  fx = await startService();
  const appId = Number(fx.secrets.githubApp.appId);
  await fx.admin.createUser({ login: 'alice' });
  await fx.admin.createUser({ login: 'octo-org', type: 'Organization', admins: ['alice'] });
  await fx.admin.createRepositories('octo-org', {
    names: REPOS,
    files: { 'README.md': '# app\n', 'old.txt': 'old\n' },
  });
  const installation = (await fx.admin.install({ appId, account: 'octo-org' })).installation.id;
  alice = api(fx, await signIn(fx, 'alice'));
  account = (
    (await (await alice('/accounts', { method: 'POST', json: { name: 'A' } })).json()) as { id: string }
  ).id;
  expect((await alice(`/accounts/${account}/installations/${installation}`, { method: 'PUT' })).status).toBe(
    201,
  );
});
afterAll(() => fx?.close());

const repository = (name: string) => {
  const found = fx.emulator.world.repository('octo-org', name);
  if (!found) throw new Error(`no octo-org/${name}`);
  return found;
};
const head = (name: string, branch = 'main') => repository(name).git.refs.get(`refs/heads/${branch}`);
const parentsOf = (name: string, sha: string | undefined) =>
  repository(name).git.commits.get(sha ?? '')?.parents ?? [];
const commit = (name: string, json: unknown) =>
  alice(`/accounts/${account}/repositories/octo-org/${name}/commits`, { method: 'POST', json });
const request = (overrides: Record<string, unknown> = {}) => ({
  branch: 'main',
  message: 'Update the files',
  files: [
    { path: 'a.txt', content: 'a\n', encoding: 'utf-8' },
    { path: 'bin/data.bin', content: Buffer.from([0xff, 0xfe, 0x00]).toString('base64'), encoding: 'base64' },
  ],
  deletions: ['old.txt'],
  ...overrides,
});
/** The ref update (or creation) lands on GitHub, then the connection is reset: the answer is lost. */
const loseRefAnswer = (method: 'PATCH' | 'POST') =>
  fx.admin.fault({
    method,
    route: method === 'PATCH' ? '/repos/{owner}/{repo}/git/refs/{ref}' : '/repos/{owner}/{repo}/git/refs',
    mode: 'act-then-reset',
  });
async function gitHubCalls(): Promise<string[]> {
  return (await fx.admin.calls())
    .filter((call) => !call.route.startsWith('/_emulator') && !call.route.includes('access_tokens'))
    .map((call) => `${call.method} ${call.route}`);
}

describe('a commit retried after its answer was lost', () => {
  it('with expectedHeadSha: the retry answers 201 with the commit that landed, not 409 head_moved', async () => {
    const before = head('retry-expected');
    const body = request({ expectedHeadSha: before });
    await loseRefAnswer('PATCH');
    const first = await commit('retry-expected', body);
    expect(first.status).toBeGreaterThanOrEqual(500);
    const landed = head('retry-expected');
    expect(landed).not.toBe(before);
    expect(parentsOf('retry-expected', landed)).toEqual([before]);

    await fx.admin.clearCalls();
    const retried = await commit('retry-expected', body);
    expect(retried.status).toBe(201);
    expect(await retried.json()).toMatchObject({ sha: landed, branch: 'main' });
    expect(head('retry-expected')).toBe(landed);
    // Bounded: the branch, the blob, the parent's commit and the tree (and the repository's id, for
    // repository.committed: the index does not hold it here); no history scan, nothing written.
    const calls = await gitHubCalls();
    expect(calls.filter((call) => call.includes('/commits') && call.startsWith('GET'))).toEqual([
      'GET /repos/{owner}/{repo}/git/commits/{commit_sha}',
    ]);
    expect(calls.filter((call) => call.includes('/git/commits') && call.startsWith('POST'))).toEqual([]);
    expect(calls.filter((call) => call.includes('/git/refs'))).toEqual([]);
    expect(calls.length).toBeLessThanOrEqual(5);
  });

  it('without expectedHeadSha: one commit, not two identical ones', async () => {
    const before = head('retry-plain');
    // No deletion: today's retry then makes a second, identical commit on top of the first.
    const body = request({ deletions: [] });
    await loseRefAnswer('PATCH');
    expect((await commit('retry-plain', body)).status).toBeGreaterThanOrEqual(500);
    const landed = head('retry-plain');
    expect(parentsOf('retry-plain', landed)).toEqual([before]);

    const retried = await commit('retry-plain', body);
    expect(retried.status).toBe(201);
    expect(await retried.json()).toMatchObject({ sha: landed });
    // A third try (its 201 lost on the way back) changes nothing either.
    const again = await commit('retry-plain', body);
    expect(await again.json()).toMatchObject({ sha: landed });
    expect(head('retry-plain')).toBe(landed);
    expect(parentsOf('retry-plain', landed)).toEqual([before]);
  });

  it('a new branch, with and without expectedHeadSha: the retry finds the branch it created', async () => {
    const base = head('retry-new-branch');
    for (const [branch, expectedHeadSha] of [
      ['feature/expected', base],
      ['feature/plain', undefined],
    ] as const) {
      const body = request({ branch, ...(expectedHeadSha ? { expectedHeadSha } : {}) });
      await loseRefAnswer('POST');
      expect([branch, (await commit('retry-new-branch', body)).status >= 500]).toEqual([branch, true]);
      const landed = head('retry-new-branch', branch);
      expect(parentsOf('retry-new-branch', landed)).toEqual([base]);

      const retried = await commit('retry-new-branch', body);
      expect([branch, retried.status]).toEqual([branch, 201]);
      expect(await retried.json()).toMatchObject({ sha: landed, branch });
      expect(head('retry-new-branch', branch)).toBe(landed);
    }
  });

  it('the same request sent three times at once (a client retrying early): one commit, one answer', async () => {
    const before = head('retry-concurrent');
    const body = request({ deletions: [], expectedHeadSha: before });
    const answers = await Promise.all([1, 2, 3].map(() => commit('retry-concurrent', body)));
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201]);
    const shas = await Promise.all(
      answers.map(async (answer) => ((await answer.json()) as { sha: string }).sha),
    );
    const landed = head('retry-concurrent');
    expect(new Set(shas)).toEqual(new Set([landed]));
    expect(parentsOf('retry-concurrent', landed)).toEqual([before]);
  });

  it('an identical commit (a concurrent retry, another second) landing first is the answer, not head_moved', async () => {
    const repo = repository('retry-race');
    const before = head('retry-race');
    const known = new Set(repo.git.commits.keys());
    // This request's commit is made, and its answer held back while the "other attempt" lands.
    await fx.admin.fault({
      method: 'POST',
      route: '/repos/{owner}/{repo}/git/commits',
      mode: 'act-then-delay',
      delayMs: 2000,
    });
    const answer = commit('retry-race', request({ deletions: [], expectedHeadSha: before }));
    let ours: ReturnType<typeof repo.git.commits.get>;
    for (const deadline = Date.now() + 30_000; !ours && Date.now() < deadline;) {
      await new Promise((resolve) => setImmediate(resolve));
      ours = [...repo.git.commits.values()].find((c) => !known.has(c.sha) && c.parents[0] === before);
    }
    if (!ours) throw new Error('the commit was never made');
    // The same tree, parent and message one second later: another sha, as a concurrent retry makes.
    const later = { ...ours.committer, date: new Date(Date.parse(ours.committer.date) + 1000).toISOString() };
    const other = repo.git.putCommit({ ...ours, author: later, committer: later });
    expect(other.sha).not.toBe(ours.sha);
    repo.git.refs.set('refs/heads/main', other.sha);

    const response = await answer;
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ sha: other.sha });
    expect(head('retry-race')).toBe(other.sha);
  });

  it('someone else’s commit is not taken for ours: another tree or message is still 409 head_moved', async () => {
    const before = head('retry-other');
    // The same message, another file: what a second writer committing on the same head would do.
    const theirs = await commit(
      'retry-other',
      request({ files: [{ path: 'b.txt', content: 'b\n', encoding: 'utf-8' }], deletions: [] }),
    );
    expect(theirs.status).toBe(201);
    const mine = await commit('retry-other', request({ expectedHeadSha: before }));
    expect(mine.status).toBe(409);
    expect(await mine.json()).toMatchObject({ error: 'head_moved', currentSha: head('retry-other') });
    // Our files under another message: not ours either.
    const other = await commit('retry-other', request({ message: 'Something else' }));
    expect(other.status).toBe(201);
    const stale = await commit(
      'retry-other',
      request({ message: 'Update the files', expectedHeadSha: before }),
    );
    expect(stale.status).toBe(409);
  });
});
