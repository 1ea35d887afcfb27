import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

let fx: ServiceFixture;

beforeAll(async () => {
  fx = await startService();
  for (const login of ['owner-olga', 'alice', 'carol', 'never-seen']) await fx.admin.createUser({ login });
});
afterAll(() => fx.close());

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
