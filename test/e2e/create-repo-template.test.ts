import { createAppAuth } from '@octokit/auth-app';
import { request as octokitRequest } from '@octokit/request';
import { PROJECT_TEMPLATE_FILES, seedProjectTemplate } from '../../local/github-emulator/seed.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

let fx: ServiceFixture;
let account: string;
const installs: Record<string, number> = {};
type Call = ReturnType<typeof api>;
const sessions: Record<string, Call> = {};

// The template `npm start` seeds, seeded the same way.
const TEMPLATE_FILES = PROJECT_TEMPLATE_FILES;

beforeAll(async () => {
  fx = await startService();
  const appId = Number(fx.secrets.githubApp.appId);
  for (const login of ['alice', 'bob']) await fx.admin.createUser({ login });
  // alice owns octo-org (the App is installed there) and far-org (no App); bob is a plain member.
  for (const org of ['octo-org', 'far-org']) {
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['alice'], members: ['bob'] });
  }
  for (const target of ['alice', 'octo-org']) {
    installs[target] = (await fx.admin.install({ appId, account: target })).installation.id;
  }
  await seedProjectTemplate(fx.admin, 'octo-org');
  await fx.admin.createRepositories('octo-org', { names: ['plain-repo'], private: true });
  await fx.admin.createRepositories('far-org', {
    names: ['secret-template'],
    isTemplate: true,
    private: true,
  });
  for (const login of ['alice', 'bob']) sessions[login] = api(fx, await signIn(fx, login));
  const alice = sessions.alice as Call;
  account = (
    (await (await alice('/accounts', { method: 'POST', json: { name: 'Platform' } })).json()) as {
      id: string;
    }
  ).id;
  const invited = await alice(`/accounts/${account}/members`, {
    method: 'POST',
    json: { login: 'bob', role: 'member' },
  });
  const { id } = (await invited.json()) as { id: string };
  expect((await (sessions.bob as Call)(`/invitations/${id}/accept`, { method: 'POST' })).status).toBe(200);
  for (const target of ['alice', 'octo-org']) {
    expect(
      (await alice(`/accounts/${account}/installations/${installs[target]}`, { method: 'PUT' })).status,
    ).toBe(201);
  }
});
afterAll(() => fx?.close());

const create = (who: string, body: unknown) =>
  (sessions[who] as Call)(`/accounts/${account}/repositories`, { method: 'POST', json: body });
const repoCount = () => fx.emulator.world.repositories.size;
const template = { owner: 'octo-org', repo: 'project-template' };
const added = [
  { path: 'src/service.ts', content: 'export const service = true;\n' },
  // Replaces the template's README: the given files win.
  { path: 'README.md', content: '# My service\n' },
];

/** A repository read back through the emulator's GitHub API, as the App: commits and file contents. */
async function readBack(owner: string, repo: string) {
  const request = octokitRequest.defaults({ baseUrl: fx.emulator.url });
  const auth = createAppAuth({
    appId: fx.secrets.githubApp.appId,
    privateKey: fx.secrets.githubApp.privateKey,
    request,
  });
  const { token } = await auth({ type: 'installation', installationId: installs[owner] ?? 0 });
  const headers = { authorization: `token ${token}` };
  const { data: info } = await request('GET /repos/{owner}/{repo}', { owner, repo, headers });
  const { data: commits } = await request('GET /repos/{owner}/{repo}/commits', { owner, repo, headers });
  const files: Record<string, string> = {};
  const emulated = fx.emulator.world.repository(owner, repo);
  const head = emulated?.git.refs.get(`refs/heads/${emulated.defaultBranch}`) ?? '';
  const walk = (prefix: string, tree: string) => {
    for (const entry of emulated?.git.trees.get(tree) ?? []) {
      const path = `${prefix}${entry.name}`;
      if (entry.type === 'tree') walk(`${path}/`, entry.sha);
      else files[path] = emulated?.git.blobs.get(entry.sha)?.toString('utf8') ?? '';
    }
  };
  walk('', emulated?.git.commits.get(head)?.tree ?? '');
  return { info, messages: commits.map((commit) => commit.commit.message), files };
}

const gitHubCalls = async () =>
  (await fx.admin.calls())
    .map((call) => `${call.method} ${call.route}`)
    .filter((call) => !call.endsWith('/access_tokens'));

