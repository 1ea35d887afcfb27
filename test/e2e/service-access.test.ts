import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { handler as recordActivity, resetActivityLogForTests } from '../../functions/activity-log/handler.js';
import { resetConfigForTests } from '../../functions/shared/config.js';
import type { DomainEvent } from '../../functions/shared/events/domain-event.js';
import { resetServicesForTests } from '../../functions/shared/services.js';
import { keys } from '../../functions/shared/store/keys.js';
import { ServiceAccessStore } from '../../functions/shared/store/service-access-store.js';
import { runAs } from '../../local/access-guard.js';
import { lambdaContext } from '../../local/api-event.js';
import { startEventStreamReader, type EventStreamReader } from '../../local/event-stream.js';
import { validOutboxEvents } from '../support/outbox.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * Issue #25, service access policies (docs/token-vending.md "Service access policies"): the grants account
 * owners give platform back-ends, through the whole service (DynamoDB Local with its stream, the
 * emulator, the local API server): the four routes, who may call them, every refusal changing nothing,
 * the account's repository scope, the events in the activity log, Idempotency-Key.
 */
let fx: ServiceFixture;
let dir: string;
type Call = ReturnType<typeof api>;
const as: Record<string, Call> = {};
const ids: Record<string, number> = {};
const installations: Record<string, number> = {};
let team: string;

const ROLE = 'arn:aws:iam::123456789012:role/builder';

type Policy = {
  id: string;
  principal: string;
  repositories: string[];
  permissions: Record<string, string>;
  maxLifetimeMinutes: number | null;
  createdBy: number;
  createdAt: string;
  updatedAt: string;
};
type ErrorBody = { error: string; message: string };

