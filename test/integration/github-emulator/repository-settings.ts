/**
 * The GitHub emulator: repository settings and repository events (run by test/integration/github-
 * emulator.test.ts).
 */
import { createAppAuth } from '@octokit/auth-app';
import { exchangeWebFlowCode } from '@octokit/oauth-methods';
import { authorizeAs, generateAppKeys } from '../../support/emulator.js';
import { GitHubOpenApi } from '../../support/openapi-validator.js';
import { failure, fx, request } from '../../support/emulator-suite.js';

describe('repository settings and repository events', () => {
  /** A second App, subscribed to `repository`, whose deliveries the receiver records. */
  let watcher: { id: number; clientId: string; clientSecret: string; privateKey: string };
  let watched: { org: number; selected: number; personal: number };
  const openapi = new GitHubOpenApi();

  beforeAll(async () => {
    const keys = generateAppKeys();
    const app = await fx.admin.registerApp({
      slug: 'repo-watcher',
      publicKey: keys.publicKey,
      webhookUrl: `${fx.receiver.url}/webhooks/github`,
      webhookSecret: fx.app.webhookSecret,
      callbackUrls: [`${fx.receiver.url}/auth/callback`],
      events: ['repository'],
    });
    watcher = { ...app, privateKey: keys.privateKey };
    await fx.admin.createUser({ login: 'settings-owner' });
    await fx.admin.createUser({ login: 'settings-org', type: 'Organization', admins: ['settings-owner'] });
    await fx.admin.createUser({ login: 'selected-org', type: 'Organization', admins: ['settings-owner'] });
    await fx.admin.createRepositories('selected-org', { names: ['chosen', 'not-chosen'] });
    watched = {
      org: (await fx.admin.install({ appId: watcher.id, account: 'settings-org' })).installation.id,
      selected: (
        await fx.admin.install({
          appId: watcher.id,
          account: 'selected-org',
          repositorySelection: 'selected',
          repositories: ['chosen'],
        })
      ).installation.id,
      personal: (await fx.admin.install({ appId: watcher.id, account: 'settings-owner' })).installation.id,
    };
    // The suite's own App is installed too, but not subscribed to `repository`: it hears nothing.
    await fx.admin.install({ appId: fx.app.id, account: 'settings-org' });
  });

  const watcherAuth = () =>
    createAppAuth({
      appId: watcher.id,
      privateKey: watcher.privateKey,
      clientId: watcher.clientId,
      clientSecret: watcher.clientSecret,
      request,
    });
  const tokenFor = async (installationId: number, permissions?: Record<string, string>) => {
    const { token } = await watcherAuth()({
      type: 'installation',
      installationId,
      ...(permissions ? { permissions } : {}),
    });
    return { authorization: `token ${token}` };
  };

  type Hook = { event: string; installation: number | undefined; payload: Record<string, unknown> };
  /** What the receiver got while `act` ran: event, installation and payload of each delivery. */
  async function hooksDuring(act: () => Promise<unknown>): Promise<Hook[]> {
    const before = fx.receiver.hooks.length;
    await act();
    return fx.receiver.hooks.slice(before).map((hook) => {
      const payload = JSON.parse(hook.body) as Record<string, unknown>;
      return {
        event: String(hook.headers['x-github-event']),
        installation: (payload.installation as { id?: number } | undefined)?.id,
        payload,
      };
    });
  }
  /** Each `repository` payload matches GitHub's webhook schema for its action. */
  function expectGitHubShapes(hooks: Hook[]) {
    for (const hook of hooks) {
      const schema = `webhook-${hook.event.replace(/_/g, '-')}-${String(hook.payload.action)}`;
      expect([schema, openapi.validateSchema(schema, hook.payload)]).toEqual([schema, []]);
    }
  }
  const summary = (hooks: Hook[]) =>
    hooks.map((hook) => [hook.event, hook.payload.action, hook.installation]);

  it('PATCH renames (same id), edits, changes visibility and makes a template, with one event per change', async () => {
    const headers = await tokenFor(watched.org);
    const created = await hooksDuring(() =>
      request('POST /orgs/{org}/repos', { org: 'settings-org', name: 'app-one', auto_init: true, headers }),
    );
    expect(summary(created)).toEqual([['repository', 'created', watched.org]]);
    expectGitHubShapes(created);
    expect(created[0]?.payload).toMatchObject({
      organization: { login: 'settings-org' },
      installation: { id: watched.org, node_id: expect.any(String) as string },
      sender: { login: 'repo-watcher[bot]', type: 'Bot' },
      repository: { full_name: 'settings-org/app-one' },
    });
    const { data: before } = await request('GET /repos/{owner}/{repo}', {
      owner: 'settings-org',
      repo: 'app-one',
      headers,
    });

    let patched: Awaited<ReturnType<typeof request<'PATCH /repos/{owner}/{repo}'>>>['data'] | undefined;
    const hooks = await hooksDuring(async () => {
      ({ data: patched } = await request('PATCH /repos/{owner}/{repo}', {
        owner: 'settings-org',
        repo: 'app-one',
        name: 'app-renamed',
        description: 'The first app',
        visibility: 'private',
        is_template: true,
        headers,
      }));
    });
    expect(patched).toMatchObject({
      id: before.id,
      full_name: 'settings-org/app-renamed',
      description: 'The first app',
      private: true,
      visibility: 'private',
      is_template: true,
    });
    expect(summary(hooks)).toEqual([
      ['repository', 'renamed', watched.org],
      ['repository', 'edited', watched.org],
      ['repository', 'privatized', watched.org],
    ]);
    expectGitHubShapes(hooks);
    expect(hooks[0]?.payload.changes).toEqual({ repository: { name: { from: 'app-one' } } });
    expect(hooks[1]?.payload.changes).toEqual({ description: { from: null } });
    expect(
      (
        await failure(
          request('GET /repos/{owner}/{repo}', { owner: 'settings-org', repo: 'app-one', headers }),
        )
      ).status,
    ).toBe(404);

    const publicAgain = await hooksDuring(() =>
      request('PATCH /repos/{owner}/{repo}', {
        owner: 'settings-org',
        repo: 'app-renamed',
        private: false,
        headers,
      }),
    );
    expect(summary(publicAgain)).toEqual([['repository', 'publicized', watched.org]]);
    expectGitHubShapes(publicAgain);

    const nothing = await hooksDuring(() =>
      request('PATCH /repos/{owner}/{repo}', { owner: 'settings-org', repo: 'app-renamed', headers }),
    );
    expect(nothing).toEqual([]);
  });

  it('PATCH refuses what GitHub refuses, changing nothing', async () => {
    const headers = await tokenFor(watched.org);
    await fx.admin.createRepositories('settings-org', { names: ['refusals', 'taken'] });
    const patch = (body: Record<string, unknown>, auth = headers) =>
      failure(
        request('PATCH /repos/{owner}/{repo}', {
          owner: 'settings-org',
          repo: 'refusals',
          ...body,
          headers: auth,
        }),
      );
    const hooks = await hooksDuring(async () => {
      expect((await patch({ default_branch: 'no-such-branch' })).status).toBe(422);
      expect((await patch({ name: 'TAKEN' })).status).toBe(422);
      expect((await patch({ visibility: 'internal' })).status).toBe(422);
      expect((await patch({ private: 'yes' })).status).toBe(422);
      // Administration is needed: a token without it is refused.
      const contentsOnly = await tokenFor(watched.org, { contents: 'write' });
      const refused = await patch({ name: 'other' }, contentsOnly);
      expect([refused.status, refused.response?.data?.message]).toEqual([
        403,
        'Resource not accessible by integration',
      ]);
      expect(
        (
          await failure(
            request('DELETE /repos/{owner}/{repo}', {
              owner: 'settings-org',
              repo: 'refusals',
              headers: contentsOnly,
            }),
          )
        ).status,
      ).toBe(403);
    });
    expect(hooks).toEqual([]);
    const { data } = await request('GET /repos/{owner}/{repo}', {
      owner: 'settings-org',
      repo: 'refusals',
      headers,
    });
    expect(data).toMatchObject({ name: 'refusals', private: false, default_branch: 'main' });
  });

  it('an archived repository is read-only (403) until it is unarchived', async () => {
    const headers = await tokenFor(watched.org);
    await fx.admin.createRepositories('settings-org', { names: ['to-archive'] });
    const params = { owner: 'settings-org', repo: 'to-archive', headers };
    const archived = await hooksDuring(() =>
      request('PATCH /repos/{owner}/{repo}', { ...params, archived: true }),
    );
    expect(summary(archived)).toEqual([['repository', 'archived', watched.org]]);
    expectGitHubShapes(archived);
    for (const refused of [
      await failure(request('PATCH /repos/{owner}/{repo}', { ...params, description: 'x' })),
      await failure(request('POST /repos/{owner}/{repo}/git/blobs', { ...params, content: 'x' })),
    ]) {
      expect([refused.status, refused.response?.data?.message]).toEqual([
        403,
        'Repository was archived so is read-only.',
      ]);
    }
    const { data: still } = await request('GET /repos/{owner}/{repo}', params);
    expect(still).toMatchObject({ archived: true, description: null });
    const unarchived = await hooksDuring(() =>
      request('PATCH /repos/{owner}/{repo}', { ...params, archived: false }),
    );
    expect(summary(unarchived)).toEqual([['repository', 'unarchived', watched.org]]);
    expectGitHubShapes(unarchived);
    await request('POST /repos/{owner}/{repo}/git/blobs', { ...params, content: 'x' });
  });

  it('DELETE removes the repository (204): deleted, and installation_repositories removed where it was selected', async () => {
    await fx.admin.createRepositories('selected-org', { names: ['doomed'] });
    await fx.admin.call('POST', `/installations/${watched.selected}/repositories`, { add: ['doomed'] });
    const headers = await tokenFor(watched.selected);
    let status = 0;
    const hooks = await hooksDuring(async () => {
      ({ status } = await request('DELETE /repos/{owner}/{repo}', {
        owner: 'selected-org',
        repo: 'doomed',
        headers,
      }));
    });
    expect(status).toBe(204);
    expect(summary(hooks)).toEqual([
      ['repository', 'deleted', watched.selected],
      ['installation_repositories', 'removed', watched.selected],
    ]);
    expectGitHubShapes(hooks);
    expect(hooks[1]?.payload).toMatchObject({
      repositories_removed: [{ full_name: 'selected-org/doomed' }],
      repositories_added: [],
      repository_selection: 'selected',
    });
    expect(
      (
        await failure(
          request('GET /repos/{owner}/{repo}', { owner: 'selected-org', repo: 'doomed', headers }),
        )
      ).status,
    ).toBe(404);
  });

  it('POST /user/repos and the control route send created; nothing for an installation that does not reach the repository', async () => {
    const query = await authorizeAs(fx.emulator.url, {
      client_id: watcher.clientId,
      login: 'settings-owner',
      state: 's',
    });
    const { authentication } = await exchangeWebFlowCode({
      clientType: 'github-app',
      clientId: watcher.clientId,
      clientSecret: watcher.clientSecret,
      code: query.get('code') ?? '',
      request,
    });
    const personal = await hooksDuring(() =>
      request('POST /user/repos', {
        name: 'mine',
        headers: { authorization: `token ${authentication.token}` },
      }),
    );
    expect(summary(personal)).toEqual([['repository', 'created', watched.personal]]);
    expectGitHubShapes(personal);
    expect(personal[0]?.payload.organization).toBeUndefined();
    expect(personal[0]?.payload.sender).toMatchObject({ login: 'settings-owner', type: 'User' });

    const control = await hooksDuring(() =>
      fx.admin.createRepositories('settings-org', { names: ['c1', 'c2'] }),
    );
    expect(summary(control)).toEqual([
      ['repository', 'created', watched.org],
      ['repository', 'created', watched.org],
    ]);
    expect(control[0]?.payload.sender).toMatchObject({ login: 'settings-owner' });
    // selected-org's installation selected only `chosen`: a new repository, or a change to an unselected
    // one, is not its business; nor does a suspended installation hear anything.
    const unselected = await hooksDuring(async () => {
      await fx.admin.createRepositories('selected-org', { names: ['new-unselected'] });
      await fx.admin.renameRepository('selected-org', 'not-chosen', 'still-not-chosen');
    });
    expect(unselected).toEqual([]);
    await fx.admin.suspend(watched.org);
    const whileSuspended = await hooksDuring(() => fx.admin.archiveRepository('settings-org', 'c1'));
    await fx.admin.unsuspend(watched.org);
    expect(summary(whileSuspended)).toEqual([]);
  });

  it('generating from a template sends created, by the App’s bot', async () => {
    await fx.admin.createRepositories('settings-org', { names: ['tpl-source'], isTemplate: true });
    const headers = await tokenFor(watched.org);
    const hooks = await hooksDuring(() =>
      request('POST /repos/{template_owner}/{template_repo}/generate', {
        template_owner: 'settings-org',
        template_repo: 'tpl-source',
        owner: 'settings-org',
        name: 'from-tpl',
        headers,
      }),
    );
    expect(summary(hooks)).toEqual([['repository', 'created', watched.org]]);
    expectGitHubShapes(hooks);
    expect(hooks[0]?.payload).toMatchObject({
      repository: { full_name: 'settings-org/from-tpl' },
      sender: { login: 'repo-watcher[bot]', type: 'Bot' },
    });
  });

  it('the control API renames, archives, changes visibility, makes templates and deletes, with events', async () => {
    await fx.admin.createRepositories('settings-org', { names: ['ui-made'] });
    const id = fx.emulator.world.repository('settings-org', 'ui-made')?.id;
    const hooks = await hooksDuring(async () => {
      expect(
        (await fx.admin.renameRepository('settings-org', 'ui-made', 'ui-renamed')).repository,
      ).toMatchObject({
        id,
        fullName: 'settings-org/ui-renamed',
      });
      await fx.admin.setRepositoryVisibility('settings-org', 'ui-renamed', 'private');
      await fx.admin.makeTemplate('settings-org', 'ui-renamed');
      await fx.admin.archiveRepository('settings-org', 'ui-renamed');
      await expect(fx.admin.renameRepository('settings-org', 'ui-renamed', 'x')).rejects.toThrow(
        /403.*read-only/,
      );
      await fx.admin.archiveRepository('settings-org', 'ui-renamed', false);
      expect((await fx.admin.deleteRepository('settings-org', 'ui-renamed')).deleted.id).toBe(id);
    });
    expect(summary(hooks)).toEqual(
      ['renamed', 'privatized', 'edited', 'archived', 'unarchived', 'deleted'].map((action) => [
        'repository',
        action,
        watched.org,
      ]),
    );
    expectGitHubShapes(hooks);
    expect(hooks[0]?.payload.sender).toMatchObject({ login: 'settings-owner' });
    expect(fx.emulator.world.repository('settings-org', 'ui-renamed')).toBeUndefined();
  });

  it('the control route makes binary files from base64', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10]);
    await fx.admin.createRepositories('settings-org', {
      names: ['with-binary'],
      files: { 'logo.png': { base64: bytes.toString('base64') }, 'README.md': '# x\n' },
    });
    const { data } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: 'settings-org',
      repo: 'with-binary',
      path: 'logo.png',
      headers: await tokenFor(watched.org),
    });
    expect(Buffer.from((data as { content: string }).content, 'base64')).toEqual(bytes);
  });

  it('a transfer keeps the id: the old selection loses it, the new owner’s installation hears transferred', async () => {
    await fx.admin.createRepositories('selected-org', { names: ['moving'] });
    await fx.admin.call('POST', `/installations/${watched.selected}/repositories`, { add: ['moving'] });
    const id = fx.emulator.world.repository('selected-org', 'moving')?.id;
    const hooks = await hooksDuring(() =>
      fx.admin.transferRepository('selected-org', 'moving', 'settings-org'),
    );
    expect(summary(hooks)).toEqual([
      ['installation_repositories', 'removed', watched.selected],
      ['repository', 'transferred', watched.org],
    ]);
    expectGitHubShapes(hooks);
    expect(hooks[1]?.payload).toMatchObject({
      changes: { owner: { from: { organization: { login: 'selected-org' } } } },
      repository: { id, full_name: 'settings-org/moving' },
      organization: { login: 'settings-org' },
    });
    expect(fx.emulator.world.installations.get(watched.selected)?.selectedRepositoryIds.has(id ?? 0)).toBe(
      false,
    );
    const { data } = await request('GET /repos/{owner}/{repo}', {
      owner: 'settings-org',
      repo: 'moving',
      headers: await tokenFor(watched.org),
    });
    expect(data.id).toBe(id);
    await expect(fx.admin.transferRepository('settings-org', 'moving', 'settings-org')).rejects.toThrow(
      /422/,
    );
  });
});
