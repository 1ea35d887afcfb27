/**
 * Issue #22 finding 5, "no abuse limits": one account sent 25 invitations, and one user created 10+
 * accounts with lure names all inviting one victim, who then had 11 pending invitations. Replayed
 * through the real handlers, DynamoDB Local and the GitHub emulator, with the production defaults
 * (docs/security.md "Abuse limits"): every refusal is 429 `too_many_requests` with Retry-After and
 * writes nothing; concurrent requests see exactly the limit pass.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { setAbuseLimitClockForTests } from '../../functions/shared/limits/abuse-limits.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

let fx: ServiceFixture;

beforeAll(async () => {
  fx = await startService({ productionLimits: true });
});
afterAll(async () => {
  setAbuseLimitClockForTests();
  await fx.close();
});

/**
 * Each test runs the limits' clock from 1 s into a fresh hour (so a fresh minute too), advancing in
 * real time: no burst here straddles two windows, whenever the suite runs. Tests use users of their own.
 */
let clockBase = 0;
let clockShift = 0;
beforeEach(() => {
  const now = Date.now();
  clockBase = now - (now % 3_600_000) + 3_600_000 + 1000;
  clockShift = 0;
  const started = now;
  setAbuseLimitClockForTests(() => clockBase + clockShift + (Date.now() - started));
});

type Call = ReturnType<typeof api>;

async function users(...logins: string[]): Promise<void> {
  for (const login of logins) await fx.admin.createUser({ login });
}

async function session(login: string): Promise<Call> {
  const signedIn = await signIn(fx, login);
  if (!signedIn.sessionId) throw new Error(`${login} was not signed in: ${signedIn.location}`);
  return api(fx, signedIn);
}

const githubId = (login: string) => fx.emulator.world.accountByLogin(login)?.id ?? 0;

async function invite(call: Call, accountId: string, login: string, role = 'member') {
  const response = await call(`/accounts/${accountId}/members`, { method: 'POST', json: { login, role } });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as { id?: string; error?: string; message?: string },
  };
}

async function items(prefix: string) {
  const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
  return Items.filter((item) => item.PK?.S?.startsWith(prefix));
}

const invitationsOf = async (accountId: string) =>
  (await items(`ACCOUNT#${accountId}`)).filter((item) => item.SK?.S?.startsWith('INVITE#'));

/** A 429 from an abuse limit: the error shape, and Retry-After in whole seconds within the window. */
function expectLimited(answer: { status: number; retryAfter: string | null; body: unknown }, window: number) {
  expect(answer.status).toBe(429);
  expect(answer.body).toEqual({ error: 'too_many_requests', message: expect.any(String) as string });
  expect(answer.retryAfter).toMatch(/^[1-9][0-9]*$/);
  expect(Number(answer.retryAfter)).toBeLessThanOrEqual(window);
}