async function ok<T>(response: Promise<Response>, status: number): Promise<T> {
  const answer = await response;
  const text = await answer.text();
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

async function refused(response: Promise<Response>, status: number, error: string): Promise<string> {
  const body = await ok<ErrorBody>(response, status);
  expect(body.error).toBe(error);
  return body.message;
}

async function createAccount(name: string): Promise<string> {
  return (await ok<{ id: string }>((as.olga as Call)('/accounts', { method: 'POST', json: { name } }), 201))
    .id;
}

async function addMember(accountId: string, login: string, role: 'admin' | 'member') {
  const owner = as.olga as Call;
  const invitation = await ok<{ id: string }>(
    owner(`/accounts/${accountId}/members`, { method: 'POST', json: { login, role } }),
    201,
  );
  await ok((as[login] as Call)(`/invitations/${invitation.id}/accept`, { method: 'POST' }), 200);
}

async function link(accountId: string, org: string) {
  await ok(
    (as.olga as Call)(`/accounts/${accountId}/installations/${installations[org]}`, { method: 'PUT' }),
    201,
  );
}

/** A link's repository scope, written as the link route stores it: on the link and on its twin. */
async function setScope(
  accountId: string,
  org: string,
  scope: { repositories: string[]; patterns: string[] },
) {
  const installationId = installations[org] ?? 0;
  for (const key of [keys.link(accountId, installationId), keys.installationLink(installationId, accountId)])
    await fx.table.table.update(key, {
      expression: 'SET #scope = :scope',
      names: { '#scope': 'scope' },
      values: { ':scope': scope },
    });
}

const policies = (accountId: string) => new ServiceAccessStore(fx.table.table).list(accountId);
const storedCount = async (accountId: string) =>
  Number((await fx.table.table.get(keys.account(accountId)))?.serviceAccessCount ?? 0);
const eventIds = async () =>
  new Set((await validOutboxEvents(fx.table)).map((event) => event.detail.eventId));

/** What a request wrote: the policies of the account and the events, before and after. */
async function writesOf(accountId: string, request: () => Promise<unknown>) {
  const [policiesBefore, eventsBefore, countBefore] = await Promise.all([
    policies(accountId),
    eventIds(),
    storedCount(accountId),
  ]);
  await request();
  const events = (await validOutboxEvents(fx.table)).filter(
    (event) => !eventsBefore.has(event.detail.eventId),
  );
  return {
    events,
    policies: { before: policiesBefore, after: await policies(accountId) },
    countBefore,
    countAfter: await storedCount(accountId),
  };
}

/** A request that must change nothing: same policies, same count, no event. */
async function changesNothing(accountId: string, request: () => Promise<unknown>) {
  const writes = await writesOf(accountId, request);
  expect(writes.events).toEqual([]);
  expect(writes.policies.after).toEqual(writes.policies.before);
  expect(writes.countAfter).toBe(writes.countBefore);
}

const grant = (body: Record<string, unknown>, accountId = team, login = 'olga') =>
  (as[login] as Call)(`/accounts/${accountId}/service-access`, { method: 'POST', json: body });

const valid = {
  principal: ROLE,
  repositories: ['octo-org/API', 'octo-org/web', 'octo-org/api'],
  permissions: { statuses: 'write', contents: 'read' },
};

beforeAll(async () => {
  fx = await startService({ stream: true });
  dir = mkdtempSync(join(tmpdir(), 'service-access-'));
  for (const login of ['olga', 'adam', 'mia', 'otto']) ids[login] = (await fx.admin.createUser({ login })).id;
  const appId = Number(fx.secrets.githubApp.appId);
  // Olga owns three organisations on GitHub; her team links two of them, one narrowed by a scope.
  for (const org of ['octo-org', 'side-org', 'far-org']) {
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['olga'] });
    installations[org] = (await fx.admin.install({ appId, account: org })).installation.id;
  }
  for (const login of ['olga', 'adam', 'mia', 'otto']) as[login] = api(fx, await signIn(fx, login));
  team = await createAccount('Builders');
  await link(team, 'octo-org');
  await link(team, 'side-org');
  await setScope(team, 'side-org', { repositories: ['api'], patterns: ['team-a-*'] });
  await addMember(team, 'adam', 'admin');
  await addMember(team, 'mia', 'member');
});
afterAll(async () => {
  await fx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('owners grant, list, change and revoke', () => {
  it('a policy is created (names lower-cased, deduplicated, sorted), listed, changed and deleted, each with its event', async () => {
    const created = await writesOf(team, async () => {
      const policy = await ok<Policy>(grant(valid), 201);
      expect(policy).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{20}$/),
        principal: ROLE,
        repositories: ['octo-org/api', 'octo-org/web'],
        permissions: { contents: 'read', statuses: 'write' },
        maxLifetimeMinutes: null,
        createdBy: ids.olga,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    });
    expect(created.countAfter).toBe(created.countBefore + 1);
    expect(created.events.map((event) => event.type)).toEqual(['service_access.granted']);
    const [policy] = created.policies.after;
    if (!policy) throw new Error('no policy stored');
    expect(created.events[0]?.detail).toMatchObject({
      platformAccountIds: [team],
      actor: { type: 'user', userId: ids.olga, login: 'olga' },
      account: { id: team, name: 'Builders' },
      policy: {
        id: policy.id,
        principal: ROLE,
        repositories: ['octo-org/api', 'octo-org/web'],
        permissions: { contents: 'read', statuses: 'write' },
        maxLifetimeMinutes: null,
      },
    });

    const listed = await ok<{ policies: Policy[] }>(
      (as.olga as Call)(`/accounts/${team}/service-access`),
      200,
    );
    expect(listed.policies.map((entry) => entry.id)).toEqual([policy.id]);

    // Within the scope of side-org's link: a named repository (any case) and one a pattern reaches.
    const changed = await writesOf(team, async () => {
      const next = await ok<Policy>(
        (as.olga as Call)(`/accounts/${team}/service-access/${policy.id}`, {
          method: 'PATCH',
          json: { repositories: ['side-org/API', 'side-org/team-a-web'], maxLifetimeMinutes: 15 },
        }),
        200,
      );
      expect(next).toMatchObject({
        id: policy.id,
        principal: ROLE,
        repositories: ['side-org/api', 'side-org/team-a-web'],
        permissions: { contents: 'read', statuses: 'write' },
        maxLifetimeMinutes: 15,
        createdAt: policy.createdAt,
      });
      expect(next.updatedAt > policy.updatedAt).toBe(true);
    });
    expect(changed.countAfter).toBe(changed.countBefore);
    expect(changed.events.map((event) => event.type)).toEqual(['service_access.changed']);
    expect(changed.events[0]?.detail).toMatchObject({
      policy: {
        id: policy.id,
        repositories: ['side-org/api', 'side-org/team-a-web'],
        maxLifetimeMinutes: 15,
      },
      previous: { repositories: ['octo-org/api', 'octo-org/web'], maxLifetimeMinutes: null },
    });
    expect(Object.keys((changed.events[0]?.detail as { previous: object }).previous).sort()).toEqual([
      'maxLifetimeMinutes',
      'repositories',
    ]);

    // The same values again: the policy as it is, nothing written.
    await changesNothing(team, () =>
      ok(
        (as.olga as Call)(`/accounts/${team}/service-access/${policy.id}`, {
          method: 'PATCH',
          json: { maxLifetimeMinutes: 15, permissions: { statuses: 'write', contents: 'read' } },
        }),
        200,
      ),
    );

    const deleted = await writesOf(team, () =>
      ok((as.olga as Call)(`/accounts/${team}/service-access/${policy.id}`, { method: 'DELETE' }), 204),
    );
    expect(deleted.countAfter).toBe(deleted.countBefore - 1);
    expect(deleted.policies.after).toEqual([]);
    expect(deleted.events.map((event) => event.type)).toEqual(['service_access.revoked']);
    expect(deleted.events[0]?.detail).toMatchObject({ policy: { id: policy.id, maxLifetimeMinutes: 15 } });

    // Gone: deleting or changing it again is 404, and writes nothing.
    await changesNothing(team, async () => {
      await refused(
        (as.olga as Call)(`/accounts/${team}/service-access/${policy.id}`, { method: 'DELETE' }),
        404,
        'service_access_not_found',
      );
      await refused(
        (as.olga as Call)(`/accounts/${team}/service-access/${policy.id}`, {
          method: 'PATCH',
          json: { maxLifetimeMinutes: 20 },
        }),
        404,
        'service_access_not_found',
      );
      await refused(
        (as.olga as Call)(`/accounts/${team}/service-access/not-an-id`, { method: 'DELETE' }),
        404,
        'service_access_not_found',
      );
    });
  });

  it('a principal may name every role whose name starts with a prefix; the lifetime is 5 to 60 minutes', async () => {
    const policy = await ok<Policy>(
      grant({ ...valid, principal: 'arn:aws:iam::123456789012:role/deploy-*', maxLifetimeMinutes: 60 }),
      201,
    );
    expect(policy).toMatchObject({
      principal: 'arn:aws:iam::123456789012:role/deploy-*',
      maxLifetimeMinutes: 60,
    });
    const reset = await ok<Policy>(
      (as.olga as Call)(`/accounts/${team}/service-access/${policy.id}`, {
        method: 'PATCH',
        json: { maxLifetimeMinutes: null, principal: ROLE },
      }),
      200,
    );
    expect(reset).toMatchObject({ principal: ROLE, maxLifetimeMinutes: null });
    await ok((as.olga as Call)(`/accounts/${team}/service-access/${policy.id}`, { method: 'DELETE' }), 204);
  });
});

describe('who may', () => {
  let policy: Policy;
  beforeAll(async () => {
    policy = await ok<Policy>(grant(valid), 201);
  });
  afterAll(async () => {
    await ok((as.olga as Call)(`/accounts/${team}/service-access/${policy.id}`, { method: 'DELETE' }), 204);
  });

  /** A grant, a change and a deletion of the team's policy as `login`: each refused with `status`, `error`. */
  async function everyChangeRefused(login: string, status: number, error: string) {
    const call = as[login] as Call;
    const path = `/accounts/${team}/service-access/${policy.id}`;
    await refused(grant(valid, team, login), status, error);
    await refused(call(path, { method: 'PATCH', json: { maxLifetimeMinutes: 5 } }), status, error);
    await refused(call(path, { method: 'DELETE' }), status, error);
  }

  it('admins read the grants and change none of them (403); members read nothing (403)', async () => {
    const listed = await ok<{ policies: Policy[] }>(
      (as.adam as Call)(`/accounts/${team}/service-access`),
      200,
    );
    expect(listed.policies.map((entry) => entry.id)).toEqual([policy.id]);
    await refused((as.mia as Call)(`/accounts/${team}/service-access`), 403, 'insufficient_role');
    for (const login of ['adam', 'mia'])
      await changesNothing(team, async () => {
        await everyChangeRefused(login, 403, 'insufficient_role');
        // The role is checked before the body: a bad body is refused for the role alike.
        await refused(grant({ principal: 'nope' }, team, login), 403, 'insufficient_role');
      });
  });

  it('anyone outside the account is told it does not exist (404), and changes nothing', async () => {
    const otto = as.otto as Call;
    await changesNothing(team, async () => {
      await refused(otto(`/accounts/${team}/service-access`), 404, 'account_not_found');
      await everyChangeRefused('otto', 404, 'account_not_found');
    });
    // Nor is a policy reached through another account, even its owner's.
    const other = await createAccount('Elsewhere');
    await changesNothing(team, async () => {
      await refused(
        (as.olga as Call)(`/accounts/${other}/service-access/${policy.id}`, { method: 'DELETE' }),
        404,
        'service_access_not_found',
      );
    });
    await ok((as.olga as Call)(`/accounts/${other}`, { method: 'DELETE' }), 204);
  });
});

describe('bad input: a clear 400, nothing written', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      'no principal',
      { repositories: valid.repositories, permissions: valid.permissions },
      'invalid_request',
      /principal/,
    ],
    ['an unknown field', { ...valid, lifetime: 5 }, 'invalid_request', /lifetime|body/],
    [
      'another AWS account’s role',
      { ...valid, principal: 'arn:aws:iam::210987654321:role/builder' },
      'invalid_principal',
      /123456789012/,
    ],
    [
      'a role with a path',
      { ...valid, principal: 'arn:aws:iam::123456789012:role/team/builder' },
      'invalid_principal',
      /path/i,
    ],
    [
      'a user, not a role',
      { ...valid, principal: 'arn:aws:iam::123456789012:user/bob' },
      'invalid_principal',
      /role/,
    ],
    [
      'a wildcard inside',
      { ...valid, principal: 'arn:aws:iam::123456789012:role/*-builder' },
      'invalid_principal',
      /\*/,
    ],
    ['no permission', { ...valid, permissions: {} }, 'invalid_permissions', /at least one/],
    [
      'unknown and organisation permissions',
      { ...valid, permissions: { contents: 'read', members: 'read', bogus: 'write' } },
      'invalid_permissions',
      /"members", "bogus"/,
    ],
    [
      'metadata: write',
      { ...valid, permissions: { metadata: 'write' } },
      'invalid_permissions',
      /metadata: "write" \(read\)/,
    ],
    [
      'workflows: read',
      { ...valid, permissions: { workflows: 'read' } },
      'invalid_permissions',
      /workflows: "read" \(write\)/,
    ],
    [
      'contents: admin',
      { ...valid, permissions: { contents: 'admin' } },
      'invalid_permissions',
      /contents: "admin"/,
    ],
    ['no repository', { ...valid, repositories: [] }, 'invalid_request', /repositories/],
    [
      'a repository without its owner',
      { ...valid, repositories: ['octo-org/api', 'api'] },
      'invalid_repositories',
      /"api"/,
    ],
    [
      'a path, not a repository',
      { ...valid, repositories: ['octo-org/api/x', 'octo-org/..'] },
      'invalid_repositories',
      /"octo-org\/api\/x", "octo-org\/\.\."/,
    ],
    [
      '101 repositories',
      { ...valid, repositories: Array.from({ length: 101 }, (_, n) => `octo-org/r${n}`) },
      'invalid_request',
      /repositories/,
    ],
    [
      'a lifetime under 5 minutes',
      { ...valid, maxLifetimeMinutes: 4 },
      'invalid_request',
      /maxLifetimeMinutes/,
    ],
    [
      'a lifetime over an hour',
      { ...valid, maxLifetimeMinutes: 61 },
      'invalid_request',
      /maxLifetimeMinutes/,
    ],
    [
      'a lifetime in fractions',
      { ...valid, maxLifetimeMinutes: 7.5 },
      'invalid_request',
      /maxLifetimeMinutes/,
    ],
  ];

  it.each(cases)('%s', async (_name, body, error, message) => {
    await changesNothing(team, async () => {
      expect(await refused(grant(body), 400, error)).toMatch(message);
    });
  });

  it('repositories outside the account’s scope are named, those within it are not', async () => {
    await changesNothing(team, async () => {
      const message = await refused(
        grant({
          ...valid,
          repositories: [
            'octo-org/api', // linked, no scope: in
            'side-org/team-a-api', // linked, the pattern: in
            'side-org/web', // linked, outside its scope
            'far-org/api', // installed, not linked to this account
            'nobody/api', // no installation at all
          ],
        }),
        400,
        'repositories_out_of_scope',
      );
      expect(message).toContain('"side-org/web"');
      expect(message).toContain('"far-org/api"');
      expect(message).toContain('"nobody/api"');
      expect(message).not.toContain('octo-org/api');
      expect(message).not.toContain('team-a-api');
    });
  });

  it('a change is checked as a creation: out of scope, bad principal or permissions change nothing', async () => {
    const policy = await ok<Policy>(grant(valid), 201);
    const patch = (json: unknown) =>
      (as.olga as Call)(`/accounts/${team}/service-access/${policy.id}`, { method: 'PATCH', json });
    await changesNothing(team, async () => {
      await refused(patch({ repositories: ['side-org/web'] }), 400, 'repositories_out_of_scope');
      await refused(patch({ principal: 'arn:aws:iam::123456789012:user/bob' }), 400, 'invalid_principal');
      await refused(
        patch({ permissions: { contents: 'read', organization_hooks: 'read' } }),
        400,
        'invalid_permissions',
      );
      await refused(patch({ maxLifetimeMinutes: 0 }), 400, 'invalid_request');
      await refused(patch({ id: 'x' }), 400, 'invalid_request');
    });
    await ok((as.olga as Call)(`/accounts/${team}/service-access/${policy.id}`, { method: 'DELETE' }), 204);
  });

  it('without PLATFORM_AWS_ACCOUNT_ID nothing can be granted: 400 service_access_unavailable', async () => {
    const saved = process.env.PLATFORM_AWS_ACCOUNT_ID;
    delete process.env.PLATFORM_AWS_ACCOUNT_ID;
    resetConfigForTests();
    resetServicesForTests();
    try {
      await changesNothing(team, async () => {
        expect(await refused(grant(valid), 400, 'service_access_unavailable')).toMatch(
          /PLATFORM_AWS_ACCOUNT_ID/,
        );
      });
    } finally {
      process.env.PLATFORM_AWS_ACCOUNT_ID = saved;
      resetConfigForTests();
      resetServicesForTests();
    }
  });
});

