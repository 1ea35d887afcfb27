import type { DomainEvent } from '../../functions/shared/events/domain-event.js';
import { keys } from '../../functions/shared/store/keys.js';
import { validOutboxEvents } from '../support/outbox.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * Issue #25, part 1 (docs/repository-scope.md): an account's link to an installation narrowed to named
 * repositories and name prefixes, set by an owner or admin who owns the GitHub organisation, and held
 * on every route that touches a repository: out of scope is 404 `repository_not_found`, as a repository
 * the account cannot reach, with no GitHub call. Real handlers, DynamoDB Local and the GitHub emulator.
 */
let fx: ServiceFixture;
type Call = ReturnType<typeof api>;
const sessions: Record<string, Call> = {};
const userIds: Record<string, number> = {};
const installs: Record<string, number> = {};
/** A: alice (owner), adam (admin, org owner), mark (admin, plain org member), mem (member). B, C: alice's. */
const accounts: Record<'A' | 'B' | 'C', string> = { A: '', B: '', C: '' };

const as = (login: string): Call => {
  const call = sessions[login];
  if (!call) throw new Error(`no session for ${login}`);
  return call;
};

beforeAll(async () => {
  fx = await startService({ appEvents: ['repository', 'push'] });
  const appId = Number(fx.secrets.githubApp.appId);
  for (const login of ['alice', 'adam', 'mark', 'mem', 'carol'])
    userIds[login] = (await fx.admin.createUser({ login })).id;
  await fx.admin.createUser({
    login: 'scope-org',
    type: 'Organization',
    admins: ['alice', 'adam'],
    members: ['mark', 'mem'],
  });
  await fx.admin.createUser({ login: 'tpl-org', type: 'Organization', admins: ['alice'] });
  await fx.admin.createRepositories('scope-org', {
    names: ['team-a-web', 'team-a-api', 'shared-config', 'team-b-web', 'other'],
    files: { 'README.md': '# readme\n' },
  });
  await fx.admin.createRepositories('scope-org', {
    names: ['team-a-template', 'team-b-template'],
    files: { 'template.txt': 'from the template\n' },
    isTemplate: true,
  });
  await fx.admin.createRepositories('tpl-org', {
    names: ['starter', 'other-starter'],
    files: { 'starter.txt': 'starter\n' },
    isTemplate: true,
    private: false,
  });
  installs.scope = (await fx.admin.install({ appId, account: 'scope-org' })).installation.id;
  installs.tpl = (await fx.admin.install({ appId, account: 'tpl-org' })).installation.id;
  for (const login of ['alice', 'adam', 'mark', 'mem', 'carol'])
    sessions[login] = api(fx, await signIn(fx, login));
  for (const name of ['A', 'B', 'C'] as const) {
    const created = await as('alice')('/accounts', { method: 'POST', json: { name: `Team ${name}` } });
    accounts[name] = ((await created.json()) as { id: string }).id;
  }
  for (const [login, role] of [
    ['adam', 'admin'],
    ['mark', 'admin'],
    ['mem', 'member'],
  ] as const) {
    const invited = await as('alice')(`/accounts/${accounts.A}/members`, {
      method: 'POST',
      json: { login, role },
    });
    const { id } = (await invited.json()) as { id: string };
    expect((await as(login)(`/invitations/${id}/accept`, { method: 'POST' })).status).toBe(200);
  }
  // A links scope-org for every repository (a scope comes later) and tpl-org for `starter` only; C
  // links scope-org for every repository.
  expect((await link('alice', 'A', installs.scope)).status).toBe(201);
  expect((await link('alice', 'A', installs.tpl, { repositories: ['starter'] })).status).toBe(201);
  expect((await link('alice', 'C', installs.scope)).status).toBe(201);
});
afterAll(() => fx?.close());

function link(login: string, account: 'A' | 'B' | 'C', installationId: number | undefined, body?: unknown) {
  return as(login)(`/accounts/${accounts[account]}/installations/${installationId}`, {
    method: 'PUT',
    ...(body === undefined ? {} : { json: body }),
  });
}

function patch(
  login: string,
  body: unknown,
  account: 'A' | 'B' | 'C' = 'A',
  installationId = installs.scope,
) {
  return as(login)(`/accounts/${accounts[account]}/installations/${installationId}`, {
    method: 'PATCH',
    json: body,
  });
}

