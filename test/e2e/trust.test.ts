import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { assertMayLinkInstallation } from '../../functions/shared/installations/link-policy.js';
import { getServices } from '../../functions/shared/services.js';
import { InstallationStore } from '../../functions/shared/store/installation-store.js';
import { eventually } from '../support/repository-index.js';
import {
  api,
  cookiesSet,
  FRONTEND,
  signIn,
  startInstall,
  startService,
  type ServiceFixture,
} from '../support/service.js';

/**
 * Issue #10's attacks, replayed against the whole service (real handlers, DynamoDB Local, the GitHub
 * emulator): each must now fail safely with a 4xx `{ error, message }` and write nothing.
 */
let fx: ServiceFixture;
const installs: Record<string, number> = {};
const appId = () => Number(fx.secrets.githubApp.appId);

beforeAll(async () => {
  fx = await startService();
  for (const login of ['octo-demo', 'octo-teammate', 'mallory']) await fx.admin.createUser({ login });
  await fx.admin.createUser({
    login: 'octo-org',
    type: 'Organization',
    admins: ['octo-demo'],
    members: ['octo-teammate'],
  });
  await fx.admin.createUser({ login: 'old-org', type: 'Organization', admins: ['octo-demo'] });
  await fx.admin.createUser({ login: 'gone-org', type: 'Organization', admins: ['octo-demo'] });
  for (const account of ['octo-demo', 'octo-org', 'gone-org', 'mallory'])
    installs[account] = (await fx.admin.install({ appId: appId(), account })).installation.id;
  // Installed before the App asked for Members: read, and not accepted since.
  installs['old-org'] = (
    await fx.admin.install({
      appId: appId(),
      account: 'old-org',
      permissions: { administration: 'write', contents: 'write', metadata: 'read' },
    })
  ).installation.id;
});
afterAll(() => fx?.close());

async function items(): Promise<string[]> {
  const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
  return Items.map((item) => `${item.PK?.S}|${item.SK?.S}`).sort();
}

async function newAccount(call: ReturnType<typeof api>, name: string): Promise<string> {
  const response = await call('/accounts', { method: 'POST', json: { name } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

describe('login CSRF', () => {
  it("a callback URL started in the attacker's browser gives the victim's browser no session", async () => {
    // The attacker starts sign-in, approves as themselves and keeps the callback URL unopened.
    const start = await fetch(`${fx.api.url}/auth/login`, { redirect: 'manual' });
    const authorize = new URL(start.headers.get('location') ?? '');
    authorize.searchParams.set('login', 'mallory');
    const approved = await fetch(authorize, { redirect: 'manual' });
    const trap = approved.headers.get('location') ?? '';
    // The signed-in victim's browser opens it (it holds its own session, not the attacker's flow cookie).
    const victim = await signIn(fx, 'octo-demo');
    await fx.admin.clearCalls();
    const opened = await fetch(trap, {
      redirect: 'manual',
      headers: { cookie: `session=${victim.sessionId ?? ''}` },
    });
    expect(opened.status).toBe(400);
    expect(await opened.json()).toMatchObject({ error: 'state_mismatch', message: expect.any(String) });
    expect(opened.headers.getSetCookie()).toEqual([]);
    expect(await fx.admin.calls('POST /login/oauth/access_token')).toHaveLength(0);
    const me = await api(fx, victim)('/me', { asBrowser: true });
    expect(((await me.json()) as { user: { login: string } }).user.login).toBe('octo-demo');
    // A forged or foreign flow cookie does not help either.
    const forged = await fetch(trap, {
      redirect: 'manual',
      headers: { cookie: `oauth_login=v2.x.y.z; ${victim.flowCookie}` },
    });
    expect(forged.status).toBe(400);
    // The attacker's own browser still completes its own sign-in.
    const own = await fetch(trap, { redirect: 'manual', headers: { cookie: cookiesSet(start).join('; ') } });
    expect(own.status).toBe(302);
  });

  it('200 unauthenticated GET /auth/login and 200 list calls add no items to the table', async () => {
    const demo = api(fx, await signIn(fx, 'octo-demo'));
    const accountId = await newAccount(demo, 'Listing');
    const before = await items();
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const login = await fetch(`${fx.api.url}/auth/login`, { redirect: 'manual' });
          expect(login.status).toBe(302);
          const listed = await demo(`/accounts/${accountId}/installations`);
          expect(listed.status).toBe(200);
        }),
      );
    }
    expect(await items()).toEqual(before);
  });

  it('a callback with this browser’s flow cookie but a code GitHub refuses writes nothing', async () => {
    const before = await items();
    const start = await fetch(`${fx.api.url}/auth/login`, { redirect: 'manual' });
    const state = new URL(start.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const refused = await fetch(`${fx.api.url}/auth/callback?code=made-up&state=${state}`, {
      redirect: 'manual',
      headers: { cookie: cookiesSet(start).join('; ') },
    });
    expect(refused.status).toBe(302);
    expect(refused.headers.get('location')).toContain('auth_error=bad_verification_code');
    expect(await items()).toEqual(before);
  });

  it('refuses Origin: null for cookie-authenticated state changes, whatever the Referer says', async () => {
    const session = await signIn(fx, 'octo-demo');
    const response = await api(fx, session)('/accounts', {
      method: 'POST',
      asBrowser: true,
      json: { name: 'From a sandboxed frame' },
      headers: { origin: 'null', referer: `${FRONTEND}/accounts` },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'csrf_rejected' });
  });
});

