import { handler as recordActivity } from '../../functions/activity-log/handler.js';
import {
  domainEvent,
  githubActor,
  userActor,
  type DomainEvent,
} from '../../functions/shared/events/domain-event.js';
import { runAs } from '../../local/access-guard.js';
import { lambdaContext } from '../../local/api-event.js';
import { streamBatch } from '../support/activity.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * GET /accounts/{accountId}/events over the local API server: the log the activity-log function
 * writes from outbox events (seeded here through that very function, as the stream would feed it).
 */

let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService();
  for (const login of ['olga', 'mallory']) await fx.admin.createUser({ login });
});
afterAll(() => fx?.close());

type Call = ReturnType<typeof api>;
type Page = { events: Array<{ type: string; eventId: string; occurredAt: string }>; nextCursor?: string };

const session = async (login: string): Promise<Call> => api(fx, await signIn(fx, login));

async function createAccount(call: Call, name: string): Promise<string> {
  const response = await call('/accounts', { method: 'POST', json: { name } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/** Feeds events to the activity-log function as one stream batch, under its IAM grants. */
async function record(events: DomainEvent[]): Promise<void> {
  const answer = await runAs('activity-log', () =>
    recordActivity(streamBatch(events), lambdaContext('activity-log', 60_000)),
  );
  expect(answer).toEqual({ batchItemFailures: [] });
}

const olgaActor = userActor(1, 'olga');
const at = (base: number, seconds: number) => new Date(base + seconds * 1000).toISOString();

function joined(accountId: string, occurredAt: string): DomainEvent {
  return domainEvent(
    'member.joined',
    { actor: olgaActor, correlationId: 'request-joined' },
    [accountId],
    { account: { id: accountId, name: 'Team' }, member: { id: 2, login: 'alice' }, role: 'member' },
    { occurredAt },
  );
}

function removed(accountId: string, occurredAt: string): DomainEvent {
  return domainEvent(
    'member.removed',
    { actor: olgaActor, correlationId: 'request-removed' },
    [accountId],
    { account: { id: accountId, name: 'Team' }, member: { id: 2, login: 'alice' } },
    { occurredAt },
  );
}

function suspended(accountIds: string[], occurredAt: string): DomainEvent {
  return domainEvent(
    'installation.suspended',
    { actor: githubActor('octo-admin'), correlationId: 'delivery-1' },
    accountIds,
    { installation: { id: 42, accountLogin: 'octo-org', accountType: 'Organization' } },
    { occurredAt },
  );
}

async function page(call: Call, path: string): Promise<Page> {
  const response = await call(path);
  expect(response.status).toBe(200);
  return (await response.json()) as Page;
}

/** Every page of a query, following nextCursor; the pages' sizes too. */
async function walk(call: Call, accountId: string, query: string): Promise<{ pages: Page[]; ids: string[] }> {
  const pages: Page[] = [];
  let cursor: string | undefined;
  do {
    const separator = query ? '&' : '';
    const next = await page(
      call,
      `/accounts/${accountId}/events?${query}${cursor ? `${separator}cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    pages.push(next);
    cursor = next.nextCursor;
  } while (cursor && pages.length < 50);
  return { pages, ids: pages.flatMap((p) => p.events.map((event) => event.eventId)) };
}

const newestFirst = (events: DomainEvent[]) =>
  [...events]
    .sort((a, b) => b.detail.occurredAt.localeCompare(a.detail.occurredAt))
    .map((event) => event.detail.eventId);

describe('GET /accounts/{accountId}/events', () => {
  let olga: Call;
  let team: string;
  let other: string;
  const seeded: DomainEvent[] = [];

  beforeAll(async () => {
    olga = await session('olga');
    [team, other] = [await createAccount(olga, 'Team A'), await createAccount(olga, 'Team B')];
    const base = Date.now() - 3_600_000;
    // Seeded out of order: the log's order is occurredAt's, not the stream's.
    seeded.push(
      joined(team, at(base, 5)),
      removed(team, at(base, 1)),
      suspended([team, other], at(base, 3)),
      joined(team, at(base, 2)),
      suspended([team], at(base, 7)),
      removed(team, at(base, 6)),
      joined(team, at(base, 4)),
    );
    await record(seeded);
    await record([joined(other, at(base, 8))]);
  });

  it('members read their account’s events newest first, each its detail plus type', async () => {
    const { events, nextCursor } = await page(olga, `/accounts/${team}/events`);
    expect(nextCursor).toBeUndefined();
    expect(events.map((event) => event.eventId)).toEqual(newestFirst(seeded));
    const first = seeded.find((event) => event.detail.eventId === events[0]?.eventId);
    expect(events[0]).toEqual({ ...first?.detail, type: first?.type });
  });

  it("an event that named several teams shows only the reader's: other teams' ids are theirs", async () => {
    const shared = seeded.find(
      (event) => event.type === 'installation.suspended' && event.detail.platformAccountIds.length === 2,
    );
    const { events } = await page(olga, `/accounts/${team}/events`);
    const shown = events.find((event) => event.eventId === shared?.detail.eventId);
    expect(shown).toMatchObject({ platformAccountIds: [team] });
    const fromOther = (await page(olga, `/accounts/${other}/events`)).events.find(
      (event) => event.eventId === shared?.detail.eventId,
    );
    expect(fromOther).toMatchObject({ platformAccountIds: [other] });
  });

  it('pages of `limit` follow one another with nextCursor: none repeated, none skipped', async () => {
    const { pages, ids } = await walk(olga, team, 'limit=3');
    expect(pages.map((p) => p.events.length)).toEqual([3, 3, 1]);
    expect(pages.at(-1)?.nextCursor).toBeUndefined();
    expect(ids).toEqual(newestFirst(seeded));
  });

  it('`type` narrows to one type or a family, newest first, with paging', async () => {
    const joinedIds = newestFirst(seeded.filter((event) => event.type === 'member.joined'));
    expect((await walk(olga, team, 'type=member.joined&limit=2')).ids).toEqual(joinedIds);
    const memberIds = newestFirst(seeded.filter((event) => event.type.startsWith('member.')));
    expect((await walk(olga, team, 'type=member.&limit=4')).ids).toEqual(memberIds);
    // The shared event is in both accounts' logs; the other account's own event only in its log.
    const otherLog = await page(olga, `/accounts/${other}/events?type=installation.`);
    expect(otherLog.events.map((event) => event.type)).toEqual(['installation.suspended']);
  });

  it('a bad limit or type is 400 invalid_query', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'type=member', 'type=nope.joined', 'type=']) {
      const response = await olga(`/accounts/${team}/events?${query}`);
      expect([query, response.status]).toEqual([query, 400]);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_query');
    }
  });

  it('a cursor altered, made up, or of another `type` is 400 invalid_cursor', async () => {
    const { nextCursor } = await page(olga, `/accounts/${team}/events?limit=2`);
    const filtered = (await page(olga, `/accounts/${team}/events?limit=1&type=member.`)).nextCursor ?? '';
    const decoded = JSON.parse(Buffer.from(nextCursor ?? '', 'base64url').toString()) as { a: string };
    const shifted = Buffer.from(JSON.stringify({ a: `${decoded.a}x` })).toString('base64url');
    const cases = [
      `cursor=${nextCursor?.slice(0, -2)}`,
      `cursor=${shifted}`,
      'cursor=not-a-cursor',
      `cursor=${filtered}`,
      `cursor=${nextCursor}&type=member.`,
    ];
    for (const query of cases) {
      const response = await olga(`/accounts/${team}/events?${query}`);
      expect([query, response.status]).toEqual([query, 400]);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_cursor');
    }
  });

  it('non-members get 404 account_not_found, as on every account route; no session is 401', async () => {
    const mallory = await session('mallory');
    const response = await mallory(`/accounts/${team}/events`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: string }).error).toBe('account_not_found');
    const anonymous = await fetch(`${fx.api.url}/accounts/${team}/events`);
    expect(anonymous.status).toBe(401);
  });

  it('events older than the retention (90 days by default) are gone from the log', async () => {
    const account = await createAccount(olga, 'Retention');
    const day = 86_400_000;
    const kept = joined(account, new Date(Date.now() - 89 * day).toISOString());
    const expired = joined(account, new Date(Date.now() - 91 * day).toISOString());
    await record([kept, expired]);
    expect((await page(olga, `/accounts/${account}/events`)).events.map((event) => event.eventId)).toEqual([
      kept.detail.eventId,
    ]);
  });

  it('a type filter looks at a bounded number of items a page: a long unmatched history ends a page early, with a cursor', async () => {
    const account = await createAccount(olga, 'Long history');
    const base = Date.now() - 7_200_000;
    const old = [joined(account, at(base, 0)), joined(account, at(base, 1))];
    const noise = Array.from({ length: 320 }, (_, index) => suspended([account], at(base, 10 + index)));
    await record([...old, ...noise]);

    const first = await page(olga, `/accounts/${account}/events?type=member.joined`);
    expect(first.events).toEqual([]);
    expect(first.nextCursor).toBeDefined();
    const { ids } = await walk(olga, account, 'type=member.joined');
    expect(ids).toEqual(newestFirst(old));
  });
});