describe('limits and the account’s deletion', () => {
  it('at most 50 policies per account (409 too_many_policies); a deletion frees a place; deleting the account deletes them', async () => {
    const crowded = await createAccount('Crowded');
    await link(crowded, 'octo-org');
    const created: Policy[] = [];
    for (let n = 0; n < 50; n++)
      created.push(await ok<Policy>(grant({ ...valid, repositories: [`octo-org/r${n}`] }, crowded), 201));
    await changesNothing(crowded, async () => {
      expect(await refused(grant(valid, crowded), 409, 'too_many_policies')).toMatch(/50/);
    });
    expect(await storedCount(crowded)).toBe(50);
    await ok(
      (as.olga as Call)(`/accounts/${crowded}/service-access/${created[0]?.id}`, { method: 'DELETE' }),
      204,
    );
    await ok(grant(valid, crowded), 201);
    expect((await policies(crowded)).length).toBe(50);

    await ok((as.olga as Call)(`/accounts/${crowded}`, { method: 'DELETE' }), 204);
    expect(await policies(crowded)).toEqual([]);
    expect(await fx.table.table.get(keys.account(crowded))).toBeUndefined();
  });
});

describe('Idempotency-Key', () => {
  it('a retried creation answers the first policy again and grants once; a retried deletion answers 204 again', async () => {
    const key = randomUUID();
    const send = () =>
      (as.olga as Call)(`/accounts/${team}/service-access`, {
        method: 'POST',
        json: valid,
        headers: { 'idempotency-key': key },
      });
    const writes = await writesOf(team, async () => {
      const first = await send();
      const again = await send();
      expect([first.status, again.status]).toEqual([201, 201]);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual(await first.json());
    });
    expect(writes.events.map((event) => event.type)).toEqual(['service_access.granted']);
    expect(writes.policies.after.length).toBe(writes.policies.before.length + 1);
    expect(writes.countAfter).toBe(writes.countBefore + 1);

    const id = (writes.events[0]?.detail as { policy: { id: string } } | undefined)?.policy.id ?? '';
    const deleteKey = randomUUID();
    const remove = () =>
      (as.olga as Call)(`/accounts/${team}/service-access/${id}`, {
        method: 'DELETE',
        headers: { 'idempotency-key': deleteKey },
      });
    const removal = await writesOf(team, async () => {
      expect((await remove()).status).toBe(204);
      const replay = await remove();
      expect(replay.status).toBe(204);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    });
    expect(removal.events.map((event) => event.type)).toEqual(['service_access.revoked']);
  });
});

