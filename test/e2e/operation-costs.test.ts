import { sequentialRoundTrips } from '../../local/github-emulator/call-timing.js';
import { getTable } from '../../functions/shared/store/table.js';
import { isRead, isWrite, recordDynamoRequests, type DynamoRecorder } from '../support/dynamodb-requests.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * What each operation costs in GitHub calls (the emulator's call log) and DynamoDB requests (recorded on
 * the handlers' own table client): issue #14's per-operation targets, as counts, never times.
 */
let fx: ServiceFixture;
let dynamo: DynamoRecorder;
const installs: Record<string, number> = {};
type Call = ReturnType<typeof api>;
const sessions: Record<string, Call> = {};
let account: string;
const appId = () => Number(fx.secrets.githubApp.appId);

beforeAll(async () => {
  fx = await startService();
  for (const login of ['alice', 'bob']) await fx.admin.createUser({ login });
  for (const org of ['octo-org', 'other-org']) {
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['alice'], members: ['bob'] });
  }
  for (const target of ['alice', 'octo-org', 'other-org', 'bob']) {
    installs[target] = (await fx.admin.install({ appId: appId(), account: target })).installation.id;
  }
  for (const login of ['alice', 'bob']) sessions[login] = api(fx, await signIn(fx, login));
  const created = await (sessions.alice as Call)('/accounts', { method: 'POST', json: { name: 'Costs' } });
  account = ((await created.json()) as { id: string }).id;
  dynamo = recordDynamoRequests(getTable().client);
});
afterAll(async () => {
  dynamo.stop();
  await fx.admin.setLatency(0);
  await fx.close();
});

/** Runs `operation` with fresh counters; GitHub calls and DynamoDB requests it caused. */
async function measure<T>(operation: () => Promise<T>) {
  await fx.admin.clearCalls();
  dynamo.clear();
  const result = await operation();
  const calls = await fx.admin.calls();
  return { result, calls, requests: [...dynamo.requests] };
}

describe('list installations', () => {
  it('writes nothing', async () => {
    const { result, requests } = await measure(() =>
      (sessions.alice as Call)(`/accounts/${account}/installations`),
    );
    expect(result.status).toBe(200);
    expect(requests.filter(isRead).length).toBeGreaterThan(0);
    expect(requests.filter((r) => isWrite(r) || r.writeUnits > 0)).toEqual([]);
  });

  it('lists 1,000 installations in at most 2 sequential GitHub round trips', async () => {
    const world = fx.emulator.world;
    const owner = world.accountByLogin('alice');
    if (!owner) throw new Error('no alice');
    for (let index = 0; index < 1000 - 3; index++) {
      const org = world.createAccount({ login: `bulk-${index}`, type: 'Organization', admins: ['alice'] });
      world.install({ appId: appId(), accountId: org.id });
    }
    await fx.admin.setLatency(20);
    try {
      const { result, calls } = await measure(() =>
        (sessions.alice as Call)(`/accounts/${account}/installations`),
      );
      expect(result.status).toBe(200);
      const body = (await result.json()) as { installations: Array<{ id: number }> };
      expect(new Set(body.installations.map((i) => i.id)).size).toBe(1000);
      const pages = calls.filter((call) => call.route === '/user/installations');
      expect(pages).toHaveLength(10);
      expect(sequentialRoundTrips(calls)).toBeLessThanOrEqual(2);
    } finally {
      await fx.admin.setLatency(0);
      for (let index = 0; index < 1000 - 3; index++) {
        const org = world.accountByLogin(`bulk-${index}`);
        const installation = org && world.installationFor(appId(), org.id);
        if (installation) world.uninstall(installation.id);
      }
    }
  });
});
