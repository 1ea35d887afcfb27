import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

let fx: ServiceFixture;

beforeAll(async () => {
  fx = await startService();
  for (const login of ['owner-olga', 'alice', 'carol', 'never-seen']) await fx.admin.createUser({ login });
});
afterAll(() => fx?.close());

type Call = ReturnType<typeof api>;

async function session(login: string): Promise<Call> {
  return api(fx, await signIn(fx, login));
}

const githubId = (login: string) => fx.emulator.world.accountByLogin(login)?.id ?? 0;

async function createAccount(call: Call, name: string): Promise<string> {
  const response = await call('/accounts', { method: 'POST', json: { name } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/** Every item key of the table whose PK starts with `prefix` (GSI copies included by being the same item). */
async function tableItems(prefix = '') {
  const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
  return Items.filter((item) => item.PK?.S?.startsWith(prefix))
    .map((item) => `${item.PK?.S}|${item.SK?.S}`)
    .sort();
}

describe('defects: identity by GitHub id, consent, names', () => {
  it('a renamed login resolves to the user who holds it now, not the one the table saw first', async () => {
    const olga = await session('owner-olga');
    const team = await createAccount(olga, 'Rename team');
    await session('alice'); // the first alice signs in once: the table knows her under "alice"
    const firstAlice = githubId('alice');
    await fx.admin.renameUser('alice', 'alice-old');
    const secondAlice = (await fx.admin.createUser({ login: 'alice' })).id;
    expect(secondAlice).not.toBe(firstAlice);

    const invited = await olga(`/accounts/${team}/members`, {
      method: 'POST',
      json: { login: 'alice', role: 'member' },
    });
    expect(invited.status).toBe(201);
    expect(await invited.json()).toMatchObject({ userId: secondAlice, login: 'alice', status: 'pending' });
  });

  it('adding a member asks for consent: the invitee is not a member until they accept', async () => {
    const olga = await session('owner-olga');
    const team = await createAccount(olga, 'Consent team');
    await session('carol');
    const invited = await olga(`/accounts/${team}/members`, {
      method: 'POST',
      json: { login: 'carol', role: 'admin' },
    });
    expect(invited.status).toBe(201);
    const account = (await (await olga(`/accounts/${team}`)).json()) as { members: Array<{ login: string }> };
    expect(account.members.map((m) => m.login)).toEqual(['owner-olga']);
  });

  it('an unknown login is GitHub’s answer, and says nothing about the platform’s users', async () => {
    const olga = await session('owner-olga');
    const team = await createAccount(olga, 'Enumeration team');
    const unknown = await olga(`/accounts/${team}/members`, {
      method: 'POST',
      json: { login: 'nobody-at-all', role: 'member' },
    });
    expect(unknown.status).toBe(404);
    const body = (await unknown.json()) as { error: string; message: string };
    expect(body.error).toBe('github_user_not_found');
    expect(body.message).not.toMatch(/sign|platform/i);
    // A GitHub user who never signed in here is invited like anyone else.
    const stranger = await olga(`/accounts/${team}/members`, {
      method: 'POST',
      json: { login: 'never-seen', role: 'member' },
    });
    expect(stranger.status).toBe(201);
  });

  it.each([
    ['NUL', 'Team\u0000A'],
    ['ESC', 'Team\u001b[31mA'],
    ['right-to-left override', 'Team \u202Egpj.exe'],
    ['zero-width space', 'Te\u200Bam'],
    ['private use', 'Team \uE000'],
    ['lone surrogate', 'Team \uD800'],
    ['noncharacter', 'Team \uFFFF'],
    ['empty after trimming', '   '],
    ['101 characters', 'x'.repeat(101)],
  ])('refuses an account name with %s: 400 invalid_name, nothing written', async (_label, name) => {
    const olga = await session('owner-olga');
    const before = await tableItems('ACCOUNT#');
    const response = await olga('/accounts', { method: 'POST', json: { name } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_name' });
    expect(await tableItems('ACCOUNT#')).toEqual(before);
  });
});

type InvitationBody = {
  id: string;
  account: { id: string; name: string };
  userId: number;
  login: string;
  role: string;
  status: string;
  invitedBy: { userId: number; login: string };
  expiresAt: string;
};

async function invite(call: Call, accountId: string, login: string, role: string) {
  const response = await call(`/accounts/${accountId}/members`, { method: 'POST', json: { login, role } });
  return { status: response.status, body: (await response.json()) as InvitationBody & { error?: string } };
}

async function myInvitations(call: Call): Promise<InvitationBody[]> {
  const response = await call('/me/invitations');
  expect(response.status).toBe(200);
  return ((await response.json()) as { invitations: InvitationBody[] }).invitations;
}

async function members(call: Call, accountId: string) {
  const response = await call(`/accounts/${accountId}`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { members: Array<{ userId: number; login: string; role: string }> };
  return body.members.map((m) => [m.login, m.role]);
}

async function accountItem(accountId: string) {
  const { table } = fx.table;
  const { keys } = await import('../../functions/shared/store/keys.js');
  return table.get(keys.account(accountId));
}

describe('invitation round trip', () => {
  beforeAll(async () => {
    for (const login of ['ivy', 'dave', 'first-timer', 'renamer']) await fx.admin.createUser({ login });
  });

  it('a signed-in user is invited, sees it, and only they can accept it', async () => {
    const olga = await session('owner-olga');
    const team = await createAccount(olga, 'Round trip');
    const ivy = await session('ivy');
    await fx.admin.clearCalls();
    const invited = await invite(olga, team, 'IVY', 'admin');
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({
      account: { id: team, name: 'Round trip' },
      userId: githubId('ivy'),
      login: 'ivy',
      role: 'admin',
      status: 'pending',
      invitedBy: { userId: githubId('owner-olga'), login: 'owner-olga' },
    });
    // One GitHub call, made with the inviter's own token.
    expect((await fx.admin.calls('GET /users/{username}')).map((c) => [c.status, c.credential])).toEqual([
      [200, 'user_token'],
    ]);
    const days = (Date.parse(invited.body.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);

    expect((await myInvitations(ivy)).map((i) => [i.id, i.account.name, i.role])).toEqual([
      [invited.body.id, 'Round trip', 'admin'],
    ]);
    const listed = await olga(`/accounts/${team}/invitations`);
    expect(((await listed.json()) as { invitations: InvitationBody[] }).invitations).toHaveLength(1);

    // Nobody but the invitee can accept or decline, not even the account's owner.
    const dave = await session('dave');
    for (const [who, call] of [
      ['dave', dave],
      ['owner-olga', olga],
    ] as const) {
      for (const action of ['accept', 'decline']) {
        const response = await call(`/invitations/${invited.body.id}/${action}`, { method: 'POST' });
        expect([who, action, response.status]).toEqual([who, action, 404]);
        expect(await response.json()).toMatchObject({ error: 'invitation_not_found' });
      }
    }
    expect(await members(olga, team)).toEqual([['owner-olga', 'owner']]);

    const accepted = await ivy(`/invitations/${invited.body.id}/accept`, { method: 'POST' });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ id: team, name: 'Round trip', role: 'admin' });
    expect(await members(olga, team)).toEqual([
      ['owner-olga', 'owner'],
      ['ivy', 'admin'],
    ]);
    const me = (await (await ivy('/me')).json()) as { accounts: Array<{ id: string; role: string }> };
    expect(me.accounts).toContainEqual({ id: team, name: 'Round trip', role: 'admin' });
    expect(await myInvitations(ivy)).toEqual([]);
    expect((await ivy(`/invitations/${invited.body.id}/accept`, { method: 'POST' })).status).toBe(404);
    const again = await invite(olga, team, 'ivy', 'member');
    expect([again.status, again.body.error]).toEqual([409, 'already_member']);
  });

  it('someone who has never signed in is invited and finds it on first sign-in', async () => {
    const olga = await session('owner-olga');
    const team = await createAccount(olga, 'First timers welcome');
    const invited = await invite(olga, team, 'first-timer', 'member');
    expect(invited.status).toBe(201);
    expect(
      await fx.table.table.get({ PK: `USER#${githubId('first-timer')}`, SK: 'PROFILE' }),
    ).toBeUndefined();
    const newcomer = await session('first-timer');
    const pending = await myInvitations(newcomer);
    expect(pending.map((i) => [i.account.id, i.role])).toEqual([[team, 'member']]);
    expect((await newcomer(`/invitations/${pending[0]?.id ?? ''}/accept`, { method: 'POST' })).status).toBe(
      200,
    );
    expect(await members(olga, team)).toEqual([
      ['owner-olga', 'owner'],
      ['first-timer', 'member'],
    ]);
  });

  it('inviting again returns the pending invitation renewed; declining ends it', async () => {
    const olga = await session('owner-olga');
    const team = await createAccount(olga, 'Renewals');
    const dave = await session('dave');
    const first = await invite(olga, team, 'dave', 'member');
    const second = await invite(olga, team, 'dave', 'admin');
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.role).toBe('admin');
    expect(Date.parse(second.body.expiresAt)).toBeGreaterThanOrEqual(Date.parse(first.body.expiresAt));
    expect(await myInvitations(dave)).toHaveLength(1);
    expect((await dave(`/invitations/${first.body.id}/decline`, { method: 'POST' })).status).toBe(204);
    expect(await myInvitations(dave)).toEqual([]);
    expect((await dave(`/invitations/${first.body.id}/decline`, { method: 'POST' })).status).toBe(404);
    expect(await members(olga, team)).toEqual([['owner-olga', 'owner']]);
  });

  it('a renamed login resolves to the right person, and logins are refreshed on sign-in', async () => {
    const olga = await session('owner-olga');
    const team = await createAccount(olga, 'Renamed members');
    const renamer = await session('renamer');
    const renamerId = githubId('renamer');
    const joined = await invite(olga, team, 'renamer', 'member');
    expect((await renamer(`/invitations/${joined.body.id}/accept`, { method: 'POST' })).status).toBe(200);
    const other = await createAccount(olga, 'Pending for the renamer');
    await invite(olga, other, 'renamer', 'member');

    await fx.admin.renameUser('renamer', 'renamer-now');
    const taker = await fx.admin.createUser({ login: 'renamer' });
    const forTaker = await invite(olga, other, 'renamer', 'admin');
    expect(forTaker).toMatchObject({ status: 201, body: { userId: taker.id } });

    // The renamed user signs in under the new login: their items show it; only their invitation is theirs.
    const renamed = await session('renamer-now');
    expect(await members(olga, team)).toEqual([
      ['owner-olga', 'owner'],
      ['renamer-now', 'member'],
    ]);
    const theirs = await myInvitations(renamed);
    expect(theirs.map((i) => [i.userId, i.login, i.role])).toEqual([[renamerId, 'renamer-now', 'member']]);
    const takersOwn = await myInvitations(await session('renamer'));
    expect(takersOwn.map((i) => [i.userId, i.login, i.role])).toEqual([[taker.id, 'renamer', 'admin']]);
  });
});

describe('roles: who may change what', () => {
  let team: string;
  let olga: Call;
  let adam: Call;
  let mia: Call;
  let otto: Call;

  async function join(call: Call, login: string, role: string) {
    const invited = await invite(olga, team, login, role);
    expect(invited.status).toBe(201);
    expect((await call(`/invitations/${invited.body.id}/accept`, { method: 'POST' })).status).toBe(200);
  }
  const patch = (call: Call, login: string, role: string) =>
    call(`/accounts/${team}/members/${githubId(login)}`, { method: 'PATCH', json: { role } });

  beforeAll(async () => {
    for (const login of ['adam', 'mia', 'otto', 'newcomer']) await fx.admin.createUser({ login });
    olga = await session('owner-olga');
    team = await createAccount(olga, 'Roles');
    [adam, mia, otto] = [await session('adam'), await session('mia'), await session('otto')];
    await join(adam, 'adam', 'admin');
    await join(mia, 'mia', 'member');
    await join(otto, 'otto', 'owner');
    expect((await accountItem(team))?.ownerCount).toBe(2);
  });

  it('members change nothing: 403 insufficient_role, nothing written', async () => {
    const before = await tableItems(`ACCOUNT#${team}`);
    for (const [path, init] of [
      [`/accounts/${team}/members/${githubId('adam')}`, { method: 'PATCH', json: { role: 'member' } }],
      [`/accounts/${team}/members/${githubId('mia')}`, { method: 'PATCH', json: { role: 'admin' } }],
      [`/accounts/${team}/members/${githubId('adam')}`, { method: 'DELETE' }],
      [`/accounts/${team}/members`, { method: 'POST', json: { login: 'newcomer', role: 'member' } }],
      [`/accounts/${team}/invitations`, {}],
      [`/accounts/${team}`, { method: 'PATCH', json: { name: 'Mine now' } }],
      [`/accounts/${team}`, { method: 'DELETE' }],
    ] as const) {
      const response = await mia(path, init);
      expect([path, init.method, response.status]).toEqual([path, init.method, 403]);
      expect(await response.json()).toMatchObject({ error: 'insufficient_role' });
    }
    expect(await tableItems(`ACCOUNT#${team}`)).toEqual(before);
  });

  it('admins switch members and admins, but never touch or grant owner', async () => {
    const refused: Array<[string, RequestInit & { json?: unknown }]> = [
      [`/accounts/${team}/members/${githubId('mia')}`, { method: 'PATCH', json: { role: 'owner' } }],
      [`/accounts/${team}/members/${githubId('otto')}`, { method: 'PATCH', json: { role: 'admin' } }],
      [`/accounts/${team}/members/${githubId('adam')}`, { method: 'PATCH', json: { role: 'owner' } }],
      [`/accounts/${team}/members/${githubId('otto')}`, { method: 'DELETE' }],
      [`/accounts/${team}/members`, { method: 'POST', json: { login: 'newcomer', role: 'owner' } }],
      [`/accounts/${team}`, { method: 'PATCH', json: { name: 'Admin rename' } }],
      [`/accounts/${team}`, { method: 'DELETE' }],
    ];
    for (const [path, init] of refused) {
      const response = await adam(path, init);
      expect([path, init.method, response.status]).toEqual([path, init.method, 403]);
    }
    expect((await patch(adam, 'mia', 'admin')).status).toBe(200);
    expect((await patch(adam, 'mia', 'member')).status).toBe(200);
    // An owner's pending invitation is the owners' business too.
    const ownerInvite = await invite(olga, team, 'newcomer', 'owner');
    const revoke = await adam(`/accounts/${team}/invitations/${ownerInvite.body.id}`, { method: 'DELETE' });
    expect(revoke.status).toBe(403);
    const rewrite = await invite(adam, team, 'newcomer', 'member');
    expect(rewrite.status).toBe(403);
    expect(
      (await olga(`/accounts/${team}/invitations/${ownerInvite.body.id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect(
      (await olga(`/accounts/${team}/invitations/${ownerInvite.body.id}`, { method: 'DELETE' })).status,
    ).toBe(404);
    expect(await myInvitations(await session('newcomer'))).toEqual([]);
    // Admins invite admins and members, and revoke those invitations.
    const memberInvite = await invite(adam, team, 'newcomer', 'member');
    expect(memberInvite.status).toBe(201);
    expect(
      (await adam(`/accounts/${team}/invitations/${memberInvite.body.id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect((await accountItem(team))?.ownerCount).toBe(2);
  });

  it('owners transfer ownership (make an owner, step down); the last owner cannot be demoted or leave', async () => {
    expect((await patch(olga, 'adam', 'owner')).status).toBe(200);
    expect((await accountItem(team))?.ownerCount).toBe(3);
    expect((await patch(olga, 'otto', 'member')).status).toBe(200);
    expect((await patch(olga, 'owner-olga', 'admin')).status).toBe(200); // steps down
    expect((await accountItem(team))?.ownerCount).toBe(1);
    expect(await members(adam, team)).toEqual([
      ['owner-olga', 'admin'],
      ['adam', 'owner'],
      ['mia', 'member'],
      ['otto', 'member'],
    ]);
    const demote = await patch(adam, 'adam', 'admin');
    expect(demote.status).toBe(409);
    expect(await demote.json()).toMatchObject({ error: 'last_owner' });
    const leave = await adam(`/accounts/${team}/members/${githubId('adam')}`, { method: 'DELETE' });
    expect(leave.status).toBe(409);
    expect(await leave.json()).toMatchObject({ error: 'last_owner' });
    expect((await accountItem(team))?.ownerCount).toBe(1);
    // Anyone may leave.
    expect((await mia(`/accounts/${team}/members/${githubId('mia')}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect((await mia(`/accounts/${team}`)).status).toBe(404);
    // Unknown targets and roles.
    expect((await patch(adam, 'mia', 'admin')).status).toBe(404);
    expect((await patch(adam, 'otto', 'king')).status).toBe(400);
  });
});

describe('rename and delete', () => {
  it('owners rename; memberships, /me and pending invitations show the new name; bad names change nothing', async () => {
    await fx.admin.createUser({ login: 'rena' });
    await fx.admin.createUser({ login: 'pending-pat' });
    const olga = await session('owner-olga');
    const rena = await session('rena');
    const team = await createAccount(olga, 'Old name');
    const joined = await invite(olga, team, 'rena', 'member');
    await rena(`/invitations/${joined.body.id}/accept`, { method: 'POST' });
    await invite(olga, team, 'pending-pat', 'member');

    const before = await accountItem(team);
    const bad = await olga(`/accounts/${team}`, { method: 'PATCH', json: { name: 'Evil\u202Eeman' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_name' });
    expect(await accountItem(team)).toEqual(before);

    const renamed = await olga(`/accounts/${team}`, { method: 'PATCH', json: { name: '  New name  ' } });
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toMatchObject({ id: team, name: 'New name', role: 'owner' });
    const names = async (call: Call) =>
      ((await (await call('/me')).json()) as { accounts: Array<{ id: string; name: string }> }).accounts
        .filter((a) => a.id === team)
        .map((a) => a.name);
    expect(await names(olga)).toEqual(['New name']);
    expect(await names(rena)).toEqual(['New name']);
    const accountsList = (await (await rena('/accounts')).json()) as {
      accounts: Array<{ id: string; name: string }>;
    };
    expect(accountsList.accounts.find((a) => a.id === team)?.name).toBe('New name');
    const pending = await myInvitations(await session('pending-pat'));
    expect(pending.map((i) => i.account.name)).toEqual(['New name']);
  });

  it('HTML in a name is stored and comes back as JSON string data only', async () => {
    const olga = await session('owner-olga');
    const name = '<img src=x onerror=alert(1)> & "co"';
    const response = await olga('/accounts', { method: 'POST', json: { name } });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(((await response.json()) as { name: string }).name).toBe(name);
  });

  it('owners delete: links, invitations and memberships go, GitHub is not called', async () => {
    await fx.admin.createUser({ login: 'del-member' });
    await fx.admin.createUser({ login: 'del-invitee' });
    const installation = (
      await fx.admin.install({ appId: Number(fx.secrets.githubApp.appId), account: 'owner-olga' })
    ).installation.id;
    const olga = await session('owner-olga');
    const member = await session('del-member');
    const invitee = await session('del-invitee');
    const team = await createAccount(olga, 'Doomed');
    expect((await olga(`/accounts/${team}/installations/${installation}`, { method: 'PUT' })).status).toBe(
      201,
    );
    const joined = await invite(olga, team, 'del-member', 'admin');
    await member(`/invitations/${joined.body.id}/accept`, { method: 'POST' });
    await invite(olga, team, 'del-invitee', 'member');
    expect((await tableItems(`ACCOUNT#${team}`)).length).toBe(5); // META, 2 members, link, invitation

    const byAdmin = await member(`/accounts/${team}`, { method: 'DELETE' });
    expect(byAdmin.status).toBe(403);
    await fx.admin.clearCalls();
    expect((await olga(`/accounts/${team}`, { method: 'DELETE' })).status).toBe(204);
    expect(await fx.admin.calls()).toEqual([]);
    expect(await tableItems(`ACCOUNT#${team}`)).toEqual([]);
    expect((await olga(`/accounts/${team}`)).status).toBe(404);
    expect(await myInvitations(invitee)).toEqual([]);
    const listed = (await (await member('/accounts')).json()) as { accounts: Array<{ id: string }> };
    expect(listed.accounts.map((a) => a.id)).not.toContain(team);
    const { InstallationStore } = await import('../../functions/shared/store/installation-store.js');
    const linked = await new InstallationStore(fx.table.table).accountsOfInstallation(installation);
    expect(linked.map((link) => link.accountId)).not.toContain(team);
    expect((await olga(`/accounts/${team}`, { method: 'DELETE' })).status).toBe(404);
  });
});