describe('POST /accounts/{accountId}/repositories with a template', () => {
  it("a member creates an org repository holding the template's files plus the given files, in two commits", async () => {
    await fx.admin.clearCalls();
    const response = await create('bob', {
      installationId: installs['octo-org'],
      name: 'service-a',
      template,
      files: added,
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({
      fullName: 'octo-org/service-a',
      htmlUrl: expect.any(String) as string,
      defaultBranch: 'main',
      commitSha: expect.stringMatching(/^[0-9a-f]{40}$/) as string,
    });
    // Generate, read the generated head commit, then tree (on the template's tree), commit, fast-forward.
    expect(await gitHubCalls()).toEqual([
      'POST /repos/{template_owner}/{template_repo}/generate',
      'GET /repos/{owner}/{repo}/commits',
      'POST /repos/{owner}/{repo}/git/trees',
      'POST /repos/{owner}/{repo}/git/commits',
      'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
    ]);
    const generate = await fx.admin.calls('POST /repos/{template_owner}/{template_repo}/generate');
    expect(generate.at(-1)?.credential).toBe('installation_token');
    const back = await readBack('octo-org', 'service-a');
    expect(back.info).toMatchObject({
      private: true, // members create private repositories: the creation policy applies unchanged
      template_repository: { full_name: 'octo-org/project-template' },
    });
    expect(back.messages).toEqual(['Add initial files', 'Initial commit']);
    expect(back.files).toEqual({
      ...TEMPLATE_FILES,
      'README.md': '# My service\n',
      'src/service.ts': 'export const service = true;\n',
    });
  });

  it('creates in a personal account from a template with the owner’s own user token', async () => {
    await fx.admin.clearCalls();
    // A generated repository can be empty for a moment while GitHub copies the template.
    await fx.admin.fault({
      method: 'GET',
      route: '/repos/{owner}/{repo}/commits',
      status: 409,
      body: { message: 'Git Repository is empty.', documentation_url: 'https://docs.github.com/rest' },
    });
    const response = await create('alice', {
      installationId: installs.alice,
      name: 'my-project',
      template: { ...template, includeAllBranches: false },
      files: [{ path: 'NOTES.md', content: 'mine\n' }],
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ fullName: 'alice/my-project' });
    const generate = await fx.admin.calls('POST /repos/{template_owner}/{template_repo}/generate');
    expect(generate.at(-1)?.credential).toBe('user_token');
    const headReads = await fx.admin.calls('GET /repos/{owner}/{repo}/commits');
    expect(headReads.map((call) => call.status)).toEqual([409, 200]); // "empty", then retried
    const back = await readBack('alice', 'my-project');
    expect(back.messages).toEqual(['Add initial files', 'Initial commit']);
    expect(back.files).toEqual({ ...TEMPLATE_FILES, 'NOTES.md': 'mine\n' });
  });

  it('creates from a template without files in one GitHub call', async () => {
    await fx.admin.clearCalls();
    const response = await create('alice', {
      installationId: installs['octo-org'],
      name: 'bare-copy',
      template,
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ fullName: 'octo-org/bare-copy', commitSha: null });
    expect(await gitHubCalls()).toEqual(['POST /repos/{template_owner}/{template_repo}/generate']);
    expect((await readBack('octo-org', 'bare-copy')).files).toEqual(TEMPLATE_FILES);
  });

  it('answers 404 template_not_found for a template the App cannot read, leaving nothing behind', async () => {
    const before = repoCount();
    for (const missing of [
      { owner: 'far-org', repo: 'secret-template' }, // private, in an account without the App
      { owner: 'octo-org', repo: 'no-such-template' },
    ]) {
      const response = await create('alice', {
        installationId: installs['octo-org'],
        name: 'from-far',
        template: missing,
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'template_not_found' });
    }
    expect(repoCount()).toBe(before);
    // No creation record was left: a different request may take the name at once.
    const plain = await create('alice', { installationId: installs['octo-org'], name: 'from-far' });
    expect(plain.status).toBe(201);
  });

  it('answers 400 not_a_template for a repository not marked as a template', async () => {
    const before = repoCount();
    const response = await create('alice', {
      installationId: installs['octo-org'],
      name: 'from-plain',
      template: { owner: 'octo-org', repo: 'plain-repo' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'not_a_template' });
    expect(repoCount()).toBe(before);
  });

  it('answers 409 template_empty for a template without a commit, leaving nothing behind', async () => {
    const org = fx.emulator.world.accountByLogin('octo-org');
    fx.emulator.world.createRepository({
      ownerId: org?.id ?? 0,
      name: 'empty-template',
      description: null,
      private: true,
      isTemplate: true,
    });
    const before = repoCount();
    const body = {
      installationId: installs['octo-org'],
      name: 'from-empty',
      template: { owner: 'octo-org', repo: 'empty-template' },
    };
    const response = await create('alice', body);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: 'template_empty' });
    expect(repoCount()).toBe(before);
    const plain = await create('alice', { installationId: body.installationId, name: body.name });
    expect(plain.status).toBe(201);
  });

  it('refuses a malformed template with 400 invalid_template before calling GitHub', async () => {
    await fx.admin.clearCalls();
    for (const bad of [
      { owner: 'octo-org', repo: '..' },
      { owner: '-bad-', repo: 'x' },
      { owner: 'octo-org', repo: 'a/b' },
    ]) {
      const response = await create('alice', {
        installationId: installs['octo-org'],
        name: 'x',
        template: bad,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_template' });
    }
    const unknownField = await create('alice', {
      installationId: installs['octo-org'],
      name: 'x',
      template: { ...template, branch: 'main' },
    });
    expect(unknownField.status).toBe(400);
    expect(await gitHubCalls()).toEqual([]);
  });

  it('GitHub generated the repository but its answer was lost: the same request finishes on it', async () => {
    const body = { installationId: installs['octo-org'], name: 'answer-lost', template, files: added };
    await fx.admin.fault({
      method: 'POST',
      route: '/repos/{template_owner}/{template_repo}/generate',
      mode: 'act-then-reset',
    });
    const failed = await create('alice', body);
    expect(failed.status).toBeGreaterThanOrEqual(502);
    await fx.admin.call('DELETE', '/faults');
    const before = repoCount();
    expect(fx.emulator.world.repository('octo-org', 'answer-lost')).toBeDefined();
    const retried = await create('alice', body);
    expect(retried.status).toBe(201);
    expect(repoCount()).toBe(before);
    const back = await readBack('octo-org', 'answer-lost');
    expect(back.messages).toEqual(['Add initial files', 'Initial commit']);
    expect(back.files['src/service.ts']).toBe('export const service = true;\n');
  });

  it('a retry never adopts a repository that was not generated from the template: 409, left as it is', async () => {
    const body = { installationId: installs['octo-org'], name: 'someone-elses', template, files: added };
    await fx.admin.fault({
      method: 'POST',
      route: '/repos/{template_owner}/{template_repo}/generate',
      status: 500,
      count: 5,
    });
    expect((await create('alice', body)).status).toBe(502); // nothing generated
    await fx.admin.call('DELETE', '/faults');
    // Meanwhile someone else creates that name, with a parentless "Initial commit" of their own.
    await fx.admin.createRepositories('octo-org', { names: ['someone-elses'] });
    const theirs = fx.emulator.world.repository('octo-org', 'someone-elses');
    const head = theirs?.git.refs.get('refs/heads/main');
    const response = await create('alice', body);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: 'repository_exists' });
    expect(theirs?.git.refs.get('refs/heads/main')).toBe(head);
  });

  it('after a failed commit step the same request finishes, a repeat answers the same, another request gets 409', async () => {
    const body = { installationId: installs['octo-org'], name: 'half-done', template, files: added };
    await fx.admin.fault({
      method: 'PATCH',
      route: '/repos/{owner}/{repo}/git/refs/{ref}',
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
    const result: unknown = await retried.json();
    expect(repoCount()).toBe(before); // finished, not duplicated
    const back = await readBack('octo-org', 'half-done');
    expect(back.messages).toEqual(['Add initial files', 'Initial commit']);
    expect(back.files['src/service.ts']).toBe('export const service = true;\n');
    expect(back.files['package.json']).toBe(TEMPLATE_FILES['package.json']);

    await fx.admin.clearCalls();
    const repeat = await create('alice', body);
    expect(repeat.status).toBe(201);
    expect(await repeat.json()).toEqual(result);
    expect(await gitHubCalls()).toEqual([]); // answered from the record

    // The same name with another template (or none) is a different request.
    for (const other of [
      { ...body, template: { ...template, includeAllBranches: true } },
      { installationId: body.installationId, name: body.name, files: added },
    ]) {
      const conflict = await create('alice', other);
      expect(conflict.status).toBe(409);
      expect(await conflict.json()).toMatchObject({ error: 'repository_exists' });
    }
    expect(repoCount()).toBe(before);
  });
});