type Scope = { repositories: string[]; patterns: string[] } | null;

/** The link's scope as stored on the link item and on its twin (undefined: no such item). */
async function storedScopes(account: 'A' | 'B' | 'C', installationId = installs.scope ?? 0) {
  const [item, twin] = await Promise.all([
    fx.table.table.get(keys.link(accounts[account], installationId)),
    fx.table.table.get(keys.installationLink(installationId, accounts[account])),
  ]);
  return { link: item && (item.scope ?? null), twin: twin && (twin.scope ?? null) };
}

/** The scope GET /accounts/{id}/installations shows for the installation. */
async function listedScope(account: 'A' | 'B' | 'C', installationId = installs.scope): Promise<unknown> {
  const listed = await as('alice')(`/accounts/${accounts[account]}/installations`);
  expect(listed.status).toBe(200);
  const { installations } = (await listed.json()) as { installations: Array<{ id: number; scope?: Scope }> };
  return installations.find((one) => one.id === installationId)?.scope;
}

const scopeEvents = () =>
  validOutboxEvents(fx.table, ['installation.scope_changed']) as Promise<
    Array<DomainEvent<'installation.scope_changed'>>
  >;

async function error(response: Response): Promise<{ status: number; error: unknown; message: unknown }> {
  const body = (await response.json()) as { error?: unknown; message?: unknown };
  return { status: response.status, error: body.error, message: body.message };
}

/** GitHub calls since the last clearCalls (the emulator's own control routes left out). */
async function gitHubCalls(): Promise<string[]> {
  return (await fx.admin.calls())
    .filter((call) => !call.route.startsWith('/_emulator'))
    .map((call) => `${call.method} ${call.route}`);
}

