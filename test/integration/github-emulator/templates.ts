/**
 * The GitHub emulator: generating repositories from templates (run by test/integration/github-
 * emulator.test.ts).
 */
import { appAuth, failure, fx, installations, request, signIn } from '../../support/emulator-suite.js';

describe('POST /repos/{template_owner}/{template_repo}/generate', () => {
  const generate = (template: string, body: Record<string, unknown>, token: string) =>
    request('POST /repos/{template_owner}/{template_repo}/generate', {
      template_owner: template.split('/')[0] ?? '',
      template_repo: template.split('/')[1] ?? '',
      name: '',
      ...body,
      headers: { authorization: `token ${token}` },
    });
  const orgToken = async () =>
    (await appAuth()({ type: 'installation', installationId: installations.org })).token;

  beforeAll(async () => {
    await fx.admin.createRepositories('octo-org', {
      names: ['gen-template'],
      isTemplate: true,
      private: true,
      files: { 'README.md': '# template\n', 'src/index.ts': 'export const x = 1;\n' },
    });
    await fx.admin.createRepositories('octo-org', { names: ['gen-plain'], private: true });
    await fx.admin.createRepositories('other-org', {
      names: ['public-template'],
      isTemplate: true,
      files: { LICENSE: 'MIT\n' },
    });
    await fx.admin.createRepositories('other-org', {
      names: ['private-template'],
      isTemplate: true,
      private: true,
    });
    // A second branch on the template, for include_all_branches.
    const template = fx.emulator.world.repository('octo-org', 'gen-template');
    if (!template) throw new Error('no template');
    const main = template.git.refs.get('refs/heads/main') ?? '';
    const who = { name: 'x', email: 'x@example.com', date: new Date().toISOString() };
    const tree = template.git.buildTree(template.git.commits.get(main)?.tree, [
      { path: 'DEV.md', mode: '100644', type: 'blob', sha: template.git.putBlob(Buffer.from('dev\n')) },
    ]);
    const dev = template.git.putCommit({
      tree,
      parents: [main],
      message: 'dev',
      author: who,
      committer: who,
    });
    template.git.refs.set('refs/heads/dev', dev.sha);
  });

  it('generates an org repository with an installation token: a fresh history of the template’s tree', async () => {
    const token = await orgToken();
    const headers = { authorization: `token ${token}` };
    const { status, data } = await generate(
      'octo-org/gen-template',
      { owner: 'octo-org', name: 'from-template', private: true, description: 'made from a template' },
      token,
    );
    expect(status).toBe(201);
    expect(data).toMatchObject({
      full_name: 'octo-org/from-template',
      private: true,
      description: 'made from a template',
      is_template: false,
      template_repository: { full_name: 'octo-org/gen-template', is_template: true },
    });
    const { data: commits } = await request('GET /repos/{owner}/{repo}/commits', {
      owner: 'octo-org',
      repo: 'from-template',
      headers,
    });
    expect(commits.map((commit) => commit.commit.message)).toEqual(['Initial commit']);
    const template = fx.emulator.world.repository('octo-org', 'gen-template');
    const templateHead = template?.git.commits.get(template.git.refs.get('refs/heads/main') ?? '');
    expect(commits[0]?.commit.tree.sha).toBe(templateHead?.tree);
    expect(commits[0]?.parents).toEqual([]);
    expect(commits[0]?.commit.author?.name).toBe('platform-app[bot]');
    const { data: file } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: 'octo-org',
      repo: 'from-template',
      path: 'src/index.ts',
      headers,
    });
    expect(Buffer.from((file as { content: string }).content, 'base64').toString()).toBe(
      'export const x = 1;\n',
    );
    const { data: read } = await request('GET /repos/{owner}/{repo}', {
      owner: 'octo-org',
      repo: 'from-template',
      headers,
    });
    expect(read.template_repository?.full_name).toBe('octo-org/gen-template');
    // Only the default branch unless all branches are asked for.
    expect(fx.emulator.world.repository('octo-org', 'from-template')?.git.refs.size).toBe(1);
  });

  it('takes every branch’s head with include_all_branches, each as one fresh commit', async () => {
    const { data } = await generate(
      'octo-org/gen-template',
      { name: 'all-branches', include_all_branches: true },
      await orgToken(),
    );
    expect(data.full_name).toBe('octo-org/all-branches');
    const repo = fx.emulator.world.repository('octo-org', 'all-branches');
    expect([...(repo?.git.refs.keys() ?? [])].sort()).toEqual(['refs/heads/dev', 'refs/heads/main']);
    const dev = repo?.git.commits.get(repo.git.refs.get('refs/heads/dev') ?? '');
    expect(dev).toMatchObject({ message: 'Initial commit', parents: [] });
    expect(repo?.git.resolvePath(dev?.sha ?? '', 'DEV.md')).toMatchObject({ kind: 'blob' });
  });

  it('answers as GitHub does: not a template or not readable 404, name taken 422, wrong owner 403', async () => {
    const token = await orgToken();
    expect((await failure(generate('octo-org/gen-plain', { name: 'nope' }, token))).status).toBe(404);
    expect((await failure(generate('octo-org/missing', { name: 'nope' }, token))).status).toBe(404);
    // Another account's private template is out of this installation's reach, even with the App there.
    expect((await failure(generate('other-org/private-template', { name: 'nope' }, token))).status).toBe(404);
    const taken = await failure(generate('octo-org/gen-template', { name: 'from-template' }, token));
    expect(taken.status).toBe(422);
    expect(JSON.stringify(taken.response?.data)).toMatch(/name already exists/);
    // An installation token creates only in its own organisation.
    for (const owner of ['other-org', 'octo-demo']) {
      expect((await failure(generate('octo-org/gen-template', { owner, name: 'nope' }, token))).status).toBe(
        403,
      );
    }
    const personal = (await appAuth()({ type: 'installation', installationId: installations.personal }))
      .token;
    expect((await failure(generate('other-org/public-template', { name: 'nope' }, personal))).status).toBe(
      403,
    );
    expect(fx.emulator.world.repository('octo-org', 'nope')).toBeUndefined();
    // A public template is readable by any installation.
    const { data } = await generate('other-org/public-template', { name: 'from-public' }, token);
    expect(data.template_repository?.full_name).toBe('other-org/public-template');
  });

  it('lets a user token generate into the user’s own account from a template reached through the App', async () => {
    const { token } = await signIn('octo-demo');
    const { data } = await generate('octo-org/gen-template', { name: 'my-copy', private: true }, token);
    expect(data).toMatchObject({ full_name: 'octo-demo/my-copy', owner: { login: 'octo-demo' } });
    const copy = fx.emulator.world.repository('octo-demo', 'my-copy');
    const head = copy?.git.commits.get(copy.git.refs.get('refs/heads/main') ?? '');
    expect(head?.author.name).toBe('Octo Demo');
    // Not into an organisation they do not belong to; and an outsider cannot read the private template.
    expect(
      (await failure(generate('octo-org/gen-template', { owner: 'other-org', name: 'x' }, token))).status,
    ).toBe(403);
    const outsider = (await signIn('outsider')).token;
    expect((await failure(generate('octo-org/gen-template', { name: 'x' }, outsider))).status).toBe(404);
  });

  it('lets a user token generate into an organisation of theirs where the App is installed', async () => {
    const { token } = await signIn('octo-teammate');
    const { data } = await generate('octo-org/gen-template', { owner: 'octo-org', name: 'team-copy' }, token);
    expect(data).toMatchObject({ full_name: 'octo-org/team-copy', owner: { login: 'octo-org' } });
  });

  it('refuses to generate with a token narrowed to repositories, even to the template itself', async () => {
    const { token } = await appAuth()({
      type: 'installation',
      installationId: installations.org,
      repositoryNames: ['gen-template'],
      permissions: { administration: 'write', contents: 'read', metadata: 'read' },
    });
    const refused = await failure(generate('octo-org/gen-template', { name: 'narrowed-copy' }, token));
    expect(refused.status).toBe(403);
    expect(refused.response?.data).toMatchObject({ message: 'Resource not accessible by integration' });
    expect(fx.emulator.world.repository('octo-org', 'narrowed-copy')).toBeUndefined();
  });

  it('adds what the App generates to an installation with selected repositories', async () => {
    const otherOrg = fx.emulator.world.accountByLogin('other-org');
    const installation = fx.emulator.world.installationFor(fx.app.id, otherOrg?.id ?? 0);
    if (!installation) throw new Error('no installation on other-org');
    installation.repositorySelection = 'selected';
    try {
      const { token } = await appAuth()({ type: 'installation', installationId: installation.id });
      const { data } = await generate('other-org/public-template', { name: 'selected-copy' }, token);
      expect(installation.selectedRepositoryIds.has(Number(data.id))).toBe(true);
      const { data: read } = await request('GET /repos/{owner}/{repo}', {
        owner: 'other-org',
        repo: 'selected-copy',
        headers: { authorization: `token ${token}` },
      });
      expect(read.template_repository?.full_name).toBe('other-org/public-template');
    } finally {
      installation.repositorySelection = 'all';
    }
  });
});
