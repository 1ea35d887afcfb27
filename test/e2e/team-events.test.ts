import { randomUUID } from 'node:crypto';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import type { DomainEvent } from '../../functions/shared/events/domain-event.js';
import { validOutboxEvents } from '../support/outbox.js';
import { api, signIn, startInstall, startService, type ServiceFixture } from '../support/service.js';

/**
 * Issue #24, the events of what people do through the API (docs/events.md "Which change emits what: what people do through the API"):
 * each change writes exactly its events, in its own transaction, once; a refused or failed request and
 * a replay write none. Through the whole service: DynamoDB Local behind a fault proxy, the emulator.
 */
let fx: ServiceFixture;
type Call = ReturnType<typeof api>;
const sessions: Record<string, Call> = {};
const ids: Record<string, number> = {};
let octo: number;
const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem'];

beforeAll(async () => {
  fx = await startService({ dynamoFaults: true });
  for (const login of ['alice', 'bob', 'carol']) ids[login] = (await fx.admin.createUser({ login })).id;
  await fx.admin.createUser({ login: 'octo-org', type: 'Organization', admins: ['alice'], members: ['bob'] });
  await fx.admin.createRepositories('octo-org', { names: ['app-one'], files: { 'README.md': '# app\n' } });
  octo = (await fx.admin.install({ appId: Number(fx.secrets.githubApp.appId), account: 'octo-org' }))
    .installation.id;
  for (const login of ['alice', 'bob', 'carol']) sessions[login] = api(fx, await signIn(fx, login));
});
afterAll(() => fx?.close());
afterEach(() => fx.dynamo?.clear());

const as = (login: string) => sessions[login] as Call;
const user = (login: string) => ({ type: 'user', userId: ids[login], login });

/**
 * Runs `request` and answers the response with the events it added to the outbox (each checked against
 * its published schema), oldest first.
 */
async function emitted(
  request: () => Promise<Response>,
): Promise<{ response: Response; events: DomainEvent[] }> {
  const before = new Set((await validOutboxEvents(fx.table)).map((event) => event.detail.eventId));
  const response = await request();
  const events = (await validOutboxEvents(fx.table)).filter((event) => !before.has(event.detail.eventId));
  return { response, events };
}

/** The one event a response's request wrote: its type, accounts, actor and correlation id checked. */
function only(
  { response, events }: { response: Response; events: DomainEvent[] },
  type: string,
  accountId: string,
  actor: string,
): Record<string, unknown> {
  expect(events.map((event) => event.type)).toEqual([type]);
  const [event] = events;
  const requestId = response.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  expect(event?.detail).toMatchObject({
    platformAccountIds: [accountId],
    actor: user(actor),
    correlationId: requestId,
  });
  return event?.detail as Record<string, unknown>;
}

