import { ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  api,
  FRONTEND,
  signIn,
  startInstall,
  startService,
  type ServiceFixture,
} from '../support/service.js';

let fx: ServiceFixture;
const installs: Record<string, number> = {};
const appId = () => Number(fx.secrets.githubApp.appId);

beforeAll(async () => {
  fx = await startService();
  for (const login of ['bob', 'alice', 'mallory']) await fx.admin.createUser({ login });
  // Bob owns octo-org and new-org (GitHub role admin); alice is a plain member of octo-org.
  await fx.admin.createUser({ login: 'octo-org', type: 'Organization', admins: ['bob'], members: ['alice'] });
  await fx.admin.createUser({ login: 'new-org', type: 'Organization', admins: ['bob'] });
  await fx.admin.createUser({ login: 'mallory-org', type: 'Organization', admins: ['mallory'] });
  for (const account of ['bob', 'octo-org', 'mallory-org']) {
    installs[account] = (await fx.admin.install({ appId: appId(), account })).installation.id;
  }
});
afterAll(() => fx?.close());

type Listed = {
  installations: Array<{
    id: number;
    linked: boolean;
    accessible: boolean;
    account?: { login: string; type: string };
  }>;
  installUrl: string;
};

async function session(login: string) {
  const result = await signIn(fx, login);
  return api(fx, result);
}

