/**
 * The GitHub emulator: users, their installations and their organization memberships (run by
 * test/integration/github-emulator.test.ts).
 */
import { exchangeWebFlowCode } from '@octokit/oauth-methods';
import { request as octokitRequest } from '@octokit/request';
import { authorizeAs, startEmulatorFixture } from '../../support/emulator.js';
import { failure, fx, installations, request, signIn } from '../../support/emulator-suite.js';

describe('GET /users/{username}', () => {
  it('answers the public profile by login (any case), and GitHub’s 404 for a login nobody holds', async () => {
    const { token } = await signIn('octo-teammate');
    const headers = { authorization: `token ${token}` };
    const { data } = await request('GET /users/{username}', { username: 'OCTO-DEMO', headers });
    expect(data).toMatchObject({
      login: 'octo-demo',
      id: fx.emulator.world.accountByLogin('octo-demo')?.id,
      type: 'User',
      user_view_type: 'public',
      name: 'Octo Demo',
      email: null,
    });
    const missing = await failure(request('GET /users/{username}', { username: 'no-such-login', headers }));
    expect(missing.status).toBe(404);
    expect(missing.response?.data).toMatchObject({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/users/users#get-a-user',
    });
    const badToken = await failure(
      request('GET /users/{username}', { username: 'octo-demo', headers: { authorization: 'token nope' } }),
    );
    expect(badToken.status).toBe(401);
  });

  it('after a rename the old login is free: it names nobody, then whoever takes it', async () => {
    await fx.admin.createUser({ login: 'renamed-rita' });
    const rita = fx.emulator.world.accountByLogin('renamed-rita')?.id;
    await fx.admin.renameUser('renamed-rita', 'rita-now');
    expect((await failure(request('GET /users/{username}', { username: 'renamed-rita' }))).status).toBe(404);
    expect((await request('GET /users/{username}', { username: 'rita-now' })).data.id).toBe(rita);
    const taker = await fx.admin.createUser({ login: 'renamed-rita' });
    const { data } = await request('GET /users/{username}', { username: 'renamed-rita' });
    expect(data.id).toBe(taker.id);
    expect(data.id).not.toBe(rita);
  });
});

describe('GET /user/installations', () => {
  it('lists only the installations the user can reach', async () => {
    const { token } = await signIn('octo-demo');
    const { data } = await request('GET /user/installations', {
      headers: { authorization: `token ${token}` },
    });
    expect(data.total_count).toBe(2);
    expect(data.installations.map((i) => i.id).sort()).toEqual(
      [installations.personal, installations.org].sort(),
    );
    const { token: outsider } = await signIn('outsider');
    const { data: theirs } = await request('GET /user/installations', {
      headers: { authorization: `token ${outsider}` },
    });
    expect(
      theirs.installations.map((i) => (i.account && 'login' in i.account ? i.account.login : '')),
    ).toEqual(['other-org']);
  });

  it('tells a user whether they can reach one installation (its repositories, or 404)', async () => {
    const { token } = await signIn('outsider');
    const headers = { authorization: `token ${token}` };
    const { data } = await request('GET /user/installations/{installation_id}/repositories', {
      installation_id:
        fx.emulator.world.installationFor(fx.app.id, fx.emulator.world.accountByLogin('other-org')?.id ?? 0)
          ?.id ?? 0,
      headers,
    });
    expect(data).toMatchObject({ total_count: 0, repository_selection: 'all' });
    const hidden = await failure(
      request('GET /user/installations/{installation_id}/repositories', {
        installation_id: installations.org,
        headers,
      }),
    );
    expect(hidden.status).toBe(404);
  });

  it('pages at 100 with Link headers', async () => {
    const wide = await startEmulatorFixture();
    try {
      await wide.admin.createUser({ login: 'busy' });
      for (let i = 0; i < 250; i++) {
        await wide.admin.createUser({ login: `org-${i}`, type: 'Organization', members: ['busy'] });
        await wide.admin.install({ appId: wide.app.id, account: `org-${i}` });
      }
      const query = await authorizeAs(wide.emulator.url, { client_id: wide.app.clientId, login: 'busy' });
      const wideRequest = octokitRequest.defaults({ baseUrl: wide.emulator.url });
      const { authentication } = await exchangeWebFlowCode({
        clientType: 'github-app',
        clientId: wide.app.clientId,
        clientSecret: wide.app.clientSecret,
        code: query.get('code') ?? '',
        request: wideRequest,
      });
      await wide.admin.clearCalls();
      const seen: number[] = [];
      let url: string | undefined = `${wide.emulator.url}/user/installations?per_page=100`;
      while (url) {
        const response: { data: unknown; headers: { link?: string } } = await wideRequest(`GET ${url}`, {
          headers: { authorization: `token ${authentication.token}` },
        });
        const data = response.data as { total_count: number; installations: Array<{ id: number }> };
        expect(data.total_count).toBe(250);
        seen.push(...data.installations.map((i) => i.id));
        url = /<([^>]+)>;\s*rel="next"/.exec(response.headers.link ?? '')?.[1];
      }
      expect(new Set(seen).size).toBe(250);
      expect(await wide.admin.calls('GET /user/installations')).toHaveLength(3);
    } finally {
      await wide.close();
    }
  });
});

describe('GET /user/memberships/orgs/{org}', () => {
  it("answers the user's role, 404 for non-members, 403 when the App lacks Members: read", async () => {
    await fx.admin.setOrgRole('octo-org', 'octo-demo', 'admin');
    const role = async (login: string, org: string) => {
      const { token } = await signIn(login);
      const { data } = await request('GET /user/memberships/orgs/{org}', {
        org,
        headers: { authorization: `token ${token}` },
      });
      return [data.state, data.role, data.organization.login, data.user?.login];
    };
    expect(await role('octo-demo', 'octo-org')).toEqual(['active', 'admin', 'octo-org', 'octo-demo']);
    expect(await role('octo-teammate', 'octo-org')).toEqual([
      'active',
      'member',
      'octo-org',
      'octo-teammate',
    ]);
    const { token } = await signIn('outsider');
    const headers = { authorization: `token ${token}` };
    expect(
      (await failure(request('GET /user/memberships/orgs/{org}', { org: 'octo-org', headers }))).status,
    ).toBe(404);
    await fx.admin.createUser({ login: 'narrow-org', type: 'Organization', admins: ['outsider'] });
    await fx.admin.install({ appId: fx.app.id, account: 'narrow-org', permissions: { metadata: 'read' } });
    const refused = await failure(
      request('GET /user/memberships/orgs/{org}', { org: 'narrow-org', headers }),
    );
    expect(refused.status).toBe(403);
    expect(refused.response?.data?.message).toBe('Resource not accessible by integration');
    await fx.admin.setOrgRole('octo-org', 'octo-demo', 'member');
    expect(await role('octo-demo', 'octo-org')).toEqual(['active', 'member', 'octo-org', 'octo-demo']);
    await fx.admin.setOrgRole('octo-org', 'octo-demo', 'admin');
  });
});