describe('setting a scope', () => {
  it('members get 403 insufficient_role and non-members 404, on PUT and PATCH; nothing changes', async () => {
    const scope = { patterns: ['team-a-*'] };
    expect(await error(await link('mem', 'A', installs.scope, scope))).toMatchObject({
      status: 403,
      error: 'insufficient_role',
    });
    expect(await error(await patch('mem', scope))).toMatchObject({ status: 403, error: 'insufficient_role' });
    expect(await error(await link('carol', 'A', installs.scope, scope))).toMatchObject({
      status: 404,
      error: 'account_not_found',
    });
    expect(await error(await patch('carol', scope))).toMatchObject({
      status: 404,
      error: 'account_not_found',
    });
    expect(await storedScopes('A')).toEqual({ link: null, twin: null });
    expect(await scopeEvents()).toHaveLength(1); // A's tpl-org link, made with its scope
  });

  it('a bad scope is a 400 naming it (415 for a body that is not JSON) and changes nothing', async () => {
    const refusals: Array<[Response, number, string]> = [
      [await patch('alice', { repositories: ['scope-org/team-a-web'] }), 400, 'invalid_scope'],
      [await patch('alice', { patterns: ['*-api'] }), 400, 'invalid_scope'],
      [await patch('alice', { patterns: ['team-*-api*'] }), 400, 'invalid_scope'],
      [await patch('alice', { repositories: [], patterns: [] }), 400, 'invalid_scope'],
      [
        await patch('alice', { repositories: Array.from({ length: 101 }, (_, i) => `r${i}`) }),
        400,
        'invalid_scope',
      ],
      [await patch('alice', { repositories: 'team-a-web' }), 400, 'invalid_request'],
      [await patch('alice', { scope: ['team-a-web'] }), 400, 'invalid_request'],
      [await patch('alice', {}), 400, 'invalid_request'],
      [await link('alice', 'A', installs.scope, { repositories: ['..'] }), 400, 'invalid_scope'],
      [await link('alice', 'A', installs.scope, { names: ['team-a-web'] }), 400, 'invalid_request'],
      [
        await as('alice')(`/accounts/${accounts.A}/installations/${installs.scope}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: '{"patterns": [',
        }),
        400,
        'invalid_json',
      ],
      [
        await as('alice')(`/accounts/${accounts.A}/installations/${installs.scope}`, {
          method: 'PUT',
          headers: { 'content-type': 'text/plain' },
          body: 'team-a-*',
        }),
        415,
        'unsupported_media_type',
      ],
    ];
    for (const [response, status, code] of refusals)
      expect(await error(response)).toMatchObject({ status, error: code, message: expect.any(String) });
    expect(await storedScopes('A')).toEqual({ link: null, twin: null });
    expect(await listedScope('A')).toBeNull();
    expect(await scopeEvents()).toHaveLength(1);
  });

  it('an admin who owns the organisation sets names and patterns: both link items, the answer, the list, one event', async () => {
    await fx.admin.clearCalls();
    const response = await patch('adam', {
      repositories: ['Shared-Config', 'shared-config'],
      patterns: ['TEAM-A-*'],
    });
    expect(response.status).toBe(200);
    const expected = { repositories: ['shared-config'], patterns: ['team-a-*'] };
    expect(await response.json()).toMatchObject({
      id: installs.scope,
      linked: true,
      scope: expected,
      commitPolicy: { committers: 'github_push_access' },
    });
    // The org-owner check, asked with adam's own token.
    expect(await gitHubCalls()).toEqual(['GET /user/memberships/orgs/{org}']);
    expect(await storedScopes('A')).toEqual({ link: expected, twin: expected });
    expect(await listedScope('A')).toEqual(expected);
    const events = (await scopeEvents()).filter((event) => event.detail.platformAccountIds[0] === accounts.A);
    const changed = events.find((event) => event.detail.installation.id === installs.scope);
    expect(changed?.detail).toMatchObject({
      platformAccountIds: [accounts.A],
      actor: { type: 'user', userId: userIds.adam, login: 'adam' },
      account: { id: accounts.A, name: 'Team A' },
      installation: { id: installs.scope, accountLogin: 'scope-org', accountType: 'Organization' },
      scope: expected,
    });
  });

  it('the same scope again reports nothing; an admin who is no org owner, or sends commitPolicy, gets 403', async () => {
    const before = (await scopeEvents()).length;
    const again = await patch('alice', { repositories: ['shared-config'], patterns: ['team-a-*'] });
    expect(again.status).toBe(200);
    expect(await scopeEvents()).toHaveLength(before);

    expect(await error(await patch('mark', { patterns: ['team-*'] }))).toMatchObject({
      status: 403,
      error: 'org_owner_required',
    });
    expect(await error(await link('mark', 'A', installs.scope, { patterns: ['team-*'] }))).toMatchObject({
      status: 403,
      error: 'org_owner_required',
    });
    expect(
      await error(
        await patch('adam', { commitPolicy: { committers: 'account_members' }, patterns: ['team-*'] }),
      ),
    ).toMatchObject({ status: 403, error: 'insufficient_role' });
    // An owner of the account who is no longer an owner of the organisation: refused alike.
    await fx.admin.setOrgRole('scope-org', 'alice', 'member');
    try {
      expect(await error(await patch('alice', { patterns: ['team-*'] }))).toMatchObject({
        status: 403,
        error: 'org_owner_required',
      });
    } finally {
      await fx.admin.setOrgRole('scope-org', 'alice', 'admin');
    }
    const expected = { repositories: ['shared-config'], patterns: ['team-a-*'] };
    expect(await storedScopes('A')).toEqual({ link: expected, twin: expected });
    expect(await scopeEvents()).toHaveLength(before);
  });

  it('an owner sets the commit policy and the scope in one PATCH', async () => {
    const response = await patch('alice', {
      commitPolicy: { committers: 'github_push_access', readOnlyRepositories: ['shared-config'] },
      patterns: ['team-a-*'],
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      scope: { repositories: [], patterns: ['team-a-*'] },
      commitPolicy: { readOnlyRepositories: ['shared-config'] },
    });
    const reset = await patch('alice', {
      commitPolicy: { committers: 'github_push_access' },
      repositories: ['shared-config'],
      patterns: ['team-a-*'],
    });
    expect(await reset.json()).toMatchObject({
      scope: { repositories: ['shared-config'], patterns: ['team-a-*'] },
      commitPolicy: { readOnlyRepositories: [] },
    });
  });

  it('PUT with another scope sets it, PUT without a body keeps it, null and null widen to every repository', async () => {
    const before = (await scopeEvents()).length;
    const put = await link('adam', 'A', installs.scope, { repositories: ['other'] });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({
      linked: true,
      scope: { repositories: ['other'], patterns: [] },
    });
    expect(await storedScopes('A')).toEqual({
      link: { repositories: ['other'], patterns: [] },
      twin: { repositories: ['other'], patterns: [] },
    });

    const bodiless = await link('alice', 'A', installs.scope);
    expect(bodiless.status).toBe(200);
    expect(await bodiless.json()).toMatchObject({ scope: { repositories: ['other'], patterns: [] } });

    const widened = await patch('adam', { repositories: null, patterns: null });
    expect(widened.status).toBe(200);
    expect(await widened.json()).toMatchObject({ scope: null });
    expect(await storedScopes('A')).toEqual({ link: null, twin: null });
    expect(await listedScope('A')).toBeNull();
    const events = (await scopeEvents()).slice(before);
    expect(events.map((event) => event.detail.scope)).toEqual([
      { repositories: ['other'], patterns: [] },
      null,
    ]);
  });

  it('a link older than the twins gets a whole twin with its scope (never a bare item the webhook cannot read)', async () => {
    await fx.table.table.delete(keys.installationLink(installs.scope ?? 0, accounts.C));
    expect((await patch('alice', { patterns: ['zzz-*'] }, 'C')).status).toBe(200);
    expect(await fx.table.table.get(keys.installationLink(installs.scope ?? 0, accounts.C))).toMatchObject({
      accountId: accounts.C,
      installationId: installs.scope,
      scope: { repositories: [], patterns: ['zzz-*'] },
    });
    expect((await patch('alice', { repositories: null, patterns: null }, 'C')).status).toBe(200);
    expect(await storedScopes('C')).toEqual({ link: null, twin: null });
  });

  it('a new link made with a scope answers 201 with it and reports installation.linked and scope_changed together', async () => {
    const response = await link('alice', 'B', installs.scope, { patterns: ['team-b-*'] });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      id: installs.scope,
      linked: true,
      scope: { repositories: [], patterns: ['team-b-*'] },
    });
    expect(await storedScopes('B')).toEqual({
      link: { repositories: [], patterns: ['team-b-*'] },
      twin: { repositories: [], patterns: ['team-b-*'] },
    });
    const events = (
      await validOutboxEvents(fx.table, ['installation.linked', 'installation.scope_changed'])
    ).filter((event) => event.detail.platformAccountIds.includes(accounts.B));
    expect(events.map((event) => event.type).sort()).toEqual([
      'installation.linked',
      'installation.scope_changed',
    ]);
    expect(new Set(events.map((event) => event.detail.correlationId)).size).toBe(1);
  });
});

describe('the scope holds on every route', () => {
  const SCOPE = { repositories: ['shared-config'], patterns: ['team-a-*'] };
  const base = (repo: string, owner = 'scope-org') => `/accounts/${accounts.A}/repositories/${owner}/${repo}`;

  beforeAll(async () => {
    expect((await patch('alice', SCOPE)).status).toBe(200);
  });

  /** The out-of-scope answer: exactly an unreachable repository's, and no GitHub call for it. */
  async function expectOutOfScope(request: () => Promise<Response>): Promise<void> {
    const unreachable = await error(await as('alice')(`${base('team-a-nowhere')}/tree`));
    expect(unreachable).toMatchObject({ status: 404, error: 'repository_not_found' });
    await fx.admin.clearCalls();
    expect(await error(await request())).toEqual(unreachable);
    expect(await gitHubCalls()).toEqual([]);
  }

  it('tree: in scope 200, out of scope 404 repository_not_found', async () => {
    expect((await as('mem')(`${base('team-a-web')}/tree`)).status).toBe(200);
    expect((await as('mem')(`${base('shared-config')}/tree`)).status).toBe(200);
    await expectOutOfScope(() => as('mem')(`${base('other')}/tree`));
    await expectOutOfScope(() => as('alice')(`${base('team-b-web')}/tree?ref=main`));
  });

  it('contents: in scope 200, out of scope 404 repository_not_found', async () => {
    const file = await as('mem')(`${base('team-a-api')}/contents/README.md`);
    expect(file.status).toBe(200);
    expect(await file.json()).toMatchObject({ type: 'file', path: 'README.md' });
    await expectOutOfScope(() => as('mem')(`${base('other')}/contents/README.md`));
  });

  it('commits: in scope 201, out of scope 404 repository_not_found and the branch untouched', async () => {
    const commit = (repo: string) =>
      as('alice')(`${base(repo)}/commits`, {
        method: 'POST',
        json: {
          branch: 'feature/scope',
          message: 'Scoped change',
          files: [{ path: 'a.txt', content: 'a\n', encoding: 'utf-8' }],
        },
      });
    expect((await commit('team-a-web')).status).toBe(201);
    await expectOutOfScope(() => commit('team-b-web'));
    expect(
      fx.emulator.world.repository('scope-org', 'team-b-web')?.git.refs.get('refs/heads/feature/scope'),
    ).toBe(undefined);
  });

  it('repository creation: a name in scope is created, one outside is 404 repository_not_found, nothing at GitHub', async () => {
    const create = (login: string, name: string) =>
      as(login)(`/accounts/${accounts.A}/repositories`, {
        method: 'POST',
        json: { installationId: installs.scope, name },
      });
    expect((await create('mem', 'team-a-new')).status).toBe(201);
    expect(fx.emulator.world.repository('scope-org', 'team-a-new')).toBeDefined();
    await expectOutOfScope(() => create('alice', 'team-b-new'));
    await expectOutOfScope(() => create('mem', 'other-new'));
    expect(fx.emulator.world.repository('scope-org', 'team-b-new')).toBeUndefined();
    expect(fx.emulator.world.repository('scope-org', 'other-new')).toBeUndefined();
    // Account C's link is not scoped: the same name is fine there.
    const unscoped = await as('alice')(`/accounts/${accounts.C}/repositories`, {
      method: 'POST',
      json: { installationId: installs.scope, name: 'other-new' },
    });
    expect(unscoped.status).toBe(201);
  });

  it('creation from a template: one in the scope of its installation’s link is used; one outside is 404 template_not_found, nothing at GitHub', async () => {
    const create = (name: string, template: { owner: string; repo: string }) =>
      as('alice')(`/accounts/${accounts.A}/repositories`, {
        method: 'POST',
        json: { installationId: installs.scope, name, template },
      });
    const made = await create('team-a-from-template', { owner: 'scope-org', repo: 'team-a-template' });
    expect(made.status).toBe(201);
    // tpl-org is linked to A for `starter` only; its public templates are otherwise readable by the App.
    expect((await create('team-a-from-starter', { owner: 'tpl-org', repo: 'starter' })).status).toBe(201);

    for (const template of [
      { owner: 'scope-org', repo: 'team-b-template' },
      { owner: 'tpl-org', repo: 'other-starter' },
    ]) {
      await fx.admin.clearCalls();
      const refused = await error(await create('team-a-from-elsewhere', template));
      expect(refused).toMatchObject({
        status: 404,
        error: 'template_not_found',
        message: expect.stringContaining(`${template.owner}/${template.repo}`),
      });
      expect(await gitHubCalls()).toEqual([]);
    }
    expect(fx.emulator.world.repository('scope-org', 'team-a-from-elsewhere')).toBeUndefined();
    // The same public template through an unscoped link (C): GitHub's to allow, as before.
    const unscoped = await as('alice')(`/accounts/${accounts.C}/repositories`, {
      method: 'POST',
      json: {
        installationId: installs.scope,
        name: 'c-from-other-starter',
        template: { owner: 'tpl-org', repo: 'other-starter' },
      },
    });
    expect(unscoped.status).toBe(201);
  });

  it('repository.pushed names only the linked accounts whose scope includes the repository', async () => {
    // A: shared-config + team-a-*; B: team-b-*; C: every repository. tpl-org: A only, `starter`.
    const expectations: Array<[string, string, string[]]> = [
      ['scope-org', 'team-a-web', [accounts.A, accounts.C]],
      ['scope-org', 'shared-config', [accounts.A, accounts.C]],
      ['scope-org', 'team-b-web', [accounts.B, accounts.C]],
      ['scope-org', 'other', [accounts.C]],
      ['tpl-org', 'starter', [accounts.A]],
      ['tpl-org', 'other-starter', []],
    ];
    for (const [owner, repo, expected] of expectations) {
      const pushed = await fx.admin.pushCommit(owner, repo, { files: { 'pushed.txt': `${repo}\n` } });
      const guid = pushed.deliveries[0]?.guid;
      expect(guid).toBeDefined();
      const events = (await validOutboxEvents(fx.table, ['repository.pushed'])).filter(
        (event) => event.detail.correlationId === guid,
      );
      expect([repo, events.map((event) => [...event.detail.platformAccountIds].sort())]).toEqual([
        repo,
        expected.length === 0 ? [] : [[...expected].sort()],
      ]);
    }
  });
});