describe('who may link', () => {
  it("octo-teammate (org member) cannot link octo-org's installation; octo-demo (owner) can", async () => {
    const teammate = api(fx, await signIn(fx, 'octo-teammate'));
    const theirs = await newAccount(teammate, 'Teammate team');
    const before = await items();
    const refused = await teammate(`/accounts/${theirs}/installations/${installs['octo-org']}`, {
      method: 'PUT',
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'org_owner_required' });
    expect(await items()).toEqual(before);

    const demo = api(fx, await signIn(fx, 'octo-demo'));
    const ours = await newAccount(demo, 'Owner team');
    const linked = await demo(`/accounts/${ours}/installations/${installs['octo-org']}`, { method: 'PUT' });
    expect(linked.status).toBe(201);
  });

  it('the install callback applies the same rule', async () => {
    const signedIn = await signIn(fx, 'octo-teammate');
    const teammate = api(fx, signedIn);
    const accountId = await newAccount(teammate, 'Teammate install');
    const { installUrl } = (await (await teammate(`/accounts/${accountId}/installations`)).json()) as {
      installUrl: string;
    };
    const { githubUrl, cookie } = await startInstall(signedIn, installUrl);
    githubUrl.searchParams.set('login', 'octo-teammate');
    githubUrl.searchParams.set('target', 'octo-org');
    const github = await fetch(githubUrl, { redirect: 'manual' });
    const back = await fetch(github.headers.get('location') ?? '', {
      redirect: 'manual',
      headers: { cookie },
    });
    expect(new URL(back.headers.get('location') ?? '').searchParams.get('install_error')).toBe(
      'org_owner_required',
    );
    expect(await new InstallationStore(getServices().table).linksOfAccount(accountId)).toEqual([]);
  });

  it("a personal account's installation only by that user", async () => {
    const demo = api(fx, await signIn(fx, 'octo-demo'));
    const accountId = await newAccount(demo, 'Personal');
    expect(
      (await demo(`/accounts/${accountId}/installations/${installs['octo-demo']}`, { method: 'PUT' })).status,
    ).toBe(201);
    const mallory = api(fx, await signIn(fx, 'mallory'));
    const theirs = await newAccount(mallory, 'Mallory');
    const refused = await mallory(`/accounts/${theirs}/installations/${installs['octo-demo']}`, {
      method: 'PUT',
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'personal_account_owner_required' });
  });

  it('an installation without Members: read is refused with a message naming the permission', async () => {
    const demo = api(fx, await signIn(fx, 'octo-demo'));
    const accountId = await newAccount(demo, 'Old org');
    const refused = await demo(`/accounts/${accountId}/installations/${installs['old-org']}`, {
      method: 'PUT',
    });
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: string; message: string };
    expect(body.error).toBe('installation_permission_missing');
    expect(body.message).toContain('Members: read');
  });

  it('a rate limit on the checks is 503 with Retry-After, never "not accessible"', async () => {
    const demo = api(fx, await signIn(fx, 'octo-demo'));
    const accountId = await newAccount(demo, 'Rate limited');
    for (const route of [
      '/user/memberships/orgs/{org}',
      '/user/installations/{installation_id}/repositories',
    ]) {
      await fx.admin.fault({
        route,
        status: 403,
        headers: { 'retry-after': '30' },
        body: { message: 'You have exceeded a secondary rate limit.' },
      });
    }
    const org = await demo(`/accounts/${accountId}/installations/${installs['octo-org']}`, { method: 'PUT' });
    expect(org.status).toBe(503);
    expect(org.headers.get('retry-after')).toBe('30');
    const personal = await demo(`/accounts/${accountId}/installations/${installs['octo-demo']}`, {
      method: 'PUT',
    });
    expect(personal.status).toBe(503);
    expect(await new InstallationStore(getServices().table).linksOfAccount(accountId)).toEqual([]);
  });

  it('a deployment may widen the rule to active org members (policy org-members)', async () => {
    const { github, table } = getServices();
    const details = await new InstallationStore(table).getDetails(installs['octo-org'] ?? 0);
    if (!details) throw new Error('octo-org installation not stored');
    const teammate = await signIn(fx, 'octo-teammate');
    const userId = fx.emulator.world.accountByLogin('octo-teammate')?.id ?? 0;
    const token =
      [...fx.emulator.world.userTokens.values()].find((t) => t.userId === userId && !t.revoked)?.token ?? '';
    expect(teammate.status).toBe(302);
    const check = (policy: 'org-owners' | 'org-members') =>
      assertMayLinkInstallation({ github, userToken: token, userId, installation: details, policy });
    await expect(check('org-owners')).rejects.toMatchObject({ code: 'org_owner_required' });
    await expect(check('org-members')).resolves.toBeUndefined();
  });
});

