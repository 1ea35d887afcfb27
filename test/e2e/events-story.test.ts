import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventConsumer } from '../../examples/event-consumer.js';
import { handler as recordActivity, resetActivityLogForTests } from '../../functions/activity-log/handler.js';
import type { DomainEvent } from '../../functions/shared/events/domain-event.js';
import { lambdaContext } from '../../local/api-event.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';
import { close, listen, startDelivery } from '../support/event-delivery.js';
import { validOutboxEvents } from '../support/outbox.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * Issue #24, part 5: Bob's story through the whole service (DynamoDB Local, the emulator, the local
 * delivery path) produces exactly the expected events, each once, to the right accounts, each valid
 * against its published schema; delivered once each to a consumer, and in each team's activity log.
 */
let fx: ServiceFixture;
let dir: string;
type Call = ReturnType<typeof api>;
const secret = 'story-signing-secret';

beforeAll(async () => {
  fx = await startService({ appEvents: ['repository', 'push'], stream: true });
  dir = mkdtempSync(join(tmpdir(), 'events-story-'));
  await fx.admin.createUser({ login: 'bob' });
  await fx.admin.createUser({ login: 'carol' });
  await fx.admin.createUser({ login: 'dave' });
  // Bob and Carol own octo-org on GitHub: each may link it to their own team.
  await fx.admin.createUser({ login: 'octo-org', type: 'Organization', admins: ['bob', 'carol'] });
});
afterAll(async () => {
  await fx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ok = async <T>(response: Promise<Response>, status: number): Promise<T & { requestId: string }> => {
  const answer = await response;
  const text = await answer.text();
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${text}`);
  return {
    ...(text ? (JSON.parse(text) as T) : ({} as T)),
    requestId: answer.headers.get('x-request-id') ?? '',
  };
};

/** An event as the story expects it: its type, the accounts it names and its correlation id. */
const shape = (event: DomainEvent) => ({
  type: event.type,
  accounts: [...event.detail.platformAccountIds].sort(),
  correlationId: event.detail.correlationId,
});

it("Bob's story: each change reports its event once, to the right teams, delivered once and in the activity log", async () => {
  const bob: Call = api(fx, await signIn(fx, 'bob'));
  const carol: Call = api(fx, await signIn(fx, 'carol'));
  const dave: Call = api(fx, await signIn(fx, 'dave'));
  const { installation } = await fx.admin.install({
    appId: Number(fx.secrets.githubApp.appId),
    account: 'octo-org',
  });
  const before = new Set((await validOutboxEvents(fx.table)).map((event) => event.detail.eventId));
  const expected: Array<{ type: string; accounts: string[]; correlationId: string }> = [];
  const sorted = (...ids: string[]) => [...ids].sort();

  // Team A, linked to octo-org.
  const teamA = await ok<{ id: string }>(bob('/accounts', { method: 'POST', json: { name: 'Team A' } }), 201);
  expected.push({ type: 'account.created', accounts: [teamA.id], correlationId: teamA.requestId });
  const linkA = await ok(
    bob(`/accounts/${teamA.id}/installations/${installation.id}`, { method: 'PUT' }),
    201,
  );
  expected.push({ type: 'installation.linked', accounts: [teamA.id], correlationId: linkA.requestId });

  // Team B links the same installation: its own event, to Team B alone.
  const teamB = await ok<{ id: string }>(
    carol('/accounts', { method: 'POST', json: { name: 'Team B' } }),
    201,
  );
  expected.push({ type: 'account.created', accounts: [teamB.id], correlationId: teamB.requestId });
  const linkB = await ok(
    carol(`/accounts/${teamB.id}/installations/${installation.id}`, { method: 'PUT' }),
    201,
  );
  expected.push({ type: 'installation.linked', accounts: [teamB.id], correlationId: linkB.requestId });

  // Dave is invited to Team A and accepts.
  const invited = await ok<{ id: string }>(
    bob(`/accounts/${teamA.id}/members`, { method: 'POST', json: { login: 'dave', role: 'member' } }),
    201,
  );
  expected.push({ type: 'member.invited', accounts: [teamA.id], correlationId: invited.requestId });
  const joined = await ok(dave(`/invitations/${invited.id}/accept`, { method: 'POST' }), 200);
  expected.push({ type: 'member.joined', accounts: [teamA.id], correlationId: joined.requestId });

  // A repository created through the service, then a commit to it: the commit comes back from GitHub as
  // a push too, reported to every team linked to the installation.
  const pushesBeforeCreation = await pushDeliveries();
  const created = await ok(
    bob(`/accounts/${teamA.id}/repositories`, {
      method: 'POST',
      json: {
        installationId: installation.id,
        name: 'story-app',
        files: [{ path: 'README.md', content: '# story\n' }],
      },
    }),
    201,
  );
  expected.push({ type: 'repository.created', accounts: [teamA.id], correlationId: created.requestId });
  // Its initial files are the service's own commit: GitHub reports that push as well.
  const creationPush = (await pushDeliveries()).filter((guid) => !pushesBeforeCreation.includes(guid));
  expect(creationPush).toHaveLength(1);
  expected.push({
    type: 'repository.pushed',
    accounts: sorted(teamA.id, teamB.id),
    correlationId: creationPush[0] ?? '',
  });
  const pushesBeforeCommit = await pushDeliveries();
  const committed = await ok(
    bob(`/accounts/${teamA.id}/repositories/octo-org/story-app/commits`, {
      method: 'POST',
      json: {
        branch: 'main',
        message: 'Add the app',
        files: [{ path: 'app.ts', content: 'export {};\n', encoding: 'utf-8' }],
      },
    }),
    201,
  );
  expected.push({ type: 'repository.committed', accounts: [teamA.id], correlationId: committed.requestId });
  const commitPush = (await pushDeliveries()).filter((guid) => !pushesBeforeCommit.includes(guid));
  expect(commitPush).toHaveLength(1);
  expected.push({
    type: 'repository.pushed',
    accounts: sorted(teamA.id, teamB.id),
    correlationId: commitPush[0] ?? '',
  });

  // Someone pushes on GitHub directly.
  const pushed = await fx.admin.pushCommit('octo-org', 'story-app', {
    files: { 'CHANGELOG.md': '- first\n' },
    message: 'Changelog',
    by: 'carol',
  });
  expect(pushed.deliveries).toHaveLength(1);
  expected.push({
    type: 'repository.pushed',
    accounts: sorted(teamA.id, teamB.id),
    correlationId: pushed.deliveries[0]?.guid ?? '',
  });

  // The App is uninstalled: one event to every team that had it linked.
  const uninstalled = (await fx.admin.uninstall(installation.id)) as { delivery?: { guid: string } };
  expected.push({
    type: 'installation.deleted',
    accounts: sorted(teamA.id, teamB.id),
    correlationId: uninstalled.delivery?.guid ?? '',
  });

  // Exactly these events, each once, each valid against its schema (validOutboxEvents checks).
  const events = (await validOutboxEvents(fx.table)).filter((event) => !before.has(event.detail.eventId));
  // (Compared in a stable order: a push's webhook lands while the request that caused it still runs.)
  const canonical = (list: ReadonlyArray<{ type: string; correlationId: string }>) =>
    [...list].sort((a, b) => `${a.type} ${a.correlationId}`.localeCompare(`${b.type} ${b.correlationId}`));
  expect(canonical(events.map(shape))).toEqual(canonical(expected));
  expect(new Set(events.map((event) => event.detail.eventId)).size).toBe(events.length);
  const pushEvent = events.find((event) => event.type === 'repository.pushed')?.detail as Record<
    string,
    unknown
  >;
  expect(pushEvent).toMatchObject({ ref: 'refs/heads/main', commitCount: 1 });
  expect(pushEvent).not.toHaveProperty('commits');

  // The same path npm start runs: the stream → each event once to a consumer, and into the activity log.
  const consumer = createEventConsumer({ secret });
  const url = await listen(consumer.server);
  process.env.ACTIVITY_RETENTION_DAYS = '90';
  resetActivityLogForTests();
  const delivery = startDelivery({
    endpoint: fx.env.DYNAMODB_ENDPOINT ?? testDynamoEndpoint(),
    tableName: fx.table.tableName,
    checkpointFile: join(dir, 'stream.json'),
    targetUrl: url,
    secret,
  });
  delivery.reader.onRecords((batch) => recordActivity(batch, lambdaContext('activity-log', 60_000)), {
    name: 'activity log',
  });
  try {
    await delivery.reader.drained();
    const ids = new Set(events.map((event) => event.detail.eventId));
    const received = consumer.events.filter((event) => ids.has(event.id));
    expect(received.map((event) => event['detail-type'])).toEqual(events.map((event) => event.type));
    expect(consumer.counts).toMatchObject({ rejected: 0, duplicates: 0 });
  } finally {
    await delivery.stop();
    await close(consumer.server);
  }

  // Team B's activity log: what named Team B, newest first (Dave, a member of Team A only, sees none of it).
  const logB = await ok<{ events: Array<{ type: string; eventId: string }> }>(
    carol(`/accounts/${teamB.id}/events?limit=100`),
    200,
  );
  const namedB = events.filter((event) => event.detail.platformAccountIds.includes(teamB.id));
  expect(logB.events.map((event) => event.type)).toEqual(namedB.map((event) => event.type).reverse());
  expect((await dave(`/accounts/${teamB.id}/events`)).status).toBe(404);
});

/** The GUIDs of the `push` deliveries the emulator has sent so far. */
async function pushDeliveries(): Promise<string[]> {
  const { deliveries } = await fx.admin.call<{ deliveries: Array<{ guid: string; event: string }> }>(
    'GET',
    '/deliveries',
  );
  return deliveries.filter((delivery) => delivery.event === 'push').map((delivery) => delivery.guid);
}