describe('abuse limits (issue #22 finding 5)', () => {
  it('one user sends 25 invitations from one account: 20 land, the other 5 are 429 and write nothing', async () => {
    const invitees = Array.from({ length: 25 }, (_, i) => `spam-target-${i + 1}`);
    await users('spammer', ...invitees);
    const spammer = await session('spammer');
    const created = await spammer('/accounts', { method: 'POST', json: { name: 'Spam Co' } });
    const account = ((await created.json()) as { id: string }).id;

    const answers = [];
    for (const login of invitees) answers.push(await invite(spammer, account, login));
    expect(answers.map((answer) => answer.status)).toEqual([...Array(20).fill(201), ...Array(5).fill(429)]);
    for (const refused of answers.slice(20)) expectLimited(refused, 3600);

    const written = (await invitationsOf(account)).map((item) => item.SK?.S);
    expect(written).toHaveLength(20);
    for (const login of invitees.slice(20)) expect(written).not.toContain(`INVITE#${githubId(login)}`);
  });

  it('one user creating lure accounts to invite one victim: 10 of 12 created at once, the victim sees 10 invitations, not 11', async () => {
    await users('lure-lord', 'lure-victim');
    const lord = await session('lure-lord');
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        lord('/accounts', {
          method: 'POST',
          json: { name: `Security notice: visit evil.example (${i + 1})` },
        }).then(async (response) => ({
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: (await response.json()) as { id?: string; error?: string },
        })),
      ),
    );
    const created = answers.filter((answer) => answer.status === 201);
    expect(created).toHaveLength(10);
    for (const refused of answers.filter((answer) => answer.status !== 201)) expectLimited(refused, 3600);
    const metas = (await items('ACCOUNT#')).filter(
      (item) => item.SK?.S === 'META' && item.createdBy?.N === String(githubId('lure-lord')),
    );
    expect(metas).toHaveLength(10);

    for (const { body } of created)
      expect((await invite(lord, body.id ?? '', 'lure-victim')).status).toBe(201);
    const victim = await session('lure-victim');
    const pending = (await (await victim('/me/invitations')).json()) as { invitations: unknown[] };
    expect(pending.invitations).toHaveLength(10);
  });

  it('an account’s pending invitations stop at exactly 50 when its admins invite at once; a refusal costs the sender nothing', async () => {
    const invitees = Array.from({ length: 56 }, (_, i) => `cap-target-${i + 1}`);
    await users('cap-owner', 'cap-admin-1', 'cap-admin-2', ...invitees);
    const owner = await session('cap-owner');
    const account = (
      (await (await owner('/accounts', { method: 'POST', json: { name: 'Capped' } })).json()) as {
        id: string;
      }
    ).id;
    const admins: Call[] = [];
    for (const login of ['cap-admin-1', 'cap-admin-2']) {
      const invited = await invite(owner, account, login, 'admin');
      const admin = await session(login);
      expect((await admin(`/invitations/${invited.body.id}/accept`, { method: 'POST' })).status).toBe(200);
      admins.push(admin);
    }
    const [first, second] = admins as [Call, Call];
    // 46 pending, sent within each sender's 20 an hour: the owner 18 (after the two admins), the admins 20 and 8.
    const senders: Array<[Call, number]> = [
      [owner, 18],
      [first, 20],
      [second, 8],
    ];
    let next = 0;
    for (const [call, n] of senders)
      for (let i = 0; i < n; i++)
        expect((await invite(call, account, invitees[next++] ?? '')).status).toBe(201);
    expect(await invitationsOf(account)).toHaveLength(46);

    const burst = await Promise.all(invitees.slice(46, 54).map((login) => invite(second, account, login)));
    expect(burst.filter((answer) => answer.status === 201)).toHaveLength(4);
    for (const refused of burst.filter((answer) => answer.status !== 201)) {
      expectLimited(refused, 7 * 86_400);
      expect(refused.body.message).toMatch(/50 pending invitations/);
    }
    expect(await invitationsOf(account)).toHaveLength(50);

    // Revoking one frees a place at once; renewing a pending one is allowed at the cap.
    const listed = (await (await owner(`/accounts/${account}/invitations`)).json()) as {
      invitations: Array<{ id: string; login: string }>;
    };
    const [revoked, renewed] = listed.invitations;
    expect(
      (await owner(`/accounts/${account}/invitations/${revoked?.id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect((await invite(second, account, renewed?.login ?? '')).status).toBe(200);
    expect((await invite(second, account, invitees[54] ?? '')).status).toBe(201);
    expect((await invite(second, account, invitees[55] ?? '')).status).toBe(429);
    // The second admin's hour counts what they sent: 8 + 4 + the renewal + 1 = 14; the 5 refusals, nothing.
    const windows = await items(`LIMIT#invitations#${githubId('cap-admin-2')}`);
    expect(windows.map((item) => item.hits?.N)).toEqual(['14']);
  });

  it('signing in more than 10 times a minute: the callback sends the browser back with auth_error=too_many_requests, no session', async () => {
    await users('eager-eve');
    const sessionsOf = async () =>
      (await items('SESSION#')).filter((item) => item.GSI1PK?.S === `USER#${githubId('eager-eve')}`);
    for (let i = 0; i < 10; i++) {
      const signedIn = await signIn(fx, 'eager-eve');
      expect([signedIn.status, new URL(signedIn.location).searchParams.get('auth_error')]).toEqual([
        302,
        null,
      ]);
      expect(signedIn.sessionId).toBeDefined();
    }
    expect(await sessionsOf()).toHaveLength(10);

    const refused = await signIn(fx, 'eager-eve');
    expect(refused.status).toBe(302);
    expect(new URL(refused.location).searchParams.get('auth_error')).toBe('too_many_requests');
    expect(refused.sessionId).toBeUndefined();
    expect(await sessionsOf()).toHaveLength(10);

    // The next minute starts empty: the refusal did not push the window further out.
    clockShift += 60_000;
    const again = await signIn(fx, 'eager-eve');
    expect(again.sessionId).toBeDefined();
    expect(await sessionsOf()).toHaveLength(11);
  });
});