describe('tombstones and setup_action=update', () => {
  it('after a signed installation.deleted, linking and the install callback answer installation_deleted', async () => {
    const demo = api(fx, await signIn(fx, 'octo-demo'));
    const accountId = await newAccount(demo, 'Tombstone');
    await fx.admin.uninstall(installs['gone-org'] ?? 0);
    const before = await items();
    const relink = await demo(`/accounts/${accountId}/installations/${installs['gone-org']}`, {
      method: 'PUT',
    });
    expect(relink.status).toBe(404);
    expect(await relink.json()).toMatchObject({ error: 'installation_deleted' });
    expect(await items()).toEqual(before);
  });

  it('a link racing an uninstall loses: 404 installation_deleted and nothing linked', async () => {
    await fx.admin.createUser({ login: 'racing-org', type: 'Organization', admins: ['octo-demo'] });
    const { installation } = await fx.admin.install({ appId: appId(), account: 'racing-org' });
    const demo = api(fx, await signIn(fx, 'octo-demo'));
    const accountId = await newAccount(demo, 'Race');
    // GitHub answers the owner check late (its real answer: "owner"); meanwhile the App is uninstalled
    // and the webhook applied. (The uninstall may overtake the answer, whenever the request arrives.)
    await fx.admin.fault({
      route: '/user/memberships/orgs/{org}',
      mode: 'act-then-delay',
      delayMs: 1500,
    });
    await fx.admin.clearCalls();
    const linking = demo(`/accounts/${accountId}/installations/${installation.id}`, { method: 'PUT' });
    // Once GitHub has taken the owner check (the fault is used up), the service waits for its answer.
    expect(await eventually(() => Promise.resolve(fx.emulator.state.faults.length === 0), 10_000)).toBe(true);
    await fx.admin.uninstall(installation.id);
    const linked = await linking;
    expect(linked.status).toBe(404);
    expect(await linked.json()).toMatchObject({ error: 'installation_deleted' });
    expect(await new InstallationStore(getServices().table).linksOfAccount(accountId)).toEqual([]);
    expect((await items()).filter((key) => key.startsWith(`INSTALLATION#${installation.id}|`))).toEqual([
      `INSTALLATION#${installation.id}|TOMBSTONE`,
    ]);
  });

  it('setup_action=update by a user who may not link the installation rewrites nothing', async () => {
    const store = new InstallationStore(getServices().table);
    const before = await store.getDetails(installs['octo-org'] ?? 0);
    const teammate = await signIn(fx, 'octo-teammate');
    const response = await fetch(
      `${fx.api.url}/auth/callback?installation_id=${installs['octo-org']}&setup_action=update`,
      { redirect: 'manual', headers: { cookie: `session=${teammate.sessionId ?? ''}` } },
    );
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get('location') ?? '').searchParams.get('install_error')).toBe(
      'org_owner_required',
    );
    expect(await store.getDetails(installs['octo-org'] ?? 0)).toEqual(before);
    // Without a session nothing is read or written either.
    const anonymous = await fetch(
      `${fx.api.url}/auth/callback?installation_id=${installs['octo-org']}&setup_action=update`,
      { redirect: 'manual' },
    );
    expect(new URL(anonymous.headers.get('location') ?? '').searchParams.get('install_error')).toBe(
      'unauthenticated',
    );
  });

  it('the owner coming back from GitHub’s settings page refreshes the stored details', async () => {
    const demo = await signIn(fx, 'octo-demo');
    const response = await fetch(
      `${fx.api.url}/auth/callback?installation_id=${installs['octo-org']}&setup_action=update`,
      { redirect: 'manual', headers: { cookie: `session=${demo.sessionId ?? ''}` } },
    );
    const landed = new URL(response.headers.get('location') ?? '');
    expect(landed.origin).toBe(FRONTEND);
    expect(landed.searchParams.get('setup_action')).toBe('update');
    expect(landed.searchParams.get('install_error')).toBeNull();
  });
});