async function createAccount(call: ReturnType<typeof api>, name: string): Promise<string> {
  const response = await call('/accounts', { method: 'POST', json: { name } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

async function list(call: ReturnType<typeof api>, accountId: string): Promise<Listed> {
  const response = await call(`/accounts/${accountId}/installations`);
  expect(response.status).toBe(200);
  return (await response.json()) as Listed;
}

const summary = (listed: Listed) =>
  listed.installations.map((i) => [i.account?.login ?? `#${i.id}`, i.linked, i.accessible]).sort();

async function tableItems(prefix: string) {
  const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
  return Items.filter((item) => item.PK?.S?.startsWith(prefix))
    .map((item) => `${item.PK?.S}|${item.SK?.S}`)
    .sort();
}

describe("Bob's story: one installation, many teams", () => {
  let teamA: string;
  let teamB: string;

  it('Bob signs in, creates team A, sees his installations and links octo-org', async () => {
    const bob = await session('bob');
    teamA = await createAccount(bob, 'Team A');
    const listed = await list(bob, teamA);
    expect(summary(listed)).toEqual([
      ['bob', false, true],
      ['octo-org', false, true],
    ]);
    // The install flow starts only when someone follows installUrl (listing writes nothing).
    expect(listed.installUrl).toBe(
      `${fx.api.url}/accounts/${teamA}/installations/new?returnTo=${encodeURIComponent(`${FRONTEND}/`)}`,
    );
    const linked = await bob(`/accounts/${teamA}/installations/${installs['octo-org']}`, { method: 'PUT' });
    expect(linked.status).toBe(201);
    expect(await linked.json()).toMatchObject({
      id: installs['octo-org'],
      linked: true,
      account: { login: 'octo-org', type: 'Organization' },
    });
    const again = await bob(`/accounts/${teamA}/installations/${installs['octo-org']}`, { method: 'PUT' });
    expect(again.status).toBe(200);
  });

  it('creates team B and links the same octo-org installation', async () => {
    const bob = await session('bob');
    teamB = await createAccount(bob, 'Team B');
    expect(
      (await bob(`/accounts/${teamB}/installations/${installs['octo-org']}`, { method: 'PUT' })).status,
    ).toBe(201);
  });

  it('installs the App on a new organisation from installUrl and lands back with it linked to team B', async () => {
    const signedIn = await signIn(fx, 'bob');
    const { installUrl } = await list(api(fx, signedIn), teamB);
    const { githubUrl: install, cookie } = await startInstall(signedIn, installUrl);
    expect(install.toString()).toMatch(
      new RegExp(`^${fx.emulator.url}/apps/${fx.secrets.githubApp.slug}/installations/new\\?state=`),
    );
    install.searchParams.set('login', 'bob');
    install.searchParams.set('target', 'new-org');
    const github = await fetch(install, { redirect: 'manual' });
    const callback = new URL(github.headers.get('location') ?? '');
    expect(callback.searchParams.get('setup_action')).toBe('install');
    const back = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    expect(back.status).toBe(302);
    const landed = new URL(back.headers.get('location') ?? '');
    expect(landed.origin).toBe(FRONTEND);
    expect(landed.searchParams.get('linked')).toBe('true');
    installs['new-org'] = Number(landed.searchParams.get('installation_id'));
  });

  it('coming back with setup_action=update refreshes the stored details and links nothing new', async () => {
    const signedIn = await signIn(fx, 'bob');
    const { installUrl } = await list(api(fx, signedIn), teamB);
    const { githubUrl: configure, cookie } = await startInstall(signedIn, installUrl);
    configure.searchParams.set('login', 'bob');
    configure.searchParams.set('target', 'new-org');
    const github = await fetch(configure, { redirect: 'manual' });
    const callback = new URL(github.headers.get('location') ?? '');
    expect(callback.searchParams.get('setup_action')).toBe('update');
    const back = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    const landed = new URL(back.headers.get('location') ?? '');
    expect(landed.searchParams.get('setup_action')).toBe('update');
    expect(landed.searchParams.get('installation_id')).toBe(String(installs['new-org']));
  });

  it('both teams list what they should', async () => {
    const bob = await session('bob');
    expect(summary(await list(bob, teamA))).toEqual([
      ['bob', false, true],
      ['new-org', false, true],
      ['octo-org', true, true],
    ]);
    expect(summary(await list(bob, teamB))).toEqual([
      ['bob', false, true],
      ['new-org', true, true],
      ['octo-org', true, true],
    ]);
    const me = (await (await bob('/me')).json()) as { accounts: Array<{ name: string; role: string }> };
    expect(me.accounts.map((a) => [a.name, a.role])).toEqual([
      ['Team A', 'owner'],
      ['Team B', 'owner'],
    ]);
    // The adjacency list: the installation's accounts via GSI1.
    const { InstallationStore } = await import('../../functions/shared/store/installation-store.js');
    const { getServices } = await import('../../functions/shared/services.js');
    const accounts = await new InstallationStore(getServices().table).accountsOfInstallation(
      installs['octo-org'] ?? 0,
    );
    expect(accounts.map((link) => link.accountId).sort()).toEqual([teamA, teamB].sort());
  });

  it('unlinks idempotently', async () => {
    const bob = await session('bob');
    const teamC = await createAccount(bob, 'Team C');
    expect((await bob(`/accounts/${teamC}/installations/${installs.bob}`, { method: 'PUT' })).status).toBe(
      201,
    );
    expect((await bob(`/accounts/${teamC}/installations/${installs.bob}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect((await bob(`/accounts/${teamC}/installations/${installs.bob}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect(summary(await list(bob, teamC)).filter(([, linked]) => linked)).toEqual([]);
  });
});

describe('cross-account probes change nothing', () => {
  let teamA: string;
  let before: string[];

  beforeAll(async () => {
    const bob = await session('bob');
    teamA = await createAccount(bob, 'Probed team');
    await bob(`/accounts/${teamA}/installations/${installs['octo-org']}`, { method: 'PUT' });
    before = await tableItems(`ACCOUNT#${teamA}`);
  });

  it('a user of another team cannot see, list, link into, unlink from, invite to, rename or delete team A', async () => {
    const mallory = await session('mallory');
    await createAccount(mallory, 'Team M');
    const probes: Array<[string, RequestInit & { json?: unknown }]> = [
      [`/accounts/${teamA}`, {}],
      [`/accounts/${teamA}/installations`, {}],
      [`/accounts/${teamA}/installations/${installs['mallory-org']}`, { method: 'PUT' }],
      [`/accounts/${teamA}/installations/${installs['octo-org']}`, { method: 'DELETE' }],
      [`/accounts/${teamA}/members`, { method: 'POST', json: { login: 'mallory', role: 'admin' } }],
      [`/accounts/${teamA}/members/1`, { method: 'DELETE' }],
      [`/accounts/${teamA}/members/1`, { method: 'PATCH', json: { role: 'owner' } }],
      [`/accounts/${teamA}/invitations`, {}],
      [`/accounts/${teamA}/invitations/${teamA}.1`, { method: 'DELETE' }],
      [`/accounts/${teamA}`, { method: 'PATCH', json: { name: 'Taken over' } }],
      [`/accounts/${teamA}`, { method: 'DELETE' }],
    ];
    for (const [path, init] of probes) {
      const response = await mallory(path, init);
      expect([path, response.status]).toEqual([path, 404]);
      expect(await response.json()).toMatchObject({ error: 'account_not_found' });
    }
    expect(await tableItems(`ACCOUNT#${teamA}`)).toEqual(before);
  });

  it('a member (not admin) cannot link, unlink or add members', async () => {
    const bob = await session('bob');
    const invited = await bob(`/accounts/${teamA}/members`, {
      method: 'POST',
      json: { login: 'alice', role: 'member' },
    });
    expect(invited.status).toBe(201);
    const { id: invitationId } = (await invited.json()) as { id: string };
    const alice = await session('alice');
    expect((await alice(`/accounts/${teamA}`)).status).toBe(404); // not a member until she accepts
    expect((await alice(`/invitations/${invitationId}/accept`, { method: 'POST' })).status).toBe(200);
    expect((await alice(`/accounts/${teamA}`)).status).toBe(200);
    for (const [path, method] of [
      [`/accounts/${teamA}/installations/${installs['octo-org']}`, 'PUT'],
      [`/accounts/${teamA}/installations/${installs['octo-org']}`, 'DELETE'],
      [`/accounts/${teamA}/members`, 'POST'],
    ] as const) {
      const response = await alice(path, {
        method,
        ...(method === 'POST' ? { json: { login: 'bob', role: 'admin' } } : {}),
      });
      expect([path, method, response.status]).toEqual([path, method, 403]);
    }
    expect(summary(await list(alice, teamA)).filter(([, linked]) => linked)).toEqual([
      ['octo-org', true, true],
    ]);
  });

  it('linking an installation the caller cannot reach links nothing', async () => {
    const bob = await session('bob');
    const response = await bob(`/accounts/${teamA}/installations/${installs['mallory-org']}`, {
      method: 'PUT',
    });
    expect(response.status).toBe(403);
    // Bob is no owner of mallory-org: GitHub says he is not even a member.
    expect(await response.json()).toMatchObject({ error: 'org_owner_required' });
    // No link anywhere (the installation's details are known from its installation.created webhook).
    const links = (await tableItems('ACCOUNT#')).filter((key) =>
      key.endsWith(`|INSTALLATION#${installs['mallory-org']}`),
    );
    expect(links).toEqual([]);
    const unknown = await bob(`/accounts/${teamA}/installations/999999`, { method: 'PUT' });
    expect(unknown.status).toBe(403);
  });

  it('a forged installation_id on the install callback links nothing', async () => {
    const signedIn = await signIn(fx, 'bob');
    const bob = api(fx, signedIn);
    const { installUrl } = await list(bob, teamA);
    const { githubUrl, cookie } = await startInstall(signedIn, installUrl);
    const state = githubUrl.searchParams.get('state') ?? '';
    const forged = await fetch(
      `${fx.api.url}/auth/callback?installation_id=${installs['mallory-org']}&setup_action=install&state=${state}`,
      { redirect: 'manual', headers: { cookie } },
    );
    expect(forged.status).toBe(302);
    expect(new URL(forged.headers.get('location') ?? '').searchParams.get('install_error')).toBe(
      'org_owner_required',
    );
    expect(summary(await list(bob, teamA)).filter(([, linked]) => linked)).toEqual([
      ['octo-org', true, true],
    ]);
  });

  it('members: validation, duplicates, unknown users and the last owner', async () => {
    const bob = await session('bob');
    const invalid = await bob(`/accounts/${teamA}/members`, {
      method: 'POST',
      json: { login: 'alice', role: 'boss' },
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: 'invalid_request' });
    const duplicate = await bob(`/accounts/${teamA}/members`, {
      method: 'POST',
      json: { login: 'alice', role: 'admin' },
    });
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toMatchObject({ error: 'already_member' });
    const stranger = await bob(`/accounts/${teamA}/members`, {
      method: 'POST',
      json: { login: 'no-such-github-user', role: 'member' },
    });
    expect(stranger.status).toBe(404);
    expect(await stranger.json()).toMatchObject({ error: 'github_user_not_found' });
    const bobId = fx.emulator.world.accountByLogin('bob')?.id ?? 0;
    const lastOwner = await bob(`/accounts/${teamA}/members/${bobId}`, { method: 'DELETE' });
    expect(lastOwner.status).toBe(409);
    expect(await lastOwner.json()).toMatchObject({ error: 'last_owner' });
    const aliceId = fx.emulator.world.accountByLogin('alice')?.id ?? 0;
    expect((await bob(`/accounts/${teamA}/members/${aliceId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await bob(`/accounts/${teamA}/members/${aliceId}`, { method: 'DELETE' })).status).toBe(404);
    const badJson = await fetch(`${fx.api.url}/accounts`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${(await signIn(fx, 'bob')).sessionId ?? ''}`,
      },
      body: '{"name":',
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: 'invalid_json' });
  });
});

describe('GitHub calls', () => {
  it('lists 250 reachable installations with exactly 3 GET /user/installations calls', async () => {
    await fx.admin.createUser({ login: 'busy' });
    // Straight into the emulator's world: 500 control calls (and as many installation webhooks the
    // listing never reads) took over a minute on a busy machine, and the test's body outlived its timeout.
    const world = fx.emulator.world;
    for (let i = 0; i < 250; i++) {
      const org = world.createAccount({ login: `busy-org-${i}`, type: 'Organization', members: ['busy'] });
      world.install({ appId: appId(), accountId: org.id });
    }
    const busy = await session('busy');
    const team = await createAccount(busy, 'Busy team');
    await fx.admin.clearCalls();
    const listed = await list(busy, team);
    expect(listed.installations).toHaveLength(250);
    expect(new Set(listed.installations.map((i) => i.id)).size).toBe(250);
    expect(await fx.admin.calls('GET /user/installations')).toHaveLength(3);
  });

  it('50 concurrent list requests with the access token expired on GitHub’s clock refresh exactly once', async () => {
    const bob = await session('bob');
    const team = await createAccount(bob, 'Concurrent team');
    await fx.admin.advanceClock(8 * 3600 + 60);
    await fx.admin.clearCalls();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => bob(`/accounts/${team}/installations`)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 50 }, () => 200));
    const grants = (await fx.admin.calls('POST /login/oauth/access_token')).filter(
      (c) => c.grantType === 'refresh_token',
    );
    expect(grants).toHaveLength(1);
  });
});