describe('the activity log', () => {
  let reader: EventStreamReader;
  afterAll(() => reader?.stop());

  it('shows who granted, changed and revoked what, newest first, from the table’s stream', async () => {
    const policy = await ok<Policy>(grant({ ...valid, maxLifetimeMinutes: 30 }), 201);
    await ok(
      (as.olga as Call)(`/accounts/${team}/service-access/${policy.id}`, {
        method: 'PATCH',
        json: { permissions: { contents: 'read' } },
      }),
      200,
    );
    await ok((as.olga as Call)(`/accounts/${team}/service-access/${policy.id}`, { method: 'DELETE' }), 204);

    // The activity-log function fed by the stream, under its own grants, as npm start runs it.
    process.env.ACTIVITY_RETENTION_DAYS = '90';
    resetActivityLogForTests();
    reader = startEventStreamReader({
      endpoint: fx.env.DYNAMODB_ENDPOINT ?? '',
      tableName: fx.table.tableName,
      checkpointFile: join(dir, 'stream.json'),
      log: () => undefined,
      pollMs: 100,
      backoff: { baseMs: 50, maxMs: 400 },
    });
    reader.onRecords(
      (batch) => runAs('activity-log', () => recordActivity(batch, lambdaContext('activity-log', 60_000))),
      {
        name: 'activity log',
      },
    );
    await reader.drained();

    const log = await ok<{ events: Array<DomainEvent['detail'] & { type: string; policy: { id: string } }> }>(
      (as.mia as Call)(`/accounts/${team}/events?type=service_access.&limit=100`),
      200,
    );
    const ofPolicy = log.events.filter((event) => event.policy.id === policy.id);
    expect(ofPolicy.map((event) => event.type)).toEqual([
      'service_access.revoked',
      'service_access.changed',
      'service_access.granted',
    ]);
    expect(ofPolicy[1]).toMatchObject({
      actor: { type: 'user', userId: ids.olga, login: 'olga' },
      account: { id: team, name: 'Builders' },
      policy: { permissions: { contents: 'read' }, maxLifetimeMinutes: 30 },
      previous: { permissions: { contents: 'read', statuses: 'write' } },
    });
    // Every service access event of the suite reached the log, none twice.
    const all = (await validOutboxEvents(fx.table)).filter(
      (event) => event.type.startsWith('service_access.') && event.detail.platformAccountIds.includes(team),
    );
    expect(log.events.map((event) => event.eventId).sort()).toEqual(
      all.map((event) => event.detail.eventId).sort(),
    );
  });
});