async function createAccount(login: string, name: string): Promise<string> {
  const response = await as(login)('/accounts', { method: 'POST', json: { name } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

async function invite(accountId: string, login: string, role = 'member'): Promise<string> {
  const response = await as('alice')(`/accounts/${accountId}/members`, {
    method: 'POST',
    json: { login, role },
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

describe('account events', () => {
  it('created, renamed, deleted: each once, to the account, by the owner, with the request id', async () => {
    const created = await emitted(() =>
      as('alice')('/accounts', { method: 'POST', json: { name: 'Team A' } }),
    );
    expect(created.response.status).toBe(201);
    const { id } = (await created.response.clone().json()) as { id: string };
    expect(only(created, 'account.created', id, 'alice')).toMatchObject({ account: { id, name: 'Team A' } });

    const renamed = await emitted(() =>
      as('alice')(`/accounts/${id}`, { method: 'PATCH', json: { name: 'Team Alpha' } }),
    );
    expect(renamed.response.status).toBe(200);
    expect(only(renamed, 'account.renamed', id, 'alice')).toMatchObject({
      account: { id, name: 'Team Alpha' },
      previousName: 'Team A',
    });
    // The same name again changes nothing: no event.
    const same = await emitted(() =>
      as('alice')(`/accounts/${id}`, { method: 'PATCH', json: { name: 'Team Alpha' } }),
    );
    expect(same.response.status).toBe(200);
    expect(same.events).toEqual([]);

    const deleted = await emitted(() => as('alice')(`/accounts/${id}`, { method: 'DELETE' }));
    expect(deleted.response.status).toBe(204);
    expect(only(deleted, 'account.deleted', id, 'alice')).toMatchObject({
      account: { id, name: 'Team Alpha' },
    });
  });
});

describe('member events', () => {
  it('invited, joined, role_changed, left, removed, declined: each once, by whom did it', async () => {
    const team = await createAccount('alice', 'Members');
    const account = { id: team, name: 'Members' };

    const invited = await emitted(() =>
      as('alice')(`/accounts/${team}/members`, { method: 'POST', json: { login: 'bob', role: 'admin' } }),
    );
    expect(invited.response.status).toBe(201);
    const invitation = (await invited.response.clone().json()) as { id: string; expiresAt: string };
    expect(only(invited, 'member.invited', team, 'alice')).toMatchObject({
      account,
      invitee: { id: ids.bob, login: 'bob' },
      role: 'admin',
      expiresAt: invitation.expiresAt,
    });

    const joined = await emitted(() => as('bob')(`/invitations/${invitation.id}/accept`, { method: 'POST' }));
    expect(joined.response.status).toBe(200);
    expect(only(joined, 'member.joined', team, 'bob')).toMatchObject({
      account,
      member: { id: ids.bob, login: 'bob' },
      role: 'admin',
    });

    const changed = await emitted(() =>
      as('alice')(`/accounts/${team}/members/${ids.bob}`, { method: 'PATCH', json: { role: 'member' } }),
    );
    expect(changed.response.status).toBe(200);
    expect(only(changed, 'member.role_changed', team, 'alice')).toMatchObject({
      account,
      member: { id: ids.bob, login: 'bob' },
      role: 'member',
      previousRole: 'admin',
    });
    // The role it already has: nothing changes, no event.
    const unchanged = await emitted(() =>
      as('alice')(`/accounts/${team}/members/${ids.bob}`, { method: 'PATCH', json: { role: 'member' } }),
    );
    expect(unchanged.response.status).toBe(200);
    expect(unchanged.events).toEqual([]);

    const left = await emitted(() => as('bob')(`/accounts/${team}/members/${ids.bob}`, { method: 'DELETE' }));
    expect(left.response.status).toBe(204);
    expect(only(left, 'member.left', team, 'bob')).toMatchObject({
      account,
      member: { id: ids.bob, login: 'bob' },
    });

    const again = await invite(team, 'bob');
    expect((await as('bob')(`/invitations/${again}/accept`, { method: 'POST' })).status).toBe(200);
    const removed = await emitted(() =>
      as('alice')(`/accounts/${team}/members/${ids.bob}`, { method: 'DELETE' }),
    );
    expect(removed.response.status).toBe(204);
    expect(only(removed, 'member.removed', team, 'alice')).toMatchObject({
      account,
      member: { id: ids.bob, login: 'bob' },
    });

    const carols = await invite(team, 'carol');
    const declined = await emitted(() => as('carol')(`/invitations/${carols}/decline`, { method: 'POST' }));
    expect(declined.response.status).toBe(204);
    expect(only(declined, 'member.declined', team, 'carol')).toMatchObject({
      account,
      invitee: { id: ids.carol, login: 'carol' },
    });
    // Declined already: 404, nothing more.
    const twice = await emitted(() => as('carol')(`/invitations/${carols}/decline`, { method: 'POST' }));
    expect(twice.response.status).toBe(404);
    expect(twice.events).toEqual([]);
  });
});

describe('installation events', () => {
  it('linked and unlinked: the linking team’s events, once (linking or unlinking again writes none)', async () => {
    const team = await createAccount('alice', 'Linkers');
    const installation = { id: octo, accountLogin: 'octo-org', accountType: 'Organization' };
    const link = () => as('alice')(`/accounts/${team}/installations/${octo}`, { method: 'PUT' });
    const linked = await emitted(link);
    expect(linked.response.status).toBe(201);
    expect(only(linked, 'installation.linked', team, 'alice')).toMatchObject({
      account: { id: team, name: 'Linkers' },
      installation,
    });
    const relinked = await emitted(link);
    expect(relinked.response.status).toBe(200);
    expect(relinked.events).toEqual([]);
    // Another team links the same installation: its own event, to it alone.
    const other = await createAccount('alice', 'Linkers B');
    const shared = await emitted(() =>
      as('alice')(`/accounts/${other}/installations/${octo}`, { method: 'PUT' }),
    );
    expect(shared.response.status).toBe(201);
    expect(only(shared, 'installation.linked', other, 'alice')).toMatchObject({
      account: { id: other, name: 'Linkers B' },
      installation,
    });

    const unlink = () => as('alice')(`/accounts/${team}/installations/${octo}`, { method: 'DELETE' });
    const unlinked = await emitted(unlink);
    expect(unlinked.response.status).toBe(204);
    expect(only(unlinked, 'installation.unlinked', team, 'alice')).toMatchObject({
      account: { id: team, name: 'Linkers' },
      installation,
    });
    const again = await emitted(unlink);
    expect(again.response.status).toBe(204);
    expect(again.events).toEqual([]);
  });
});

describe('installation events through the install flow', () => {
  it('installing the App from an account links it: installation.linked, correlated with the callback', async () => {
    const team = await createAccount('alice', 'Installers');
    await fx.admin.createUser({ login: 'new-org', type: 'Organization', admins: ['alice'] });
    const signedIn = await signIn(fx, 'alice');
    const listed = await api(fx, signedIn)(`/accounts/${team}/installations`);
    const { installUrl } = (await listed.json()) as { installUrl: string };
    const { githubUrl, cookie } = await startInstall(signedIn, installUrl);
    githubUrl.searchParams.set('login', 'alice');
    githubUrl.searchParams.set('target', 'new-org');
    const github = await fetch(githubUrl, { redirect: 'manual' });
    const callback = new URL(github.headers.get('location') ?? '');
    const back = await emitted(() => fetch(callback, { redirect: 'manual', headers: { cookie } }));
    expect(back.response.status).toBe(302);
    const landed = new URL(back.response.headers.get('location') ?? '');
    expect(landed.searchParams.get('linked')).toBe('true');
    const id = Number(landed.searchParams.get('installation_id'));
    expect(only(back, 'installation.linked', team, 'alice')).toMatchObject({
      account: { id: team, name: 'Installers' },
      installation: { id, accountLogin: 'new-org', accountType: 'Organization' },
    });
  });
});

describe('repository events', () => {
  let team: string;
  beforeAll(async () => {
    team = await createAccount('alice', 'Builders');
    expect((await as('alice')(`/accounts/${team}/installations/${octo}`, { method: 'PUT' })).status).toBe(
      201,
    );
  });

  it('created: once, with GitHub’s repository id; the same request again answers from the record, no event', async () => {
    const body = {
      installationId: octo,
      name: 'made-here',
      private: true,
      files: [{ path: 'a.txt', content: 'a\n' }],
    };
    const create = () => as('alice')(`/accounts/${team}/repositories`, { method: 'POST', json: body });
    const created = await emitted(create);
    expect(created.response.status).toBe(201);
    const repo = fx.emulator.world.repository('octo-org', 'made-here');
    expect(only(created, 'repository.created', team, 'alice')).toMatchObject({
      repository: { id: repo?.id, owner: 'octo-org', name: 'made-here', installationId: octo },
      private: true,
      defaultBranch: 'main',
    });
    const repeated = await emitted(create);
    expect(repeated.response.status).toBe(201);
    expect(repeated.events).toEqual([]);
  });

  it('committed: once per commit, even when a retry finds its own commit (and writes it if missing)', async () => {
    const path = `/accounts/${team}/repositories/octo-org/app-one/commits`;
    const head = fx.emulator.world.repository('octo-org', 'app-one');
    expect(head).toBeDefined();
    const body = {
      branch: 'main',
      message: 'Add notes',
      files: [
        { path: 'notes.md', content: 'hi\n', encoding: 'utf-8' },
        { path: 'b.md', content: 'b\n', encoding: 'utf-8' },
      ],
      deletions: ['README.md'],
    };
    const commit = () => as('alice')(path, { method: 'POST', json: body });
    const first = await emitted(commit);
    expect(first.response.status).toBe(201);
    const { sha } = (await first.response.clone().json()) as { sha: string };
    const detail = only(first, 'repository.committed', team, 'alice');
    expect(detail).toMatchObject({
      repository: { id: head?.id, owner: 'octo-org', name: 'app-one', installationId: octo },
      branch: 'main',
      sha,
      fileCount: 3,
    });
    expect(detail.parentSha).toMatch(/^[0-9a-f]{40}$/);

    // The client retries (its answer lost): the retry recognises its own commit, and reports nothing new.
    const retried = await emitted(commit);
    expect(retried.response.status).toBe(201);
    expect(((await retried.response.clone().json()) as { sha: string }).sha).toBe(sha);
    expect(retried.events).toEqual([]);

    // Had the first attempt's event write failed, the retry writes it, with the same id.
    const eventId = String(detail.eventId);
    await fx.table.raw.send(
      new DeleteItemCommand({
        TableName: fx.table.tableName,
        Key: { PK: { S: `EVENT#${eventId}` }, SK: { S: 'EVENT' } },
      }),
    );
    const repaired = await emitted(commit);
    expect(repaired.response.status).toBe(201);
    expect(repaired.events.map((event) => [event.type, event.detail.eventId])).toEqual([
      ['repository.committed', eventId],
    ]);
    expect(repaired.events[0]?.detail.correlationId).toBe(repaired.response.headers.get('x-request-id'));
  });

  it('a commit whose event write fails answers 5xx; the retry reports the commit once', async () => {
    const path = `/accounts/${team}/repositories/octo-org/app-one/commits`;
    const body = {
      branch: 'faulty',
      baseBranch: 'main',
      message: 'On a fault',
      files: [{ path: 'f.md', content: 'f\n', encoding: 'utf-8' }],
    };
    fx.dynamo?.inject({ operations: ['TransactWriteItems'], mode: 'fail', count: Infinity });
    const failed = await emitted(() => as('alice')(path, { method: 'POST', json: body }));
    fx.dynamo?.clear();
    expect(failed.response.status).toBeGreaterThanOrEqual(500);
    expect(failed.events).toEqual([]);
    const retried = await emitted(() => as('alice')(path, { method: 'POST', json: body }));
    expect(retried.response.status).toBe(201);
    const { sha } = (await retried.response.clone().json()) as { sha: string };
    expect(only(retried, 'repository.committed', team, 'alice')).toMatchObject({
      branch: 'faulty',
      sha,
      fileCount: 1,
    });
  });
});

describe('no event without its change', () => {
  let team: string;
  beforeAll(async () => {
    team = await createAccount('alice', 'Refusals');
    const bobs = await invite(team, 'bob');
    expect((await as('bob')(`/invitations/${bobs}/accept`, { method: 'POST' })).status).toBe(200);
  });

  it('refused requests (403, 404, 409) write none (422: below, with Idempotency-Key)', async () => {
    const refusals: Array<[number, () => Promise<Response>]> = [
      // A member may not change roles.
      [
        403,
        () =>
          as('bob')(`/accounts/${team}/members/${ids.alice}`, { method: 'PATCH', json: { role: 'member' } }),
      ],
      // Not a member: the account is not found.
      [404, () => as('carol')(`/accounts/${team}`, { method: 'PATCH', json: { name: 'Taken over' } })],
      [404, () => as('carol')(`/accounts/${team}/installations/${octo}`, { method: 'PUT' })],
      // The last owner cannot leave.
      [409, () => as('alice')(`/accounts/${team}/members/${ids.alice}`, { method: 'DELETE' })],
      // Already a member.
      [
        409,
        () =>
          as('alice')(`/accounts/${team}/members`, {
            method: 'POST',
            json: { login: 'bob', role: 'member' },
          }),
      ],
    ];
    for (const [status, request] of refusals) {
      const { response, events } = await emitted(request);
      expect(response.status).toBe(status);
      expect(events).toEqual([]);
    }
  });

  it('a request failing on a DynamoDB fault writes none (and its change is not made either)', async () => {
    const linked = await createAccount('alice', 'Linked');
    expect((await as('alice')(`/accounts/${linked}/installations/${octo}`, { method: 'PUT' })).status).toBe(
      201,
    );
    const carols = await invite(team, 'carol');
    const requests: Array<() => Promise<Response>> = [
      () => as('alice')('/accounts', { method: 'POST', json: { name: 'Never' } }),
      () => as('alice')(`/accounts/${team}`, { method: 'PATCH', json: { name: 'Never renamed' } }),
      () => as('alice')(`/accounts/${team}/members/${ids.bob}`, { method: 'PATCH', json: { role: 'admin' } }),
      () =>
        as('alice')(`/accounts/${team}/members`, {
          method: 'POST',
          json: { login: 'carol', role: 'member' },
        }),
      () => as('alice')(`/accounts/${team}/installations/${octo}`, { method: 'PUT' }),
      () => as('alice')(`/accounts/${linked}/installations/${octo}`, { method: 'DELETE' }),
      () => as('alice')(`/accounts/${team}/members/${ids.bob}`, { method: 'DELETE' }),
      () => as('bob')(`/accounts/${team}/members/${ids.bob}`, { method: 'DELETE' }),
      () => as('carol')(`/invitations/${carols}/accept`, { method: 'POST' }),
      () => as('carol')(`/invitations/${carols}/decline`, { method: 'POST' }),
      () =>
        as('alice')(`/accounts/${linked}/repositories`, {
          method: 'POST',
          json: { installationId: octo, name: 'never-recorded' },
        }),
      () => as('alice')(`/accounts/${team}`, { method: 'DELETE' }),
    ];
    for (const request of requests) {
      fx.dynamo?.inject({ operations: WRITES, mode: 'fail', count: Infinity });
      const { response, events } = await emitted(request);
      fx.dynamo?.clear();
      expect(response.status).toBeGreaterThanOrEqual(500);
      expect(events).toEqual([]);
    }
    const account = (await (await as('alice')(`/accounts/${team}`)).json()) as {
      name: string;
      members: Array<{ login: string; role: string }>;
    };
    expect(account.name).toBe('Refusals');
    expect(account.members.map((member) => member.login).sort()).toEqual(['alice', 'bob']);
    expect(account.members).toEqual(
      expect.arrayContaining([expect.objectContaining({ login: 'bob', role: 'member' })]),
    );
  });

  it('an Idempotency-Key replay writes none', async () => {
    const key = randomUUID();
    const create = () =>
      as('alice')('/accounts', {
        method: 'POST',
        json: { name: 'Once' },
        headers: { 'Idempotency-Key': key },
      });
    const first = await emitted(create);
    expect(first.response.status).toBe(201);
    const { id } = (await first.response.clone().json()) as { id: string };
    only(first, 'account.created', id, 'alice');
    const replay = await emitted(create);
    expect(replay.response.status).toBe(201);
    expect(((await replay.response.json()) as { id: string }).id).toBe(id);
    expect(replay.events).toEqual([]);
    // The same key with another body: 422, nothing written.
    const reused = await emitted(() =>
      as('alice')('/accounts', {
        method: 'POST',
        json: { name: 'Other' },
        headers: { 'Idempotency-Key': key },
      }),
    );
    expect(reused.response.status).toBe(422);
    expect(reused.events).toEqual([]);
  });
});
